"""The widgets work for a person: JupyterLab + headless Chromium, a slider moved by the mouse.

The test starts JupyterLab on 127.0.0.1 (a temporary copy of ``notebooks/``, no network look-ups),
opens a notebook in Debian's Chromium through Playwright (no downloaded browser), runs all cells,
drags a slider of the ``audiokit-explorer`` widget and checks that the figure it shows changes.
Screenshots before and after go to ``tests/artifacts/browser/``.

Skipped when Chromium (``/usr/bin/chromium`` or ``chromium`` on PATH) or the ``playwright``
Python package is missing; ``.ci/run`` installs Debian's ``chromium`` so CI runs it.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys
import time
from pathlib import Path

import browser_helpers as bh
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
ARTIFACTS = ROOT / "tests" / "artifacts" / "browser"
SYNTHETIC = "_browser_smoke.ipynb"

# (notebook path relative to the served folder, regex for the slider's description)
CASES = {
    "synthetic_widget": (SYNTHETIC, r"frequency"),
    "01_digital_audio": ("01_digital_audio.ipynb", r"frequency"),
}

CHROMIUM = bh.find_chromium()
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="no Chromium (/usr/bin/chromium or on PATH)"),
    pytest.mark.skipif(not HAVE_PLAYWRIGHT, reason="the playwright Python package is missing"),
]

# Bounds (seconds) for every wait; the whole module takes ~35 s on 2 cores.
SERVER_START_S = 60
PAGE_LOAD_S = 60
RUN_ALL_S = 90
FIGURE_CHANGE_S = 30


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server serving a copy of ``notebooks/`` plus a generated widget notebook."""
    base = tmp_path_factory.mktemp("browser")
    served = base / "notebooks"
    if NOTEBOOKS.is_dir():
        shutil.copytree(NOTEBOOKS, served, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "runs", "*.out.ipynb"))
    served.mkdir(exist_ok=True)
    bh.write_widget_notebook(served / SYNTHETIC)
    server = bh.JupyterLab(served, base / "jupyter-state", start_timeout_s=SERVER_START_S)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=bh.CHROMIUM_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.parametrize("case", list(CASES))
def test_slider_changes_figure(case, lab, browser):
    relpath, slider_label = CASES[case]
    if not (lab.root_dir / relpath).is_file():
        pytest.fail(f"notebooks/{relpath} is missing: the browser test needs this widget notebook")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    console_errors: list[str] = []
    t0 = time.monotonic()
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.on("pageerror", lambda err: console_errors.append(f"pageerror: {err}"))
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            _exercise(page, lab, case, relpath, slider_label)
        except BaseException:
            page.screenshot(path=str(ARTIFACTS / f"{case}_failure.png"))
            print("browser console errors:\n" + "\n".join(console_errors[-20:]))
            print("JupyterLab log tail:\n" + lab.log_tail())
            raise
    finally:
        context.close()
    print(f"{case}: {time.monotonic() - t0:.1f} s in the browser")


def _exercise(page, lab, case: str, relpath: str, slider_label: str) -> None:
    page.goto(lab.notebook_url(relpath, workspace=f"test-{case}"), wait_until="domcontentloaded")
    state = bh.kernel_idle(page, PAGE_LOAD_S, "the notebook and its kernel")
    assert state == "kernel idle python3", state

    bh.run_all_cells(page, RUN_ALL_S)
    if relpath == SYNTHETIC:
        # The notebook's "python3" kernelspec must resolve to this environment's Python.
        expected = f"kernel prefix: {sys.prefix}"
        assert expected in page.locator(".jp-OutputArea").first.inner_text(), expected

    explorer = page.locator(".audiokit-explorer").first
    explorer.locator("img").first.wait_for(state="visible", timeout=FIGURE_CHANGE_S * 1000)
    explorer.scroll_into_view_if_needed()
    before = bh.image_srcs(explorer)
    assert before and all(s.startswith("data:image/png;base64,") for s in before), before[:1]

    label = page.locator(".widget-label", has_text=re.compile(slider_label, re.IGNORECASE))
    slider = explorer.locator(".widget-slider").filter(has=label).first
    assert slider.count() == 1, f"no slider labelled /{slider_label}/ in the explorer"
    readout = slider.locator(".widget-readout")
    value_before = readout.inner_text()
    page.screenshot(path=str(ARTIFACTS / f"{case}_before.png"))
    explorer.screenshot(path=str(ARTIFACTS / f"{case}_widget_before.png"))

    bh.drag_slider(page, slider)
    # continuous_update=False: the value reaches the kernel when the mouse is released.
    page.wait_for_function("([el, v]) => el.innerText !== v",
                           arg=[readout.element_handle(), value_before], timeout=5_000)
    value_after = readout.inner_text()
    after = bh.wait_for_new_images(page, explorer, before, FIGURE_CHANGE_S)

    explorer.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"{case}_after.png"))
    explorer.screenshot(path=str(ARTIFACTS / f"{case}_widget_after.png"))

    assert value_after != value_before
    assert len(after) == len(before), "the number of figures changed"
    px_before, px_after = bh.png_pixels(before[0]), bh.png_pixels(after[0])
    if px_before.shape == px_after.shape:
        changed = float(np.mean(np.any(np.abs(px_before - px_after) > 1e-3, axis=-1)))
        assert changed > 0.001, f"only {changed:.2%} of the figure's pixels changed"
    print(f"{case}: slider {value_before} -> {value_after}, figure {px_before.shape[:2]} px")
