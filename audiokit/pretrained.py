"""Official PANNs AudioSet checkpoints -> ordinary audiokit checkpoints (the one foreign boundary).

The PANNs authors (Kong et al. 2020, qiuqiangkong/audioset_tagging_cnn) publish CNN6 / CNN10 /
CNN14 (32 kHz) and CNN14_16k weights trained on AudioSet's 527 classes. Their files are dicts
``{"iteration", "model": state_dict, "sampler": {...NumPy arrays...}}`` whose state dict holds the
front-end as frozen tensors (``spectrogram_extractor`` / ``logmel_extractor``), a BatchNorm over
the 64 mel bins (``bn0``), the conv blocks, ``fc1`` (the embedding) and ``fc_audioset`` (the head).

:func:`convert` reads such a file *without executing code* (``torch.load(weights_only=True)``
with only NumPy's array-rebuilding functions allow-listed), recognises the architecture from the
tensor shapes, checks that the frozen front-end is the one it should be, renames the weights to
our ``panns_cnn*`` modules and writes a self-describing audiokit checkpoint: model name, the
matching :class:`~audiokit.features.FeatureExtractor` settings, the 527 AudioSet class names and
``task = "multi_label"``. Nothing downstream knows the file came from elsewhere.

>>> from audiokit import pretrained
>>> pretrained.convert("Cnn14_mAP=0.431.pth", "cnn14_audioset.pt")   # doctest: +SKIP

Notebook: 09_panns, 17_transfer_learning
"""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import torch

from audiokit.train.checkpoint import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, save_checkpoint

__all__ = ["ARCHITECTURES", "PANNS_FEATURES", "Converted", "PretrainedError", "audioset_labels", "convert",
           "convert_state_dict", "detect_architecture", "is_multi_label", "load_official", "official_layout"]

MULTI_LABEL = "multi_label"

# Front-end of the official models (their pytorch/main.py and models.py defaults).
_COMMON = {"kind": "log_mel", "n_mels": 64, "f_min": 50.0, "window": "hann", "center": True,
           "pad_mode": "reflect", "power": 2.0, "log_floor": 1e-10, "normalize": None}
PANNS_FEATURES: dict[int, dict] = {
    32000: {**_COMMON, "sample_rate": 32000, "n_fft": 1024, "win_length": 1024, "hop_length": 320,
            "f_max": 14000.0},
    16000: {**_COMMON, "sample_rate": 16000, "n_fft": 512, "win_length": 512, "hop_length": 160,
            "f_max": 8000.0},
}

# official name -> (our registry model, sample rate in Hz)
ARCHITECTURES: dict[str, tuple[str, int]] = {
    "Cnn6": ("panns_cnn6", 32000),
    "Cnn10": ("panns_cnn10", 32000),
    "Cnn14": ("panns_cnn14", 32000),
    "Cnn14_16k": ("panns_cnn14", 16000),
}

N_AUDIOSET = 527


class PretrainedError(ValueError):
    """A foreign checkpoint cannot be converted; the message names the file and the problem."""


# -- reading the official file ---------------------------------------------------------------

def _numpy_globals() -> list:
    """The NumPy functions/classes a pickled array needs, under both NumPy 1.x and 2.x names.

    Nothing else is allowed: a file that pickles any other object still fails to load.
    """
    try:
        from numpy._core import multiarray
    except ImportError:  # NumPy 1.x
        from numpy.core import multiarray
    out: list = [np.ndarray, np.dtype]
    for fn in (multiarray._reconstruct, multiarray.scalar):
        for module in ("numpy.core.multiarray", "numpy._core.multiarray"):
            out.append((fn, f"{module}.{fn.__name__}"))
    for cls in vars(getattr(np, "dtypes", object)).values():  # np.dtypes.Float64DType ... (>= 1.25)
        if isinstance(cls, type) and issubclass(cls, np.dtype):
            out.append(cls)
    return out


def load_official(path: str | os.PathLike) -> tuple[dict[str, torch.Tensor], int | None]:
    """The state dict and iteration of an official PANNs file, loaded without running code.

    Raises
    ------
    PretrainedError
        Missing, truncated or corrupt file, a file holding objects other than tensors, plain
        types and NumPy arrays, or no state dict inside; the message names the file.

    Notebook: 17_transfer_learning
    """
    p = Path(path)
    if not p.is_file():
        raise PretrainedError(f"{p}: file not found" if not p.exists() else f"{p}: not a file")
    try:
        with torch.serialization.safe_globals(_numpy_globals()):
            ck = torch.load(p, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any failure means "not a readable checkpoint"
        text = str(exc)
        if "global" in text.lower() and ("unsupported" in text.lower() or "blocked" in text.lower()):
            found = re.search(r"GLOBAL ([\w.]+)", text)
            what = f" ({found.group(1)})" if found else ""
            raise PretrainedError(f"{p}: refused to load: it contains Python objects{what} other "
                                  f"than tensors and NumPy arrays, so it is not a PANNs "
                                  f"checkpoint that can be read safely") from None
        first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
        raise PretrainedError(f"{p}: not a readable checkpoint (truncated or corrupt file: "
                              f"{first})") from None
    state = ck.get("model", ck) if isinstance(ck, dict) else None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise PretrainedError(f"{p}: no PANNs state dict inside (expected a dict with a 'model' "
                              f"entry of tensors)")
    if ck.get("format") == CHECKPOINT_FORMAT:
        raise PretrainedError(f"{p}: is already an audiokit checkpoint; use it directly")
    iteration = ck.get("iteration") if isinstance(ck, dict) else None
    return state, int(iteration) if isinstance(iteration, int) else None


# -- architectures -----------------------------------------------------------------------------

def _our_keys(arch: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape of our ``panns_cnn*`` state dict for ``arch`` (built on the meta device)."""
    from audiokit import models

    with torch.device("meta"):
        model = models.build(ARCHITECTURES[arch][0], num_classes=N_AUDIOSET, n_features=64)
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


def _official_name(ours: str) -> str | None:
    """Official key of one of our ``panns_cnn*`` keys (None for keys the original lacks)."""
    m = re.fullmatch(r"blocks\.(\d+)\.convs\.(\d+)\.([01])\.(.+)", ours)
    if m:
        block, conv, layer, rest = int(m[1]) + 1, int(m[2]) + 1, m[3], m[4]
        return f"conv_block{block}.{'conv' if layer == '0' else 'bn'}{conv}.{rest}"
    if ours.startswith(("bn0.", "fc1.")):
        return ours
    if ours.startswith("classifier.2."):
        return "fc_audioset." + ours[len("classifier.2."):]
    return None


def _to_ours(key: str, value: torch.Tensor) -> torch.Tensor:
    """One official tensor as our module holds it.

    The official maps are (time, frequency), ours (frequency, time): a convolution kernel is
    transposed over its two spatial axes (exact, since the kernels and poolings are square).
    """
    if value.dim() == 4:
        return value.transpose(-1, -2).contiguous()
    return value.clone()


def official_layout(arch: str) -> dict[str, tuple[int, ...]]:
    """Key -> shape of the official state dict of ``arch`` (front-end included), in its order.

    Built from our model and the key mapping, so the mapping is checked by comparing this with
    the layout recorded from the official code.

    Notebook: 17_transfer_learning
    """
    _, rate = ARCHITECTURES[arch]
    n_fft = PANNS_FEATURES[rate]["n_fft"]
    n_bins = n_fft // 2 + 1
    front = {"spectrogram_extractor.stft.conv_real.weight": (n_bins, 1, n_fft),
             "spectrogram_extractor.stft.conv_imag.weight": (n_bins, 1, n_fft),
             "logmel_extractor.melW": (n_bins, 64)}
    body = {_official_name(k): shape for k, shape in _our_keys(arch).items()}
    convs = sorted((k for k in body if k.startswith("conv_block")), key=_block_order)
    order = ([k for k in body if k.startswith("bn0.")] + convs
             + [k for k in body if k.startswith(("fc1.", "fc_audioset."))])
    return {**front, **{k: body[k] for k in order}}


def _block_order(key: str) -> tuple[int, int, int]:
    """Official order inside the conv blocks: block, then conv1, conv2, bn1, bn2."""
    m = re.match(r"conv_block(\d+)\.(conv|bn)(\d+)", key)
    return int(m[1]), 0 if m[2] == "conv" else 1, int(m[3])


def detect_architecture(state: dict[str, torch.Tensor], path: str | os.PathLike = "<state>") -> str:
    """``"Cnn6"``, ``"Cnn10"``, ``"Cnn14"`` or ``"Cnn14_16k"`` from the tensor shapes.

    Raises
    ------
    PretrainedError
        Another architecture (wrong shapes), a missing key or an unexpected key; names ``path``.

    Notebook: 17_transfer_learning
    """
    p = str(path)
    stft = state.get("spectrogram_extractor.stft.conv_real.weight")
    conv1 = state.get("conv_block1.conv1.weight")
    if stft is None or conv1 is None:
        missing = "spectrogram_extractor.stft.conv_real.weight" if stft is None else "conv_block1.conv1.weight"
        raise PretrainedError(f"{p}: not a PANNs Cnn6/Cnn10/Cnn14 checkpoint (missing key {missing})")
    n_blocks = len({k.split(".")[0] for k in state if k.startswith("conv_block")})
    kernel = conv1.shape[-1]
    guess = {(5, 4): "Cnn6", (3, 4): "Cnn10", (3, 6): "Cnn14"}.get((kernel, n_blocks))
    if guess == "Cnn14" and stft.shape[-1] == 512:
        guess = "Cnn14_16k"
    if guess is None:
        raise PretrainedError(f"{p}: unsupported PANNs architecture ({n_blocks} conv blocks with "
                              f"{kernel}x{kernel} kernels); supported: {', '.join(ARCHITECTURES)}")
    expected = official_layout(guess)
    for key, shape in expected.items():
        if key not in state:
            raise PretrainedError(f"{p}: looks like {guess} but misses key {key!r}")
        if tuple(state[key].shape) != shape:
            raise PretrainedError(f"{p}: {key} has shape {tuple(state[key].shape)}, {guess} has "
                                  f"{shape}: another architecture or number of classes")
    extra = [k for k in state if k not in expected]
    if extra:
        raise PretrainedError(f"{p}: unexpected key {extra[0]!r} for {guess} "
                              f"({len(extra)} unexpected keys)")
    return guess


def _check_front_end(state: dict[str, torch.Tensor], arch: str, path: str) -> None:
    """The frozen STFT / mel tensors must be the front-end we rebuild with ``FeatureExtractor``.

    The tolerance (1e-4 of the largest entry) is far above float32 storage error (~1e-7) and far
    below any real change of window, FFT size or mel range, which move entries by O(1).
    """
    from audiokit.features import mel_filterbank, stft_window

    f = PANNS_FEATURES[ARCHITECTURES[arch][1]]
    n = np.arange(f["n_fft"])
    k = np.arange(f["n_fft"] // 2 + 1)[:, None]
    window = stft_window("hann", f["win_length"], f["n_fft"])
    expected = {
        "spectrogram_extractor.stft.conv_real.weight": np.cos(2 * np.pi * k * n / f["n_fft"]) * window,
        "logmel_extractor.melW": mel_filterbank(f["sample_rate"], f["n_fft"], f["n_mels"],
                                                f["f_min"], f["f_max"]).T,
    }
    for key, want in expected.items():
        got = state[key].double().reshape(want.shape).numpy()
        err = float(np.abs(got - want).max())
        if err > 1e-4 * float(np.abs(want).max()):
            raise PretrainedError(f"{path}: {key} differs from the PANNs front-end "
                                  f"({f['sample_rate']} Hz, n_fft {f['n_fft']}, mel "
                                  f"{f['f_min']:g}-{f['f_max']:g} Hz; max error {err:.3g})")


# -- labels and conversion -----------------------------------------------------------------------

def audioset_labels() -> list[str]:
    """The 527 AudioSet display names, in the order of the official ``fc_audioset`` outputs.

    Read from the label list shipped in ``audiokit/labels/`` (AudioSet ontology, CC BY 4.0 /
    CC BY-SA 4.0; see its README).

    Notebook: 17_transfer_learning
    """
    text = (resources.files("audiokit") / "labels" / "audioset_class_labels_indices.csv").read_text()
    rows = list(csv.DictReader(text.splitlines()))
    if len(rows) != N_AUDIOSET or [int(r["index"]) for r in rows] != list(range(N_AUDIOSET)):
        raise PretrainedError("audiokit/labels/audioset_class_labels_indices.csv: expected 527 "
                              "rows indexed 0-526")
    return [r["display_name"] for r in rows]


def convert_state_dict(state: dict[str, torch.Tensor], path: str | os.PathLike = "<state>",
                       iteration: int | None = None) -> dict:
    """An audiokit checkpoint dict from an official PANNs state dict (see :func:`convert`).

    Notebook: 17_transfer_learning
    """
    from audiokit.features import FeatureExtractor
    from audiokit.train.config import TrainConfig

    arch = detect_architecture(state, path)
    _check_front_end(state, arch, str(path))
    name, rate = ARCHITECTURES[arch]
    # detect_architecture checked every official key and shape, so every key of ours is filled
    ours = {k: _to_ours(k, state[_official_name(k)]) for k in _our_keys(arch)}
    features = FeatureExtractor(**PANNS_FEATURES[rate]).config()
    cfg = TrainConfig.from_dict({"model": {"name": name, "preset": "default", "overrides": {}},
                                 "features": features, "data": {"spec": "audioset"},
                                 "duration": 10.0})
    return {
        "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION,
        "model_name": name, "model_preset": "default", "model_overrides": {},
        "num_classes": N_AUDIOSET, "n_features": 64, "feature_config": features,
        "classes": audioset_labels(), "task": MULTI_LABEL, "preprocess": {"trim": None},
        "config": cfg.to_dict(), "model_state": ours, "epoch": 0,
        "source": {"kind": "panns-official", "architecture": arch, "file": Path(path).name,
                   "iteration": iteration},
    }


@dataclass(frozen=True)
class Converted:
    """What :func:`convert` wrote; usable wherever a path is (``os.fspath``, ``str``).

    Notebook: 17_transfer_learning
    """

    path: Path
    architecture: str
    model_name: str
    sample_rate: int
    num_classes: int = N_AUDIOSET

    def __fspath__(self) -> str:
        return str(self.path)

    def __str__(self) -> str:
        return str(self.path)

    def summary(self) -> str:
        return (f"{self.architecture} ({self.model_name}, {self.sample_rate} Hz, "
                f"{self.num_classes} AudioSet classes, multi-label) -> {self.path}")


def convert(src: str | os.PathLike, dst: str | os.PathLike) -> Converted:
    """Convert an official PANNs checkpoint into an audiokit checkpoint.

    Parameters
    ----------
    src : path
        ``Cnn6_mAP=0.343.pth``, ``Cnn10_mAP=0.380.pth``, ``Cnn14_mAP=0.431.pth`` or
        ``Cnn14_16k_mAP=0.438.pth`` (Zenodo record 3987831), or any file in that layout.
    dst : path
        Where to write the audiokit checkpoint (atomically).

    Returns
    -------
    Converted
        ``dst`` (a path-like) and the architecture found. ``build_from_checkpoint(dst)`` gives ``(model, extractor, classes)`` with
        ``torch.sigmoid(model(extractor(waves)))`` = the official ``clipwise_output`` and
        ``model.embed(...)`` = its ``embedding``.

    Raises
    ------
    PretrainedError
        A file that is missing, truncated, unsafe, another architecture or misses a key.

    Notebook: 17_transfer_learning
    """
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise PretrainedError(f"{dst}: the output would overwrite the input; choose another path")
    state, iteration = load_official(src)
    ck = convert_state_dict(state, src, iteration)
    path = save_checkpoint(dst, ck)
    return Converted(path, ck["source"]["architecture"], ck["model_name"],
                     int(ck["feature_config"]["sample_rate"]))


def is_multi_label(ck: dict) -> bool:
    """True for checkpoints whose outputs are independent tags (sigmoid), e.g. AudioSet PANNs.

    Notebook: 17_transfer_learning
    """
    return ck.get("task") == MULTI_LABEL
