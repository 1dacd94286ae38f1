"""Executed notebooks to static HTML pages that open from disk with nothing fetched.

nbconvert's ``lab`` template does the work (cells, outputs, syntax highlighting, its CSS inlined
in every page); the ``course`` template in ``templates/`` extends it and removes what it would
load from a CDN: require.js, MathJax, mermaid and the widget manager. In their place:

- math: markdown's ``$...$`` / ``$$...$$`` and ``text/latex`` outputs become MathML at build time
  (``latex2mathml``, pure Python), which browsers draw natively;
- widgets: :func:`audiokit.course.snapshot.snapshot_widgets` turns each widget into its static
  snapshot;
- figures and audio were already embedded by the kernel (``data:image/png;base64`` images,
  ``IPython.display.Audio`` players with ``data:audio/wav;base64`` sources);
- links between notebooks (``03_fourier_and_stft.ipynb``) point to their pages (``.html``);
- JavaScript outputs are not run (the page says so).

Notebook: 00_index
"""

from __future__ import annotations

import copy
import html
import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from audiokit.course.snapshot import snapshot_widgets

__all__ = ["TEMPLATES", "fallback_page", "nav_html", "page_url", "render_index", "render_page",
           "to_mathml"]

TEMPLATES = Path(__file__).resolve().parent / "templates"
_NOTEBOOK_LINK = re.compile(r"^(?:\./)?(\d\d_\w+)\.ipynb(#.*)?$")
_DELIMITERS = ((r"$$", r"$$"), (r"\[", r"\]"), (r"\(", r"\)"), ("$", "$"))


def page_url(url: str) -> str:
    """``"03_fourier_and_stft.ipynb#x"`` -> ``"03_fourier_and_stft.html#x"``; other URLs as given.

    Notebook: 00_index
    """
    m = _NOTEBOOK_LINK.match(url.strip())
    return f"{m[1]}.html{m[2] or ''}" if m else url


def to_mathml(latex: str, display: str = "inline") -> str:
    """LaTeX math (without delimiters) as a MathML ``<math>`` element.

    What ``latex2mathml`` cannot parse is shown as its TeX source in ``<code class="course-tex">``
    instead of failing the page.

    Notebook: 00_index
    """
    from latex2mathml.converter import convert

    tex = latex.strip()
    try:
        return convert(tex, display=display)
    except Exception:  # noqa: BLE001 - latex2mathml raises several types on bad input
        return f'<code class="course-tex">{html.escape(tex)}</code>'


def latex_output_to_mathml(text: str) -> str:
    """A ``text/latex`` output (``$$x$$``, ``\\[x\\]``, ``$x$``) as display MathML."""
    tex = text.strip()
    for start, end in _DELIMITERS:
        if tex.startswith(start) and tex.endswith(end) and len(tex) > len(start) + len(end) - 1:
            tex = tex[len(start):len(tex) - len(end)]
            break
    return to_mathml(tex, display="block")


@lru_cache(maxsize=1)
def _exporter_class() -> type:
    """The HTMLExporter subclass (built on first use: nbconvert is an optional dependency)."""
    from jinja2 import pass_context
    from nbconvert.exporters import HTMLExporter
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    class MathMLRenderer(IPythonRenderer):
        """nbconvert's markdown renderer, with math as MathML and notebook links as pages."""

        def block_math(self, body: str) -> str:
            return to_mathml(body, display="block")

        def inline_math(self, body: str) -> str:
            return to_mathml(body, display="inline")

        def multiline_math(self, text: str) -> str:
            return latex_output_to_mathml(text)

        def latex_environment(self, name: str, body: str) -> str:
            return to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display="block")

        def link(self, text: str, url: str, title: str | None = None) -> str:
            return super().link(text, page_url(url), title)

    class CourseExporter(HTMLExporter):
        """nbconvert's HTML exporter with the course template and the MathML renderer."""

        @pass_context
        def markdown2html(self, context: Any, source: str) -> str:
            cell = context.get("cell", {})
            renderer = MathMLRenderer(escape=False, attachments=cell.get("attachments", {}),
                                      embed_images=self.embed_images,
                                      anchor_link_text=self.anchor_link_text,
                                      exclude_anchor_links=self.exclude_anchor_links,
                                      **self.lexer_options)
            return MarkdownWithMath(renderer=renderer).render(source)

        def default_filters(self):
            yield from super().default_filters()
            yield ("latex_to_mathml", latex_output_to_mathml)

    return CourseExporter


def _exporter():
    # nbconvert warns once per page that output images have no alt text (notebook figures never
    # do; it fills in a generic one): our own logger, quiet below errors, keeps the build log short.
    log = logging.getLogger("audiokit.course.nbconvert")
    log.setLevel(logging.ERROR)
    return _exporter_class()(template_name="course", extra_template_basedirs=[str(TEMPLATES)],
                             theme="light", log=log)


def css() -> str:
    """The course's own CSS (navigation, error banner, widget snapshots, index)."""
    return (TEMPLATES / "course.css").read_text(encoding="utf-8")


def nav_html(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    """Previous / index / next links; ``prev`` and ``nxt`` are ``(page, title)`` or None.

    Notebook: 00_index
    """
    parts = [f'<a rel="prev" href="{html.escape(prev[0])}">← {html.escape(prev[1])}</a>'
             if prev else '<span class="course-nav-none"></span>',
             '<a rel="index" href="index.html">Course index</a>',
             f'<a rel="next" href="{html.escape(nxt[0])}">{html.escape(nxt[1])} →</a>'
             if nxt else '<span class="course-nav-none"></span>']
    return f'<nav class="course-nav">{"".join(parts)}</nav>'


def render_page(nb: Any, title: str, nav: str, error: str | None = None) -> str:
    """One executed notebook as a self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook (not modified: widgets are snapshot on a copy).
    title : str
        The page title.
    nav : str
        The navigation HTML (:func:`nav_html`), shown above and below the notebook.
    error : str, optional
        Why the notebook failed to execute: shown in a banner at the top.

    Notebook: 00_index
    """
    nb = copy.deepcopy(nb)
    snapshot_widgets(nb)
    resources = {"metadata": {"name": title},
                 "course": {"nav": nav, "error": error, "css": css()}}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return body


def fallback_page(title: str, nav: str, error: str) -> str:
    """A bare page for a notebook whose page could not be rendered: title, error, links.

    Notebook: 00_index
    """
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title><style>{css()}</style></head><body>{nav}"
            f'<div class="course-error" role="alert"><strong>{html.escape(title)}</strong>'
            f"<code>{html.escape(error)}</code></div>{nav}</body></html>\n")


def render_index(entries: Sequence[dict], mode: str) -> str:
    """The index page: every notebook in order, its title, a link to its page and its status.

    ``entries`` are the manifest's rows (``stem``, ``title``, ``page``, ``seconds``, ``error``,
    ``parameters``); ``mode`` says which parameters the notebooks ran with: ``"defaults"``,
    ``"tiny"`` (CI's) or ``"mixed"`` (each page's own papermill cell says which).

    Notebook: 00_index
    """
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True)
    return env.get_template("course_index.html.j2").render(entries=entries, mode=mode, css=css())
