"""Helpers for the real-browser test: a throw-away JupyterLab server and a tiny widget notebook.

Everything runs on localhost: JupyterLab is started with news, update checks and the extension
manager's PyPI look-ups turned off, with its config, runtime, settings and workspace folders in a
temporary directory so the developer's own JupyterLab state never leaks into the test.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

# JupyterLab user settings that silence the first-run "news" toast and the update check.
_LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def find_chromium() -> str | None:
    """Return the path of a system Chromium binary, or None when there is none.

    Returns
    -------
    str or None
        ``/usr/bin/chromium`` when it exists, else ``chromium`` / ``chromium-browser`` on PATH.

    Notebook: none (test helper for the browser test).
    """
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 serving ``root_dir``; use as a context manager.

    Parameters
    ----------
    root_dir : Path
        Folder the server serves (notebooks are opened relative to it).
    state_dir : Path
        Scratch folder for Jupyter's config, runtime, settings and workspace files, and the log.
    start_timeout_s : float
        How long to wait, in seconds, for the server to answer before giving up.

    Notebook: none (test helper for the browser test).
    """

    def __init__(self, root_dir: Path, state_dir: Path, start_timeout_s: float = 60.0) -> None:
        self.root_dir = Path(root_dir)
        self.state_dir = Path(state_dir)
        self.start_timeout_s = start_timeout_s
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.log_path = self.state_dir / "jupyterlab.log"
        self._proc: subprocess.Popen | None = None
        self._log = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def notebook_url(self, relpath: str, workspace: str = "browser-test") -> str:
        """URL that opens ``relpath`` (relative to ``root_dir``) in JupyterLab, token included.

        Each ``workspace`` name starts with an empty layout, so tabs opened by an earlier page
        are not restored (and their kernels not restarted) in this one.
        """
        return (f"{self.base_url}/lab/workspaces/{workspace}/tree/{relpath}"
                f"?token={self.token}")

    def notebook7_url(self, relpath: str) -> str:
        """URL that opens ``relpath`` in Notebook 7 (served by the same server), token included."""
        return f"{self.base_url}/notebooks/{relpath}?token={self.token}"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        # The kernel must render figures the way a person sees them (inline backend), not with the
        # test suite's headless Agg backend.
        env.pop("MPLBACKEND", None)
        for var, sub in (
            ("JUPYTER_CONFIG_DIR", "config"),
            ("JUPYTER_RUNTIME_DIR", "runtime"),
            ("IPYTHONDIR", "ipython"),
        ):
            path = self.state_dir / sub
            path.mkdir(parents=True, exist_ok=True)
            env[var] = str(path)
        env["JUPYTER_PLATFORM_DIRS"] = "1"
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def _write_settings(self) -> Path:
        settings = self.state_dir / "lab-user-settings"
        for name, values in _LAB_SETTINGS.items():
            target = settings / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(values))
        return settings

    def command(self) -> list[str]:
        """The command line that starts the server (the test's own Python, so the same venv)."""
        workspaces = self.state_dir / "workspaces"
        workspaces.mkdir(parents=True, exist_ok=True)
        return [
            sys.executable, "-m", "jupyter", "lab",
            "--no-browser",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--ServerApp.ip=127.0.0.1",
            f"--IdentityProvider.token={self.token}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={self.root_dir}",
            "--ServerApp.open_browser=False",
            "--ServerApp.terminals_enabled=False",
            # The language-server extension shells out to npm & co. at start-up; not needed here.
            '--ServerApp.jpserver_extensions={"jupyter_lsp": False}',
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
            "--LabApp.extension_manager=readonly",
            "--LabApp.collaborative=False",
            "--LabApp.expose_app_in_browser=True",
            "--JupyterNotebookApp.expose_app_in_browser=True",  # Notebook 7 (same server)
            f"--LabApp.user_settings_dir={self._write_settings()}",
            f"--LabApp.workspaces_dir={workspaces}",
        ]

    def start(self) -> JupyterLab:
        """Start the server and wait (bounded) until its REST API answers."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self._proc = subprocess.Popen(
            self.command(), cwd=self.root_dir, env=self._env(),
            stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + self.start_timeout_s
        status_url = f"{self.base_url}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited with code {self._proc.returncode} before answering; "
                    f"log:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(status_url, timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise TimeoutError(
            f"JupyterLab did not answer on {self.base_url} within {self.start_timeout_s:.0f} s; "
            f"log:\n{self.log_tail()}"
        )

    def log_tail(self, n_chars: int = 3000) -> str:
        """The last ``n_chars`` characters of the server log (for failure messages)."""
        try:
            return self.log_path.read_text(errors="replace")[-n_chars:]
        except OSError:
            return "(no log)"

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop the server and its kernels (the whole process group): SIGTERM, then SIGKILL."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=timeout_s)
        # Kernels run in the same session; make sure none outlives the server.
        if proc is not None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def fake_microphone_args(wav: Path) -> list[str]:
    """Chromium switches for a fake microphone that plays (and loops) ``wav``, permission granted.

    Notebook: none (test helper for the browser test).
    """
    return ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
            f"--use-file-for-fake-audio-capture={wav}"]


def write_code_notebook(path: Path, cells: list[str]) -> Path:
    """Write a notebook of code cells (plain JSON, python3 kernel).

    Notebook: none (test helper for the browser test).
    """
    notebook = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                                    "language": "python"}, "language_info": {"name": "python"}},
        "cells": [{"id": f"cell-{i}", "cell_type": "code", "metadata": {}, "execution_count": None,
                   "outputs": [], "source": src} for i, src in enumerate(cells)],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    return path


def best_lag_correlation(rec, ref, sr: int, window_s: float = 0.5) -> list[float]:
    """For each ``window_s`` window of ``rec``, the largest normalised correlation with the
    (looped) reference ``ref`` over all lags: 1.0 means the window is a scaled copy of ``ref``.

    Notebook: none (test helper for the browser test).
    """
    import numpy as np
    from scipy.signal import fftconvolve

    n = round(window_s * sr)
    looped = np.tile(ref, int(np.ceil((len(rec) + n) / len(ref))) + 1).astype(np.float64)
    energy = np.sqrt(np.maximum(fftconvolve(looped ** 2, np.ones(n), mode="valid"), 1e-20))
    out = []
    for start in range(0, len(rec) - n + 1, n):
        w = rec[start: start + n].astype(np.float64)
        if np.sqrt(np.mean(w ** 2)) < 1e-3:  # a silent stretch of the looped file: no shape
            continue
        xc = fftconvolve(looped, w[::-1], mode="valid")
        out.append(float(np.max(xc / (energy * np.linalg.norm(w)))))
    return out


def write_widget_notebook(path: Path) -> Path:
    """Write a tiny notebook: an IntSlider whose value redraws a matplotlib sine in an Output.

    It mimics the structure of the tutorial explorers (root box with class ``audiokit-explorer``,
    ``continuous_update=False`` slider, figure displayed inside an ``Output`` widget) so the browser
    machinery can be tested without depending on a tutorial notebook.

    Parameters
    ----------
    path : Path
        Where to write the ``.ipynb`` file.

    Returns
    -------
    Path
        ``path``.

    Notebook: none (test helper for the browser test).
    """
    code = '''\
import sys
import numpy as np
import matplotlib.pyplot as plt
import ipywidgets as widgets
from IPython.display import display

print("kernel prefix:", sys.prefix)

slider = widgets.IntSlider(value=3, min=1, max=20, description="frequency (Hz)",
                           continuous_update=False)
out = widgets.Output()

def draw(change=None):
    t = np.linspace(0.0, 1.0, 400)
    with out:
        out.clear_output(wait=True)
        fig, ax = plt.subplots(figsize=(5, 2.5))
        ax.plot(t, np.sin(2 * np.pi * slider.value * t))
        ax.set_title(f"{slider.value} Hz")
        display(fig)
        plt.close(fig)

slider.observe(draw, names="value")
draw()
root = widgets.VBox([slider, out])
root.add_class("audiokit-explorer")
root
'''
    # Plain JSON (nbformat 4.5); importing nbformat costs seconds of schema compilation.
    notebook = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                           "language": "python"},
            "language_info": {"name": "python"},
        },
        "cells": [
            {"id": "smoke-title", "cell_type": "markdown", "metadata": {},
             "source": "# Widget smoke test"},
            {"id": "smoke-widget", "cell_type": "code", "metadata": {}, "execution_count": None,
             "outputs": [], "source": code},
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1) + "\n")
    return path


# ---------------------------------------------------------------------------------------------
# Driving JupyterLab from Playwright (page is a playwright.sync_api.Page)
# ---------------------------------------------------------------------------------------------

# JavaScript run in the page. ``window.jupyterapp`` exists because the server is started with
# ``--LabApp.expose_app_in_browser=True``.
_JS_NOTEBOOK_STATE = """() => {
  const dialog = document.querySelector('.jp-Dialog');
  if (dialog) return 'dialog: ' + dialog.innerText.replace(/\\s+/g, ' ').slice(0, 300);
  const app = window.jupyterapp;
  const w = app && app.shell && app.shell.currentWidget;
  if (!w || !w.sessionContext || !w.content || !w.content.widgets) return 'loading';
  const kernel = w.sessionContext.session && w.sessionContext.session.kernel;
  if (!kernel) return 'no kernel';
  if (kernel.connectionStatus !== 'connected') return 'kernel ' + kernel.connectionStatus;
  return 'kernel ' + kernel.status + ' ' + kernel.name;
}"""

_JS_RUN_ALL = """async (timeoutMs) => {
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('run-all did not finish in ' + timeoutMs + ' ms')), timeoutMs));
  return await Promise.race([
    window.jupyterapp.commands.execute('notebook:run-all-cells'), timeout]);
}"""

_JS_ERROR_OUTPUTS = """() => Array.from(document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.error"]'))
  .map(e => e.innerText.slice(0, 1500))"""

_JS_IMAGE_SRCS = """(root) => Array.from(root.querySelectorAll('img')).map(i => i.src)"""


def wait_for_state(page, predicate, timeout_s: float, what: str, poll_s: float = 0.25) -> str:
    """Poll :data:`_JS_NOTEBOOK_STATE` until ``predicate(state)``; fail on a dialog or timeout.

    Returns
    -------
    str
        The last state string, e.g. ``"kernel idle python3"``.

    Notebook: none (test helper for the browser test).
    """
    deadline = time.monotonic() + timeout_s
    state = "not polled"
    while time.monotonic() < deadline:
        state = page.evaluate(_JS_NOTEBOOK_STATE)
        if state.startswith("dialog: "):
            raise AssertionError(f"JupyterLab showed a dialog while waiting for {what}: {state}")
        if predicate(state):
            return state
        page.wait_for_timeout(int(poll_s * 1000))
    raise TimeoutError(f"waited {timeout_s:.0f} s for {what}; last state: {state!r}")


def kernel_idle(page, timeout_s: float, what: str = "an idle kernel") -> str:
    """Wait until the open notebook's kernel is connected and idle."""
    return wait_for_state(page, lambda s: s.startswith("kernel idle"), timeout_s, what)


def run_all_cells(page, timeout_s: float) -> None:
    """Run every cell of the open notebook (JupyterLab's ``notebook:run-all-cells`` command),
    wait for the kernel to go idle, and fail with the traceback text if a cell raised.

    Notebook: none (test helper for the browser test).
    """
    page.evaluate(_JS_RUN_ALL, int(timeout_s * 1000))
    kernel_idle(page, timeout_s, "the kernel to finish running all cells")
    errors = page.evaluate(_JS_ERROR_OUTPUTS)
    if errors:
        raise AssertionError("a notebook cell raised in the browser:\n" + "\n---\n".join(errors))


def image_srcs(root) -> list[str]:
    """The ``src`` of every ``<img>`` under the element handle/locator ``root``."""
    return root.evaluate(_JS_IMAGE_SRCS)


def wait_for_new_images(page, root, before: list[str], timeout_s: float,
                        settle_s: float = 0.75) -> list[str]:
    """Wait until ``root``'s images differ from ``before`` and then stop changing for
    ``settle_s`` seconds with the kernel idle; return the new ``src`` list.

    Notebook: none (test helper for the browser test).
    """
    deadline = time.monotonic() + timeout_s
    last, stable_since = None, None
    while time.monotonic() < deadline:
        srcs = image_srcs(root)
        idle = page.evaluate(_JS_NOTEBOOK_STATE).startswith("kernel idle")
        if srcs and srcs != before and idle:
            if srcs == last and stable_since is not None:
                if time.monotonic() - stable_since >= settle_s:
                    return srcs
            else:
                last, stable_since = srcs, time.monotonic()
        else:
            last, stable_since = None, None
        page.wait_for_timeout(150)
    raise TimeoutError(f"the figure did not change within {timeout_s:.0f} s of moving the slider")


def drag_slider(page, slider, fraction: float = 0.15) -> None:
    """Drag the handle of an ipywidgets slider (its ``.widget-slider`` box) to the right by
    ``fraction`` of the track width, like a person would: press, move in steps, release.

    Notebook: none (test helper for the browser test).
    """
    handle = slider.locator(".noUi-handle").first
    track = slider.locator(".noUi-target").first
    handle.scroll_into_view_if_needed()
    hb, tb = handle.bounding_box(), track.bounding_box()
    if hb is None or tb is None:
        raise AssertionError("the slider handle is not visible")
    x, y = hb["x"] + hb["width"] / 2, hb["y"] + hb["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + fraction * tb["width"], y, steps=8)
    page.mouse.up()


def png_pixels(data_url_or_bytes):
    """Decode a PNG (``data:image/png;base64,...`` URL or raw bytes) to a float RGBA array."""
    import base64
    import io

    import matplotlib.image as mpimg

    if isinstance(data_url_or_bytes, str):
        header, _, payload = data_url_or_bytes.partition(",")
        if "base64" not in header:
            raise ValueError(f"not a base64 data URL: {header[:60]!r}")
        data = base64.b64decode(payload)
    else:
        data = data_url_or_bytes
    return mpimg.imread(io.BytesIO(data), format="png")
