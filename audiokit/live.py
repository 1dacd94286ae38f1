"""Widgets around the browser Recorder: a live classifier and a guided dataset collector.

:func:`live_classifier` puts a :class:`~audiokit.recorder.Recorder` above a bar chart of the
top-k class probabilities. Each recording goes through :meth:`Predictor.predict` (trimmed by the
checkpoint's own rule, so silence around a word changes nothing); the **Listen** toggle feeds
the browser's chunks to :meth:`Predictor.stream`, the package's one rolling window, on a
background thread, so the kernel stays free to receive the next chunk.

:func:`collector` walks the student through ``clips_per_class`` recordings of each class and
writes ``root/<class>/<n>.wav``, the layout :func:`audiokit.datasets.from_folder` reads.

Notebook: 18_record_yourself
"""

from __future__ import annotations

import html
import queue
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import ipywidgets as widgets
import numpy as np

from audiokit.predict import Predictor
from audiokit.recorder import Recorder

__all__ = ["Collector", "LiveClassifier", "collector", "live_classifier", "probability_bars"]


def probability_bars(top: Sequence[tuple[str, float]], title: str = "") -> str:
    """HTML of a horizontal bar chart: one row per ``(label, probability)``, most probable first.

    Each row carries ``data-label`` and ``data-prob`` so tests (and people) can read it.

    Notebook: 18_record_yourself
    """
    rows = []
    for i, (label, p) in enumerate(top):
        colour = "#1f77b4" if i == 0 else "#9ecae1"
        lab = html.escape(str(label))
        rows.append(
            f'<div class="audiokit-prob-row" data-label="{lab}" data-prob="{p:.4f}" '
            f'style="display:flex;align-items:center;gap:6px;margin:2px 0">'
            f'<span style="width:7em;text-align:right">{lab}</span>'
            f'<span style="display:inline-block;height:1em;width:{300 * p:.0f}px;'
            f'background:{colour}"></span><span>{p:.2f}</span></div>')
    head = f"<div><b>{html.escape(title)}</b></div>" if title else ""
    return f'<div class="audiokit-probs">{head}{"".join(rows)}</div>'


class LiveClassifier(widgets.VBox):
    """A Recorder with a Listen toggle and the model's top-k probabilities below it.

    Attributes
    ----------
    recorder : Recorder
    predictor : Predictor
    top : list of (str, float)
        The last answer (a recording, or the last non-silent window while listening).
    latency_s : float or None
        Kernel time from receiving the last recording to showing its probabilities (seconds).
    stream_results : list of StreamResult
        What the last Listen session produced, window by window.

    Notebook: 18_record_yourself
    """

    def __init__(self, predictor: Predictor, seconds: float = 1.5, top_k: int = 3,
                 chunk_seconds: float = 0.25) -> None:
        self.predictor = predictor
        self.top_k = int(top_k)
        self.recorder = Recorder(seconds=seconds, sample_rate=predictor.sample_rate,
                                 listen_button=True, chunk_seconds=chunk_seconds)
        self.bars = widgets.HTML(probability_bars([], "press Record and say a word"))
        self.top: list[tuple[str, float]] = []
        self.latency_s: float | None = None
        self.stream_results: list = []
        self._queue: queue.Queue | None = None
        self._thread: threading.Thread | None = None
        self.recorder.on_recorded(self.classify)
        self.recorder.on_chunk(self.feed)
        self.recorder.on_listen(self._listen)
        super().__init__([self.recorder, self.bars])
        self.add_class("audiokit-live-classifier")

    def classify(self, y: np.ndarray, sr: int) -> list[tuple[str, float]]:
        """Top-k of one recording (trimmed by the checkpoint's rule), shown as bars."""
        t0 = time.perf_counter()
        self.top = self.predictor.predict(y, sr, top_k=self.top_k)
        self.bars.value = probability_bars(self.top, f"recording {self.recorder.recordings}")
        self.latency_s = time.perf_counter() - t0
        return self.top

    # -- listening: chunks -> queue -> Predictor.stream on a thread ---------------------------

    def _listen(self, on: bool) -> None:
        self.start() if on else self.stop()

    def start(self) -> None:
        """Start a rolling-window session; chunks given to :meth:`feed` are classified."""
        self.stop()
        self._queue = queue.Queue()
        self.stream_results = []
        self._thread = threading.Thread(target=self._consume, args=(self._queue,),
                                        name="audiokit-listen", daemon=True)
        self._thread.start()

    def feed(self, chunk: np.ndarray, sr: int) -> None:
        """One chunk of a live signal at ``sr`` Hz (starts a session if none is running)."""
        if self._queue is None:
            self.start()
        self._queue.put((chunk, sr))

    def stop(self, timeout_s: float = 10.0) -> None:
        """End the session: what was queued is still classified, then the thread ends."""
        q, t = self._queue, self._thread
        self._queue, self._thread = None, None
        if q is not None:
            q.put(None)
        if t is not None:
            t.join(timeout_s)

    def _consume(self, q: queue.Queue) -> None:
        first = q.get()
        if first is None:
            return
        rate = first[1]

        def chunks():
            yield first[0]
            for item in iter(q.get, None):
                yield item[0]

        try:
            for res in self.predictor.stream(chunks(), rate, top_k=self.top_k):
                self.stream_results.append(res)
                if res.silent:
                    self.bars.value = probability_bars(self.top, f"{res.time_s:.1f} s: silence")
                    continue
                self.top = res.top
                self.bars.value = probability_bars(res.top, f"listening, {res.time_s:.1f} s")
        except Exception as exc:  # noqa: BLE001 - a thread must tell the widget, not die silently
            self.recorder.error = f"Listening stopped: {type(exc).__name__}: {exc}"


def live_classifier(checkpoint_or_predictor, seconds: float = 1.5, top_k: int = 3,
                    window_s: float | None = None, hop_s: float | None = None,
                    device: str = "auto") -> LiveClassifier:
    """Record a word and see the model's top-k probabilities; **Listen** classifies continuously.

    Parameters
    ----------
    checkpoint_or_predictor : path, checkpoint dict or Predictor
        The model. A checkpoint becomes ``Predictor(..., trim="auto")`` (the checkpoint's own
        silence rule), so silence around the word gives the same answer as the word alone.
    seconds : float
        Length of each recording in seconds.
    top_k : int
        How many classes the bar chart shows.
    window_s, hop_s : float, optional
        Rolling window and hop of Listen in seconds (default: the training crop, half of it).

    Returns
    -------
    LiveClassifier

    Notebook: 18_record_yourself
    """
    pred = checkpoint_or_predictor
    if not isinstance(pred, Predictor):
        pred = Predictor(pred, device=device, window_s=window_s, hop_s=hop_s, trim="auto")
    return LiveClassifier(pred, seconds=seconds, top_k=top_k)


class Collector(widgets.VBox):
    """Guide the recording of ``clips_per_class`` clips of each class into ``root/<class>/<n>.wav``.

    Classes take turns (one clip of each, then the second of each, ...) so that a change of
    room or voice during the session spreads over every class. Clips already in the folder
    count: a collector started again continues where the last one stopped.

    Notebook: 18_record_yourself
    """

    def __init__(self, root, classes: Sequence[str], clips_per_class: int = 5,
                 seconds: float = 1.5, sample_rate: int = 16000) -> None:
        classes = [str(c) for c in classes]
        if not classes or len(set(classes)) != len(classes):
            raise ValueError(f"classes must be distinct names, got {classes}")
        bad = [c for c in classes if not c or "/" in c or "\\" in c or c.startswith(".")]
        if bad:
            raise ValueError(f"class names become folder names; not usable: {bad}")
        if int(clips_per_class) < 1:
            raise ValueError(f"clips_per_class must be >= 1, got {clips_per_class}")
        self.root = Path(root)
        self.classes = classes
        self.clips_per_class = int(clips_per_class)
        self.recorder = Recorder(seconds=seconds, sample_rate=sample_rate)
        self.prompt = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=len(self.plan), description="clips")
        self.redo_button = widgets.Button(description="Redo last clip", icon="undo")
        self.redo_button.on_click(lambda _b: self.redo())
        self.saved: list[Path] = []
        self.recorder.on_recorded(self.add)
        super().__init__([self.prompt, self.progress, self.recorder, self.redo_button])
        self.add_class("audiokit-collector")
        self._refresh()

    @property
    def plan(self) -> list[Path]:
        """Every file the collection will write, in recording order."""
        return [self.root / c / f"{n}.wav" for n in range(1, self.clips_per_class + 1)
                for c in self.classes]

    @property
    def next_path(self) -> Path | None:
        """Where the next recording goes; None when the collection is complete."""
        return next((p for p in self.plan if not p.exists()), None)

    @property
    def done(self) -> bool:
        return self.next_path is None

    def counts(self) -> dict[str, int]:
        """Clips on disk per class (of the planned names)."""
        return {c: sum((self.root / c / f"{n}.wav").exists()
                       for n in range(1, self.clips_per_class + 1)) for c in self.classes}

    def add(self, y: np.ndarray, sr: int) -> Path | None:
        """Save one clip as the next planned file; None (and a message) when complete."""
        from audiokit import io

        path = self.next_path
        if path is None:
            self.prompt.value = "<b>All clips are recorded.</b> Nothing was saved."
            return None
        io.save(path, y, sr)
        self.saved.append(path)
        self._refresh()
        return path

    def redo(self) -> Path | None:
        """Delete the clip saved last in this session, so it is recorded again next."""
        if not self.saved:
            return None
        path = self.saved.pop()
        path.unlink(missing_ok=True)
        self._refresh()
        return path

    def _refresh(self) -> None:
        counts = self.counts()
        self.progress.value = sum(counts.values())
        summary = ", ".join(f"{c}: {n}/{self.clips_per_class}" for c, n in counts.items())
        path = self.next_path
        if path is None:
            self.prompt.value = (f"<b>Done.</b> {summary}. The folder <code>{html.escape(str(self.root))}"
                                 f"</code> loads with <code>datasets.from_folder</code>.")
        else:
            self.prompt.value = (f"Press <b>Record</b> and say <b>{html.escape(path.parent.name)}"
                                 f"</b> (clip {path.stem} of {self.clips_per_class}). {summary}")


def collector(root, classes: Sequence[str], clips_per_class: int = 5,
              seconds: float = 1.5, sample_rate: int = 16000) -> Collector:
    """Record your own dataset: ``clips_per_class`` clips of each class into ``root/<class>/``.

    Returns
    -------
    Collector
        A widget; ``.add(y, sr)`` saves a clip from code (e.g. a file when there is no browser).

    Notebook: 18_record_yourself
    """
    return Collector(root, classes, clips_per_class=clips_per_class, seconds=seconds,
                     sample_rate=sample_rate)
