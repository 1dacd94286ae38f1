"""The static course (``audiokit course build``): pages from small hand-made executed notebooks
(math, audio, figures, widget snapshots, error pages), and one real kernel run of two tiny
notebooks. The real course is checked in test_notebooks.py, from CI's own executed copies."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat import v4

sys.path.insert(0, str(Path(__file__).parent))
from course_helpers import (
    audio_html,
    check_course,
    executed_notebook,
    png_b64,
    write,
)

pytest.importorskip("nbconvert")
pytest.importorskip("latex2mathml")

from audiokit import course
from audiokit.course import render
from audiokit.course.snapshot import snapshot_widgets


def test_math_to_mathml_and_notebook_links_to_pages(monkeypatch):
    inline = render.to_mathml("x^2")
    assert inline.startswith("<math") and 'display="inline"' in inline
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in inline
    block = render.latex_output_to_mathml("$$\\frac{a}{b}$$")
    assert 'display="block"' in block and "<mfrac>" in block and "$" not in block
    assert "<msqrt>" in render.latex_output_to_mathml("\\[\\sqrt{2}\\]")
    # what latex2mathml cannot parse stays readable as TeX instead of breaking the page
    def refuse(tex, display="inline"):
        raise ValueError(tex)

    monkeypatch.setattr("latex2mathml.converter.convert", refuse)
    assert render.to_mathml("a < b") == '<code class="course-tex">a &lt; b</code>'
    assert render.page_url("03_fourier_and_stft.ipynb") == "03_fourier_and_stft.html"
    assert render.page_url("./07_tdnn.ipynb#pooling") == "07_tdnn.html#pooling"
    assert render.page_url("https://example.org/a.ipynb") == "https://example.org/a.ipynb"


def test_widget_snapshot_lists_controls_and_keeps_the_output_widgets_outputs():
    png = png_b64(0.25)
    nb = executed_notebook("01 · Widgets", widget=True)
    assert snapshot_widgets(nb) == 2
    assert "widgets" not in nb.metadata  # no state left for a script to read
    outs = nb.cells[-2].outputs
    kinds = [(o["output_type"], sorted(o["data"])) for o in outs]
    assert kinds == [("display_data", ["text/html", "text/plain"]),   # the controls
                     ("display_data", ["image/png", "text/plain"]),   # the Output widget's figure
                     ("display_data", ["text/html", "text/plain"])]   # the progress bar
    assert outs[1]["data"]["image/png"] == png
    controls = outs[0]["data"]["text/html"]
    values = dict(re.findall(r'label">([^<]*)</span> <span class="course-widget-value">([^<]*)<',
                             controls))
    assert values == {"freq (Hz)": "440.00", "window": "hann", "log scale": "on"}
    # the HBox's two controls share a row; the checkbox is on its own
    assert controls.count('class="course-widget-row"') == 1
    bar = outs[2]["data"]["text/html"]
    assert ('<span class="course-widget-label">epoch</span> <span class="course-widget-value">'
            '<progress value="3" max="4"></progress> 3 / 4</span>') in bar


def test_a_widget_missing_from_the_saved_state_says_so():
    nb = executed_notebook("01 · x", widget=True)
    nb.metadata.pop("widgets")
    snapshot_widgets(nb)
    assert "was not saved with the notebook" in nb.cells[-2].outputs[0]["data"]["text/html"]


@pytest.fixture
def fixture_course(tmp_path):
    """Three executed notebooks: math + figure + audio, widgets, a link to the first."""
    src = tmp_path / "executed"
    paths = [
        write(executed_notebook("01 · Signals", plot=png_b64(0.1), audio=audio_html(0)),
              src / "01_signals.ipynb"),
        write(executed_notebook("02 · Explore <widgets>", widget=True), src / "02_explore.ipynb"),
        write(executed_notebook("03 · Next", math=False, link="01_signals.ipynb#what"),
              src / "03_next.ipynb"),
    ]
    return paths, course.build(tmp_path / "site", notebooks=paths, executed_dir=src)


def test_fixture_course_pages_index_and_manifest(fixture_course):
    paths, index = fixture_course
    texts = check_course(index, paths)
    one, two, three = (texts[f"{p.stem}.html"] for p in paths)
    # math: both spans of the first notebook are MathML, inline and display
    assert one.count("<math ") == 2 and 'display="block"' in one
    assert "<msup><mi>x</mi><mn>2</mn></msup>" in one and "$x^2$" not in one
    # the figure and the audio player, byte for byte
    assert f'src="data:image/png;base64,{png_b64(0.1)}"' in one
    wav = re.search(r"data:audio/wav;base64,([A-Za-z0-9+/=]+)", audio_html(0))[1]
    assert f'src="data:audio/wav;base64,{wav}"' in one
    # the widget page: its snapshot and the Output widget's figure
    assert 'class="course-widget"' in two and f"base64,{png_b64(0.25)}" in two
    assert "02 · Explore &lt;widgets&gt;" in two  # titles are escaped
    # a link to another notebook points to its page; prose links elsewhere stay
    assert 'href="01_signals.html#what"' in three
    assert 'href="https://example.org/page"' in three
    # the index carries the same CSS, unescaped
    assert '.course-widget-label::after { content: ":"; }' in index.read_text()
    manifest = json.loads((index.parent / "course.json").read_text())
    assert [e["page"] for e in manifest["notebooks"]] == [f"{p.stem}.html" for p in paths]
    assert [e["error"] for e in manifest["notebooks"]] == [None, None, None]
    assert manifest["parameters"] == "defaults"
    assert "each executed\nwith its default parameters" in index.read_text()


def test_a_failed_notebook_gets_an_error_page_and_the_others_are_built(tmp_path):
    src = tmp_path / "executed"
    ok = write(executed_notebook("01 · Fine", plot=png_b64()), src / "01_fine.ipynb")
    bad = write(executed_notebook("02 · Broken", error=True), src / "02_broken.ipynb")
    gone = write(executed_notebook("03 · Never ran"), tmp_path / "sources" / "03_gone.ipynb")
    with pytest.raises(course.CourseBuildError) as info:
        course.build(tmp_path / "site", notebooks=[ok, bad, gone], executed_dir=src)
    err = info.value
    assert err.failures == {"02_broken": "ZeroDivisionError: division by zero",
                            "03_gone": f"no executed copy 03_gone.ipynb in {src}"}
    assert "\n" not in str(err) and str(err).startswith("2 of 3 notebooks failed")
    site = tmp_path / "site"
    assert err.index == site / "index.html"
    assert sorted(p.name for p in site.glob("*.html")) == [
        "01_fine.html", "02_broken.html", "03_gone.html", "index.html"]
    broken = (site / "02_broken.html").read_text()
    assert 'class="course-error"' in broken and "ZeroDivisionError: division by zero" in broken
    assert 'class="course-error"' not in (site / "01_fine.html").read_text()
    index = (site / "index.html").read_text()
    assert index.count('class="course-failed"') == 2


def test_select_by_number_stem_and_path(tmp_path):
    folder = tmp_path / "nbs"
    for stem in ("00_a", "01_b", "02_c"):
        write(v4.new_notebook(cells=[v4.new_markdown_cell(f"# {stem}")]), folder / f"{stem}.ipynb")
    names = [p.name for p in course.select(["02", "00_a", "02_c"], folder=folder)]
    assert names == ["00_a.ipynb", "02_c.ipynb"]
    assert len(course.select(None, folder=folder)) == 3
    with pytest.raises(ValueError, match="00, 01, 02"):
        course.select(["7"], folder=folder)


def test_tiny_is_the_parameters_of_real_notebooks():
    stems = {p.stem for p in course.notebook_dir().glob("[0-9][0-9]_*.ipynb")}
    assert set(course.TINY) <= stems
    assert course.TINY["07_tdnn"]["epochs"] == 1


@pytest.mark.slow
def test_build_runs_kernels_with_inline_figures_and_reports_a_failure(tmp_path, monkeypatch):
    """Two tiny notebooks through a real kernel, under CI's MPLBACKEND=Agg: the first plots and
    shows a widget (its page has the PNG and the slider's value), the second raises."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    pytest.importorskip("papermill")
    good = v4.new_notebook(cells=[
        v4.new_markdown_cell("# 01 · Runs"),
        v4.new_code_cell("n = 3", metadata={"tags": ["parameters"]}),
        v4.new_code_cell("import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\n"
                         "ax.plot(range(n))"),
        v4.new_code_cell("import ipywidgets as w\nw.IntSlider(value=n, description='count')"),
    ])
    bad = v4.new_notebook(cells=[v4.new_markdown_cell("# 02 · Fails"),
                                 v4.new_code_cell("raise ValueError('on purpose')")])
    for nb in (good, bad):
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
    paths = [write(good, tmp_path / "01_runs.ipynb"), write(bad, tmp_path / "02_fails.ipynb")]
    lines = []
    with pytest.raises(course.CourseBuildError) as info:
        course.build(tmp_path / "site", notebooks=paths, log=lines.append)
    assert list(info.value.failures) == ["02_fails"]
    assert "ValueError: on purpose" in info.value.failures["02_fails"]
    assert lines[0].startswith("01_runs: ok in ") and lines[1].startswith("02_fails: FAILED")
    page = (tmp_path / "site" / "01_runs.html").read_text()
    assert page.count('src="data:image/png;base64,') == 1
    assert 'course-widget-label">count</span> <span class="course-widget-value">3<' in page
    assert "ValueError" in (tmp_path / "site" / "02_fails.html").read_text()
    executed = nbformat.read(str(paths[0]), as_version=4)  # the source is left untouched
    assert not any(c.get("outputs") for c in executed.cells if c.cell_type == "code")


def test_a_live_only_widget_is_named_with_its_last_message():
    nb = executed_notebook("18 · x")
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"r1": {
        "model_name": "AnyModel", "model_module": "anywidget",
        "state": {"_anywidget_id": "audiokit.recorder.Recorder", "_esm": "export default {}",
                  "message": "0.74 s at 16000 Hz"}}}}}
    nb.cells.append(v4.new_code_cell("Recorder()", execution_count=9, outputs=[v4.new_output(
        "display_data", data={"application/vnd.jupyter.widget-view+json": {"model_id": "r1"}})]))
    snapshot_widgets(nb)
    text = nb.cells[-1].outputs[0]["data"]["text/html"]
    assert ('<span class="course-widget-live">Recorder (a live widget: it needs a running kernel '
            "and a browser): 0.74 s at 16000 Hz</span>") in text
    assert "export default" not in text  # the widget's JavaScript is not on the page


def test_the_index_says_which_parameters_the_copies_ran_with(tmp_path):
    """Executed copies carry papermill's record of their parameters: CI's tiny ones here."""
    src = tmp_path / "executed"
    tiny = executed_notebook("07 · TDNN", math=False)
    tiny.metadata["papermill"] = {"parameters": course.TINY["07_tdnn"], "duration": 12.34}
    paths = [write(executed_notebook("01 · A", math=False), src / "01_a.ipynb"),
             write(tiny, src / "07_tdnn.ipynb")]
    index = course.build(tmp_path / "site", notebooks=paths, executed_dir=src)
    manifest = json.loads((index.parent / "course.json").read_text())
    assert manifest["parameters"] == "tiny"
    assert [e["seconds"] for e in manifest["notebooks"]] == [None, 12.3]
    assert "with CI's tiny parameters" in index.read_text()
    other = dict(course.TINY["07_tdnn"], epochs=5)
    tiny.metadata["papermill"]["parameters"] = other
    write(tiny, src / "07_tdnn.ipynb")
    index = course.build(tmp_path / "site", notebooks=paths, executed_dir=src)
    assert json.loads((index.parent / "course.json").read_text())["parameters"] == "mixed"


def test_a_page_that_cannot_render_gets_a_bare_page_and_the_others_are_built(tmp_path,
                                                                              monkeypatch):
    src = tmp_path / "executed"
    paths = [write(executed_notebook(f"0{i} · N{i}", math=False), src / f"0{i}_n.ipynb")
             for i in (1, 2)]
    real = render.render_page

    def flaky(nb, title, nav, error=None):
        if title.startswith("01"):
            raise KeyError("metadata")
        return real(nb, title, nav, error)

    monkeypatch.setattr(render, "render_page", flaky)
    with pytest.raises(course.CourseBuildError) as info:
        course.build(tmp_path / "site", notebooks=paths, executed_dir=src)
    assert info.value.failures == {"01_n": "could not render the page: KeyError: 'metadata'"}
    bare = (tmp_path / "site" / "01_n.html").read_text()
    assert "KeyError: &#x27;metadata&#x27;" in bare and 'href="02_n.html"' in bare
    assert 'class="course-error"' not in (tmp_path / "site" / "02_n.html").read_text()
