"""``build``: run the notebooks (or take executed copies) and write the static course.

Notebook: 00_index
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from audiokit.course.notebooks import CELL_TIMEOUT_S, TINY, execute, select, title_of

__all__ = ["CourseBuildError", "build"]

MANIFEST = "course.json"


class CourseBuildError(RuntimeError):
    """Some notebooks failed to execute; every page (theirs with the error) was still written.

    Attributes
    ----------
    failures : dict
        Notebook stem -> one-line error.
    index : Path
        The course's index page.

    Notebook: 00_index
    """

    def __init__(self, failures: dict[str, str], index: Path, total: int) -> None:
        self.failures, self.index = dict(failures), index
        listed = "; ".join(f"{stem}: {err}" for stem, err in failures.items())
        super().__init__(f"{len(failures)} of {total} notebooks failed to execute ({listed}); "
                         f"their pages show the error; the course is at {index}")


def build(out_dir: str | Path, tiny: bool = False, notebooks: Iterable[str | Path] | None = None,
          executed_dir: str | Path | None = None,
          log: Callable[[str], Any] | None = None) -> Path:
    """Execute the notebooks and write the static HTML course into ``out_dir``.

    Each notebook becomes ``NN_name.html`` (its outputs, figures, audio players, widget
    snapshots and math embedded; previous / next / index links), ``index.html`` lists them in
    order, and ``course.json`` records each notebook's title, page, seconds and error. Nothing
    on a page is loaded from the network: open ``index.html`` from disk.

    Parameters
    ----------
    out_dir : str or Path
        The folder to write (created; pages already there are replaced).
    tiny : bool
        Run with CI's tiny parameters (:data:`audiokit.course.TINY`) instead of the defaults
        (with ``executed_dir``, the copies' own papermill record says what they ran with).
    notebooks : iterable of str or Path, optional
        Numbers (``"03"``), stems or ``.ipynb`` paths; default every notebook of ``notebooks/``.
    executed_dir : str or Path, optional
        Render the executed copies in this folder (``NN_name.ipynb``, as CI's notebook test
        writes them) instead of running anything; a notebook with no copy there fails.
    log : callable, optional
        Called with one line per notebook (e.g. ``print``).

    Returns
    -------
    Path
        The index page. If any notebook failed, :class:`CourseBuildError` is raised *after* the
        whole course was written (the failing pages show their error).

    Notebook: 00_index
    """
    from audiokit.course import render

    paths = select(notebooks)
    if not paths:
        raise ValueError("no notebooks to build")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    titles = [_title(p) for p in paths]
    pages = [f"{p.stem}.html" for p in paths]
    entries: list[dict[str, Any]] = []
    for i, path in enumerate(paths):
        if executed_dir is None:
            nb, seconds, error = _run(path, tiny)
        else:
            nb, seconds, error = _load_executed(Path(executed_dir) / path.name, path)
        params = dict(nb.get("metadata", {}).get("papermill", {}).get("parameters", {}))
        nav = render.nav_html((pages[i - 1], titles[i - 1]) if i else None,
                              (pages[i + 1], titles[i + 1]) if i + 1 < len(paths) else None)
        try:
            page = render.render_page(nb, titles[i], nav, error)
        except Exception as exc:  # noqa: BLE001 - one page that cannot render loses no other
            error = f"could not render the page: {_one_line(exc)}"
            page = render.fallback_page(titles[i], nav, error)
        _write(out / pages[i], page)
        entries.append({"number": _number(path.stem, i), "stem": path.stem, "title": titles[i],
                        "page": pages[i], "seconds": seconds, "error": error,
                        "parameters": params})
        if log is not None:
            took = "" if seconds is None else f" in {seconds:.1f} s"
            log(f"{path.stem}: {'FAILED: ' + error if error else 'ok'}{took}")
    index = out / "index.html"
    mode = _mode(entries)
    _write(index, render.render_index(entries, mode))
    manifest = {"parameters": mode,
                "executed_dir": None if executed_dir is None else str(executed_dir),
                "notebooks": entries,
                "seconds": round(sum(e["seconds"] or 0.0 for e in entries), 1)}
    _write(out / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    failures = {e["stem"]: e["error"] for e in entries if e["error"]}
    if failures:
        raise CourseBuildError(failures, index, len(entries))
    return index


def _mode(entries: list[dict[str, Any]]) -> str:
    """``"defaults"``, ``"tiny"`` (CI's values wherever CI has some) or ``"mixed"``."""
    if all(not e["parameters"] for e in entries):
        return "defaults"
    if all(e["parameters"] == TINY.get(e["stem"], {}) for e in entries):
        return "tiny"
    return "mixed"


def _title(path: Path) -> str:
    return title_of(_read(path)) or path.stem


def _read(path: Path) -> Any:
    import nbformat
    from nbformat.warnings import MissingIDFieldWarning

    with warnings.catch_warnings():
        # the course's notebooks are nbformat 4.4 files, without cell ids: nbformat adds them
        warnings.simplefilter("ignore", MissingIDFieldWarning)
        return nbformat.read(str(path), as_version=4)


def _number(stem: str, i: int) -> int:
    head = stem.split("_", 1)[0]
    return int(head) if head.isdigit() else i


def _run(path: Path, tiny: bool) -> tuple[Any, float, str | None]:
    """Execute one notebook in a scratch folder: (executed notebook, seconds, error or None)."""
    params = TINY.get(path.stem, {}) if tiny else {}
    with tempfile.TemporaryDirectory(prefix="audiokit-course-") as tmp:
        copy, work = Path(tmp) / path.name, Path(tmp) / "work"
        work.mkdir()
        start = time.perf_counter()
        error = None
        try:
            nb = execute(path, copy, params, cwd=work,
                         timeout_s=CELL_TIMEOUT_S["tiny" if tiny else "full"])
        except Exception as exc:  # noqa: BLE001 - a failure goes on its page; the others run
            error = _one_line(exc)
            nb = _read(copy if copy.exists() else path)
        seconds = time.perf_counter() - start
    return nb, round(seconds, 1), error or _first_error(nb)


def _load_executed(copy: Path, source: Path) -> tuple[Any, float | None, str | None]:
    """An executed copy: (notebook, seconds papermill recorded, error or None)."""
    if not copy.is_file():
        return _read(source), None, f"no executed copy {copy.name} in {copy.parent}"
    nb = _read(copy)
    seconds = nb.get("metadata", {}).get("papermill", {}).get("duration")
    return nb, None if seconds is None else round(float(seconds), 1), _first_error(nb)


def _first_error(nb: Any) -> str | None:
    for cell in nb.get("cells", []):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return _squash(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}")
    return None


def _one_line(exc: BaseException) -> str:
    if hasattr(exc, "ename"):  # papermill's PapermillExecutionError
        return _squash(f"{exc.ename}: {getattr(exc, 'evalue', '')} (cell In [{exc.exec_count}])")
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return f"{type(exc).__name__}: {lines[0]}" if lines else type(exc).__name__


def _squash(text: str) -> str:
    """One line: the report and the CLI's error line have no room for a multi-line message."""
    return " ".join(text.split())


def _write(path: Path, text: str) -> None:
    """Write atomically (a temporary file in the same folder, then ``os.replace``)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
