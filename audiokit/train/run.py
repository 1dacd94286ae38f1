"""``fit(config)``: train, validate, checkpoint and report, epoch by epoch; returns a :class:`Run`.

Read top-down, a run is::

    fit(config)
      coerce_config            config.py   - a private TrainConfig copy
      Trainer(cfg, resume)     loop.py     - data, model, optimiser; refuses or resumes a run folder
      Monitor(...)             monitor.py  - bar or one line per epoch, history.csv, TensorBoard
      while epochs remain: _run_epoch
        Trainer.train_epoch    loop.py     - the steps (stops early on SIGINT / SIGTERM)
        Trainer.evaluate_split loop.py     - validation metrics, summed over ranks
        save_checkpoint        checkpoint.py - last.pt, and best.pt when validation improved
        Monitor.end_epoch, callbacks

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import torch

from audiokit.train.checkpoint import save_checkpoint
from audiokit.train.config import TrainConfig
from audiokit.train.loop import Trainer
from audiokit.train.monitor import Monitor
from audiokit.train.recipes import coerce_config
from audiokit.train.rundir import CONFIG

__all__ = ["Run", "fit"]


@dataclass
class Run:
    """What :func:`fit` returns.

    Attributes
    ----------
    history : list of dict
        One dict per epoch: epoch, step, lr, train_loss, train_acc, valid_loss, valid_acc,
        valid_f1, time_s.
    best_checkpoint, last_checkpoint : pathlib.Path
        ``out_dir/best.pt`` (highest validation accuracy) and ``out_dir/last.pt``.
    model : torch.nn.Module
        The trained model (final weights, eval mode, unwrapped from DDP / compile).
    extractor : FeatureExtractor
        The feature front-end used in training.
    classes : list of str
    out_dir : pathlib.Path
    config : TrainConfig
    interrupted : str or None
        ``"SIGINT"`` / ``"SIGTERM"`` when training stopped early on a signal.

    Notebook: 06_pipeline_and_training_loop
    """

    history: list
    best_checkpoint: Path
    last_checkpoint: Path
    model: torch.nn.Module
    extractor: torch.nn.Module
    classes: list
    out_dir: Path
    config: TrainConfig
    interrupted: str | None = None
    _stop_requested: bool = False

    def request_stop(self) -> None:
        """Ask the loop to stop after the current epoch (e.g. from a callback: early stopping).

        ``last.pt`` of that epoch is complete, so ``fit(..., resume=True)`` continues exactly."""
        self._stop_requested = True

    def plot_history(self, ax=None):
        """Loss / accuracy curves via ``audiokit.plots.plot_history``."""
        from audiokit.plots import plot_history

        return plot_history(self.history, ax=ax)


def fit(
    config: TrainConfig | dict | str | os.PathLike | None = None,
    *,
    resume: bool = False,
    progress: bool | str = True,
    live_plot: bool = False,
    callbacks: Iterable[Callable[[dict, Run], None]] = (),
    device: str | torch.device | None = None,
) -> Run:
    """Train a model as described by ``config``; returns a :class:`Run`.

    Parameters
    ----------
    config : TrainConfig, dict, path or None
        The run's settings (a YAML / JSON path is loaded; None = the spoken_digits recipe).
    resume : bool
        Continue the run in ``config.out_dir`` from ``last.pt`` (exactly: weights, optimiser,
        schedule, data order and RNG states). Without it, an ``out_dir`` that already holds
        ``last.pt`` is an error: runs are never silently overwritten or resumed.
    progress : bool or str
        On rank 0: ``True`` (default) shows a live tqdm bar in a notebook or when stderr is a
        terminal, and prints one line per epoch otherwise (log files, CI); ``"lines"`` always
        prints one line per epoch; ``"bar"`` always draws the bar; ``False`` is silent.
    live_plot : bool
        In a notebook, redraw ``plot_history`` after every epoch.
    callbacks : iterable of callables
        Each is called as ``cb(epoch_record, run)`` after every epoch on rank 0.
    device : str or torch.device, optional
        Overrides ``config.device``.

    Notes
    -----
    SIGINT (Ctrl-C) / SIGTERM finish the current step, save a resumable ``last.pt`` marked
    ``interrupted`` and return the Run with ``run.interrupted`` set. Under ``torchrun``
    (``WORLD_SIZE > 1``) the same loop runs with DistributedDataParallel; only rank 0 writes.

    Notebook: 06_pipeline_and_training_loop
    """
    cfg = coerce_config(config)
    if device is not None:
        cfg = cfg.replace(device=str(device))
    tr = Trainer(cfg, resume=resume)
    main = tr.dist.is_main
    if main:
        tr.out_dir.mkdir(parents=True, exist_ok=True)
        cfg.save(tr.out_dir / CONFIG)
    run = Run(tr.history, tr.best_path, tr.last_path, tr.model, tr.extractor, tr.classes,
              tr.out_dir, cfg)
    monitor = None
    if main:
        monitor = Monitor(tr.out_dir, cfg.epochs, progress=progress,
                          total_steps=tr.steps_per_epoch * cfg.epochs, done_steps=tr.step,
                          live_plot=live_plot, tensorboard=cfg.tensorboard)
    try:
        with _StopFlag() as stop:
            while tr.epoch < cfg.epochs:
                if _run_epoch(tr, run, stop, monitor, callbacks):
                    break
    finally:
        if monitor is not None:
            monitor.close()
    tr.model.eval()
    run.history = tr.history
    return run


def _run_epoch(tr: Trainer, run: Run, stop: _StopFlag, monitor: Monitor | None,
               callbacks: Iterable[Callable[[dict, Run], None]]) -> bool:
    """Train, validate, save and report one epoch; True when the run should stop here.

    ``monitor`` is None on ranks other than 0, which neither write nor report.
    """
    main = monitor is not None
    t0 = time.perf_counter()
    epoch = tr.epoch
    if main:
        monitor.begin_epoch(epoch)
    rec = {"epoch": epoch + 1}
    rec.update(tr.train_epoch(epoch, stop, monitor.bar if main else None))
    if stop.signal is not None and tr.batch_in_epoch < tr.steps_per_epoch:
        if main:  # stopped mid-epoch: last.pt resumes at the next batch
            save_checkpoint(tr.last_path, tr.state(interrupted=stop.signal))
        run.interrupted = stop.signal
        return True
    tr.epoch, tr.batch_in_epoch = epoch + 1, 0
    rec.update(tr.evaluate_split("valid"))
    rec.update({"step": tr.step, "lr": tr.sched.get_last_lr()[0],
                "time_s": time.perf_counter() - t0})
    tr.history.append(rec)
    metric = rec.get("valid_acc", -rec["train_loss"])
    improved = metric > tr.best_metric
    if improved:
        tr.best_metric = metric
    if main:
        state = tr.state(interrupted=stop.signal)
        save_checkpoint(tr.last_path, state)
        if improved:
            save_checkpoint(tr.best_path, state)
        monitor.end_epoch(rec, tr.history)
        for cb in callbacks:
            cb(rec, run)
    if stop.signal is not None:
        if main and state["interrupted"] is None:
            # The signal came while this epoch was being saved: mark last.pt too.
            save_checkpoint(tr.last_path, tr.state(interrupted=stop.signal))
        run.interrupted = stop.signal
        return True
    return run._stop_requested


class _StopFlag:
    """Catches SIGINT / SIGTERM during training: the current step finishes, then we stop."""

    def __init__(self) -> None:
        self.signal: str | None = None
        self._old: dict = {}

    def __enter__(self) -> _StopFlag:  # noqa: PYI034
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.getsignal(sig)
                signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        if self.signal is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt  # second Ctrl-C: stop right now
        self.signal = signal.Signals(signum).name

    def __exit__(self, *exc) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)
