"""What a run reports while it trains: progress, one record per epoch, history.csv, curves.

Progress takes one of three forms (``fit(progress=...)``):

- ``"bar"``: a live tqdm bar (a widget in notebooks, text on a terminal's stderr) with one line
  per finished epoch written above it;
- ``"lines"``: one line per epoch on stdout and nothing else, what a log file or CI wants;
- ``"off"``: silent.

``True`` (the default) picks ``"bar"`` in a notebook or when stderr is a terminal and
``"lines"`` otherwise (``audiokit train ... 2> log``, CI, nohup), so logs never fill with
carriage-return bar redraws.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

from audiokit.train.fastpath import FASTPATH_COLUMNS
from audiokit.train.rundir import HISTORY

__all__ = ["LivePlot", "Monitor", "format_record", "history_columns", "progress_mode",
           "write_history_csv"]

PROGRESS_MODES = ("bar", "lines", "off")


def progress_mode(progress: bool | str | None) -> str:
    """``"bar"``, ``"lines"`` or ``"off"`` for a ``fit(progress=...)`` value.

    ``True`` / ``"auto"``: a bar in a notebook or on a terminal, else one line per epoch.
    ``False`` / ``None`` / ``"off"``: silent. ``"bar"`` / ``"lines"``: that form.

    Notebook: 06_pipeline_and_training_loop
    """
    if progress is True or progress == "auto":
        return "bar" if _in_notebook() or _stderr_is_terminal() else "lines"
    if progress is False or progress is None:
        return "off"
    if progress in PROGRESS_MODES:
        return str(progress)
    raise ValueError(f"progress must be True, False, 'auto', 'bar', 'lines' or 'off', "
                     f"got {progress!r}")


def _stderr_is_terminal() -> bool:
    isatty = getattr(sys.stderr, "isatty", None)
    return bool(isatty is not None and isatty())


def _in_notebook() -> bool:
    """True inside a Jupyter kernel (where tqdm draws a widget; stderr is not a terminal there)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell is not None and "IPKernelApp" in getattr(shell, "config", {})


def format_record(rec: dict, epochs: int | None = None) -> str:
    """One epoch record as one line: ``epoch 3/12 | train_loss 0.4123 | ... | 2.1s``.

    Notebook: 06_pipeline_and_training_loop
    """
    parts = [f"epoch {rec['epoch']}" + (f"/{epochs}" if epochs else "")]
    for k in ("train_loss", "train_acc", "valid_loss", "valid_acc", "valid_f1"):
        if k in rec:
            parts.append(f"{k} {rec[k]:.4f}")
    parts.append(f"{rec.get('time_s', 0):.1f}s")
    return " | ".join(parts)


def history_columns(history: list[dict]) -> list[str]:
    """``history.csv``'s columns: the metrics in order of first appearance, then the run's
    fast-path settings (``audiokit.train.fastpath.FASTPATH_COLUMNS``: amp, channels_last, ...).

    Notebook: 06_pipeline_and_training_loop
    """
    keys: list[str] = []
    for h in history:
        keys += [k for k in h if k not in keys]
    return [k for k in keys if k not in FASTPATH_COLUMNS] + [k for k in keys if k in FASTPATH_COLUMNS]


def write_history_csv(path: Path, history: list[dict]) -> None:
    """Write the epoch records as CSV (atomically; columns as :func:`history_columns` orders them).

    Notebook: 06_pipeline_and_training_loop
    """
    if not history:
        return
    keys = history_columns(history)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".csv.tmp")
    with open(tmp, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=keys)
        w.writeheader()
        w.writerows(history)
    os.replace(tmp, path)


class LivePlot:
    """Redraws ``plot_history`` in place in a notebook cell (IPython display handle)."""

    def __init__(self) -> None:
        self.handle = None
        self.fig = None

    def update(self, history: list[dict]) -> None:
        try:
            import matplotlib.pyplot as plt
            from IPython.display import display

            from audiokit.plots import plot_history
        except ImportError:
            return
        if self.fig is not None:
            plt.close(self.fig)
        self.fig, _ = plot_history(history)
        if self.handle is None:
            self.handle = display(self.fig, display_id=True)
        else:
            self.handle.update(self.fig)
        plt.close(self.fig)


def _tb_writer(enabled: bool, out_dir: Path):
    if not enabled:
        return None
    try:
        from torch.utils.tensorboard import SummaryWriter
    except Exception:  # noqa: BLE001 - tensorboard missing or broken: skip the logs
        return None
    return SummaryWriter(str(out_dir / "tb"))


class Monitor:
    """Rank 0's reporting for one run: the bar, epoch lines, history.csv, TensorBoard, live plot.

    Parameters
    ----------
    out_dir : pathlib.Path
        The run folder (``history.csv`` and ``tb/`` go there).
    epochs : int
        Planned epochs (shown as ``epoch k/epochs``).
    progress : bool or str
        See :func:`progress_mode`.
    total_steps, done_steps : int
        Steps of the whole run and steps already done (a resumed run's bar starts there).
    live_plot : bool
        Redraw ``plot_history`` in the notebook after every epoch (instead of epoch lines).
    tensorboard : bool
        Also write every numeric record field to ``out_dir/tb``.

    Notebook: 06_pipeline_and_training_loop
    """

    def __init__(self, out_dir: Path, epochs: int, *, progress: bool | str = True,
                 total_steps: int = 0, done_steps: int = 0, live_plot: bool = False,
                 tensorboard: bool = False) -> None:
        self.history_path = Path(out_dir) / HISTORY
        self.epochs = epochs
        self.mode = progress_mode(progress)
        self.plot = LivePlot() if live_plot else None
        self.writer = _tb_writer(tensorboard, Path(out_dir))
        self.bar = None
        if self.mode == "bar":
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total_steps, initial=done_steps, desc="train", unit="step",
                            dynamic_ncols=True)

    def begin_epoch(self, epoch: int) -> None:
        """Label the bar with the epoch about to run (0-based ``epoch``)."""
        if self.bar is not None:
            self.bar.set_description(f"epoch {epoch + 1}/{self.epochs}")

    def end_epoch(self, rec: dict, history: list[dict]) -> None:
        """Report a finished epoch: history.csv, TensorBoard, then the plot or one line."""
        write_history_csv(self.history_path, history)
        if self.writer is not None:
            for k, v in rec.items():
                if k != "epoch" and isinstance(v, (int, float)) and not isinstance(v, bool):
                    self.writer.add_scalar(k, v, rec["epoch"])
        line = format_record(rec, self.epochs)
        if self.plot is not None:
            self.plot.update(history)
        elif self.bar is not None:
            self.bar.write(line)
        elif self.mode == "lines":
            print(line, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        if self.writer is not None:
            self.writer.close()
