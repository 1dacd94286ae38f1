"""Shared by the course tests: small executed notebooks made by hand, and the checks every built
course must pass (the synthetic one in test_course.py, the real one in test_notebooks.py)."""

from __future__ import annotations

import base64
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import numpy as np
from nbformat import v4

STATE = "application/vnd.jupyter.widget-state+json"
VIEW = "application/vnd.jupyter.widget-view+json"
PLOTS = re.compile(r"\bplots\.plot_\w+\(|\bplt\.(?:plot|subplots|figure|imshow)\(|"
                   r"\bwidgets\.plot_\w+\(")


def png_b64(value: float = 0.5) -> str:
    """A real 4x4 PNG (grey level ``value``), base64: what the inline backend would embed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    plt.imsave(buf, np.full((4, 4), value), format="png", cmap="gray", vmin=0, vmax=1)
    return base64.b64encode(buf.getvalue()).decode()


def audio_html(seed: int = 0) -> str:
    """``IPython.display.Audio``'s own HTML for 0.1 s of noise at 8 kHz (a data:audio/wav URI)."""
    from IPython.display import Audio

    y = np.random.default_rng(seed).uniform(-0.5, 0.5, 800)
    return Audio(y, rate=8000)._repr_html_()


def _model(name: str, state: dict, buffers: list | None = None) -> dict:
    model = {"model_name": name, "model_module": "@jupyter-widgets/controls",
             "model_module_version": "2.0.0", "state": state}
    if buffers:
        model["buffers"] = buffers
    return model


def explorer_state(png: str) -> tuple[str, dict]:
    """A saved explorer: VBox[HBox[FloatSlider, Dropdown], Checkbox, Output[png]] and a bar."""
    state = {
        "s1": _model("FloatSliderModel", {"description": "freq (Hz)", "value": 440.0,
                                          "readout_format": ".2f", "min": 50.0, "max": 8000.0}),
        "d1": _model("DropdownModel", {"description": "window", "index": 1,
                                       "_options_labels": ["boxcar", "hann", "hamming"]}),
        "c1": _model("CheckboxModel", {"description": "log scale", "value": True}),
        "h1": _model("HBoxModel", {"children": ["IPY_MODEL_s1", "IPY_MODEL_d1"]}),
        "o1": _model("OutputModel", {"outputs": [
            {"output_type": "display_data", "metadata": {},
             "data": {"image/png": png, "text/plain": "<Figure>"}}]}),
        "v1": _model("VBoxModel", {"children": ["IPY_MODEL_h1", "IPY_MODEL_c1", "IPY_MODEL_o1"]}),
        "p1": _model("FloatProgressModel", {"description": "epoch", "value": 3.0, "max": 4.0}),
    }
    return "v1", state


def executed_notebook(title: str, *, math: bool = True, plot: str | None = None,
                      audio: str | None = None, widget: bool = False,
                      error: bool = False, link: str | None = None) -> nbformat.NotebookNode:
    """An executed notebook as papermill would leave it: markdown, code cells and their outputs."""
    md = f"# {title}\n\n## What you will learn\n- something\n"
    if math:
        md += "\nA tone is $x^2$ here, and\n\n$$\\sum_n x[n]$$\n"
    if link:
        md += f"\nNext: [the next one]({link}) and [elsewhere](https://example.org/page).\n"
    cells = [v4.new_markdown_cell(md), v4.new_code_cell("x = 1", execution_count=1)]
    if plot:
        cells.append(v4.new_code_cell("plots.plot_waveform(y)", execution_count=2, outputs=[
            v4.new_output("display_data", data={"image/png": plot, "text/plain": "<Figure>"})]))
    if audio:
        cells.append(v4.new_code_cell("plots.audio(y, sr)", execution_count=3, outputs=[
            v4.new_output("execute_result", data={"text/html": audio, "text/plain": "<Audio>"},
                          execution_count=3)]))
    nb = v4.new_notebook(cells=cells)
    if widget:
        model_id, state = explorer_state(png_b64(0.25))
        cells.append(v4.new_code_cell("widgets.stft_explorer()", execution_count=4, outputs=[
            v4.new_output("execute_result", execution_count=4, data={
                VIEW: {"model_id": model_id, "version_major": 2, "version_minor": 0},
                "text/plain": "Explorer(...)"}),
            v4.new_output("display_data", data={
                VIEW: {"model_id": "p1", "version_major": 2, "version_minor": 0},
                "text/plain": "FloatProgress"})]))
        nb.metadata["widgets"] = {STATE: {"state": state, "version_major": 2, "version_minor": 0}}
    if error:
        cells.append(v4.new_code_cell("1 / 0", execution_count=5, outputs=[
            v4.new_output("error", ename="ZeroDivisionError", evalue="division by zero",
                          traceback=["ZeroDivisionError: division by zero"])]))
    cells.append(v4.new_markdown_cell("## Summary\n- done\n\n## Exercises\n1. more"))
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# -- the checks ------------------------------------------------------------------------------


def _outputs(nb: dict):
    """Every output of the notebook, including those its saved Output widgets hold."""
    for cell in nb["cells"]:
        yield from cell.get("outputs", [])
    state = nb.get("metadata", {}).get("widgets", {}).get(STATE, {}).get("state", {})
    for model in state.values():
        yield from model.get("state", {}).get("outputs", [])


def _title(nb: dict) -> str:
    for line in "".join(nb["cells"][0]["source"]).splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return ""


class _Tags(HTMLParser):
    """Every start tag of a page as (tag, {attribute: value}), in order."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {k: v or "" for k, v in attrs}))


def _external(url: str) -> bool:
    return bool(re.match(r"\s*(?:https?:)?//", url, re.IGNORECASE))


def check_course(index: Path, executed: list[Path], elsewhere: tuple[str, ...] = ()) -> dict[str, str]:
    """Assert what every built course must be; returns {file name: text} of its pages.

    ``elsewhere``: pages of notebooks a partial build (``--only``) links to but does not hold.
    """
    folder = index.parent
    stems = [p.stem for p in executed]
    pages = [f"{s}.html" for s in stems]
    assert sorted(p.name for p in folder.glob("*.html")) == sorted(["index.html", *pages])
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.html")}
    nbs = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in executed}

    # The index lists every notebook in order, with its title, linking to its page.
    listed = re.findall(r'<li value="\d+"><a href="([^"]+)">([^<]*)</a>', texts["index.html"])
    assert [href for href, _ in listed] == pages
    assert [html.unescape(t) for _, t in listed] == [_title(nbs[s]) for s in stems]

    for name, text in texts.items():
        tags = _Tags(text).tags
        # Nothing is loaded from the network: no src= (script, img, audio, source, iframe ...)
        # and no stylesheet/icon <link> to http(s) or //, no css url() or @import of one.
        # Links in prose (<a href>) may go anywhere.
        loads = [(t, a.get("src") or a.get("href", "")) for t, a in tags
                 if "src" in a or t == "link"]
        assert not [x for x in loads if _external(x[1])], (name, loads)
        assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", text, re.IGNORECASE), name
        assert "@import" not in text, name
        assert not [a for t, a in tags if t == "script" and "src" in a], name
        # Every internal link or source resolves to a file of the course.
        for t, a in tags:
            url = a.get("href") if "href" in a else a.get("src")
            if url is None or url.startswith(("data:", "#", "mailto:")) or _external(url):
                continue
            target = url.split("#")[0]
            assert (folder / target).is_file() or target in elsewhere, f"{name}: broken {url}"

    for i, (stem, page) in enumerate(zip(stems, pages)):
        text = texts[page]
        tags = _Tags(text).tags
        # previous / next / index, above and below the notebook
        rel = [(a["rel"], a["href"]) for t, a in tags if t == "a" and "rel" in a]
        expect = ([("prev", pages[i - 1])] if i else []) + [("index", "index.html")] + (
            [("next", pages[i + 1])] if i + 1 < len(pages) else [])
        assert rel == expect * 2, (page, rel)

        outputs = list(_outputs(nbs[stem]))
        # unindented code lines run whenever the notebook runs (no `if`, loop or def around them)
        top_level = "\n".join(ln for c in nbs[stem]["cells"] if c["cell_type"] == "code"
                              for ln in "".join(c["source"]).splitlines() if ln[:1].strip())
        # Figures: as many embedded PNGs as the cells' outputs hold; a notebook that plots has some.
        pngs = sum(1 for c in nbs[stem]["cells"] for o in c.get("outputs", [])
                   if "image/png" in o.get("data", {}))
        shown = sum(1 for t, a in tags if t == "img" and re.match(
            r"data:image/png;base64,[A-Za-z0-9+/=]{20,}$", a.get("src", "")))
        assert shown >= pngs, (page, shown, pngs)
        if PLOTS.search(top_level):
            assert shown >= 1, f"{page}: the notebook plots, but its page shows no figure"
        # Sound: every notebook that plays audio gets an embedded player.
        if any("<audio" in "".join(o.get("data", {}).get("text/html", "")) for o in outputs):
            assert any(t == "audio" for t, _ in tags), page
            assert any(t == "source" and a.get("src", "").startswith("data:audio/wav;base64,")
                       for t, a in tags), page
        # Widgets: a static snapshot naming every slider with its value.
        if any(VIEW in o.get("data", {}) for c in nbs[stem]["cells"] for o in c.get("outputs", [])):
            assert 'class="course-widget"' in text, page
            state = nbs[stem]["metadata"].get("widgets", {}).get(STATE, {}).get("state", {})
            for model in state.values():
                if model["model_name"].endswith("SliderModel"):
                    label = html.escape(model["state"]["description"], quote=False)
                    assert f'course-widget-label">{label}</span>' in text, (page, label)
        # Math is MathML, never left for MathJax.
        md = "\n".join("".join(c["source"]) for c in nbs[stem]["cells"]
                       if c["cell_type"] == "markdown")
        n_math = len(re.findall(r"\$\$.+?\$\$|\$[^$\n]+\$", md, re.DOTALL))
        assert sum(1 for t, _ in tags if t == "math") >= n_math, (page, n_math)
        assert "MathJax" not in text and "require.js" not in text
    return texts
