"""The course as a static site: every notebook executed and rendered to HTML that opens offline.

``audiokit course build --out DIR [--tiny] [--only 03,05]`` (or :func:`build`) runs the
notebooks with papermill (figures drawn by the inline backend), then renders each with
nbconvert into ``DIR/NN_name.html`` and writes ``DIR/index.html``. Math becomes MathML at build
time, widgets static snapshots of their saved state, and figures and audio players are embedded:
no page loads a script, style or font from the network.

- :mod:`audiokit.course.notebooks`: ``TINY`` (CI's parameters), ``select``, ``execute``;
- :mod:`audiokit.course.snapshot`: widget state -> static outputs;
- :mod:`audiokit.course.render`: the nbconvert template, MathML, pages and the index;
- :mod:`audiokit.course.build`: ``build`` and ``CourseBuildError``.

Notebook: 00_index
"""

from __future__ import annotations

from audiokit.course.build import CourseBuildError, build
from audiokit.course.notebooks import CELL_TIMEOUT_S, TINY, execute, notebook_dir, select

__all__ = ["CELL_TIMEOUT_S", "TINY", "CourseBuildError", "build", "execute", "notebook_dir",
           "select"]
