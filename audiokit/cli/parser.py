"""The ``audiokit`` command's arguments: one ``argparse`` sub-parser per subcommand.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import argparse

__all__ = ["build_parser"]


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train a model (default: tdnn on the shipped spoken_digits)")
    p.add_argument("--model", help="backbone name (see `audiokit models`)")
    p.add_argument("--preset", help="model preset, e.g. tiny")
    p.add_argument("--data", help="spoken_digits | drum_hits | folder:PATH | list:PATH | "
                                  "esc50:PATH | urbansound8k:PATH (default spoken_digits)")
    p.add_argument("--group-by", help="folder/list data: keep files together across splits by "
                   "'parent' folder or a regex with one capture group on the file name")
    p.add_argument("--config", help="YAML/JSON TrainConfig file; flags override its values")
    p.add_argument("--epochs", type=int)
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--duration", type=float, help="training crop in seconds")
    p.add_argument("--seed", type=int)
    p.add_argument("--device", help="auto | cpu | cuda | cuda:N | mps")
    p.add_argument("--num-workers", type=int)
    p.add_argument("--amp", choices=["auto", "bf16", "fp16", "off"])
    p.add_argument("--compile", action="store_true", default=None, help="use torch.compile")
    p.add_argument("--no-augment", action="store_true", help="switch augmentation off")
    p.add_argument("--out", help="run directory (default runs/<data>, or runs/<data>-2, -3, ... "
                                 "when that already holds a run); an --out holding a run refuses")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from last.pt")
    p.add_argument("--init-from", metavar="CKPT", help="fine-tune from this checkpoint (yours or a "
                   "converted PANNs): model, preset and features come from it, a head for other "
                   "classes is re-initialised; --resume still means resume, never this")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="any config key, dotted (e.g. --set features.n_mels=64); value is YAML")
    p.add_argument("--no-test", action="store_true", help="skip the final test evaluation")
    p.add_argument("--no-progress", action="store_true", help="one line per epoch instead of a "
                   "live progress bar (what you get anyway when stderr is not a terminal)")
    p.add_argument("--quiet", action="store_true", help="no progress output at all")
    p.add_argument("--cross-validate", metavar="COLUMN", help="shipped data: train once per fold "
                   "of this metadata column's groups (e.g. family), each held out whole; prints "
                   "the per-fold test accuracy and mean +- std")
    p.add_argument("--folds", type=int, default=4, help="folds for --cross-validate (default 4)")
    p.add_argument("--where", metavar="COLUMN=VALUE", help="with --cross-validate: deal only the "
                   "groups whose clips have this value into folds (e.g. engine=human: each natural "
                   "speaker held out in turn); every other clip always trains")
    p.add_argument("--cv-perturbations", metavar="A,B", help="with --cross-validate: also score "
                   "each fold through the Predictor (as `audiokit predict`), clean and under these "
                   "perturbations (e.g. pad)")


def _add_mic(sub) -> None:
    p = sub.add_parser("record", help="record from the microphone into a file (extra: mic)")
    p.add_argument("out", help="file to write (.wav, .flac ...)")
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--sample-rate", type=int, default=16000, help="Hz (default 16000)")
    p.add_argument("--input", help="input device index or name (default: the system's)")
    p = sub.add_parser("listen", help="classify the microphone in a rolling window (extra: mic); "
                                      "Ctrl-C stops")
    p.add_argument("checkpoint")
    p.add_argument("--window", type=float, help="window in seconds (default: training duration)")
    p.add_argument("--hop", type=float, help="hop in seconds (default: half a window)")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--input", help="input device index or name (default: the system's)")
    p.add_argument("--device", default="auto", help="torch device for the model")


def _add_course(sub) -> None:
    p = sub.add_parser("course", help="the course as static HTML pages (every notebook executed)")
    actions = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    b = actions.add_parser("build", help="execute the notebooks and write DIR/index.html and one "
                                        "page per notebook (opens offline, from disk)")
    b.add_argument("--out", required=True, metavar="DIR", help="folder to write the course into")
    b.add_argument("--tiny", action="store_true", help="CI's tiny parameters (short training) "
                   "instead of each notebook's defaults")
    b.add_argument("--only", metavar="NN,NN", help="only these notebooks, e.g. 03,05")
    b.add_argument("--executed", metavar="DIR", help="render the executed notebooks in DIR "
                   "(NN_name.ipynb) instead of running them")


def build_parser() -> argparse.ArgumentParser:
    """The argparse parser of the ``audiokit`` command."""
    from audiokit import __version__

    parser = argparse.ArgumentParser(prog="audiokit",
                                     description="Learn audio classification by doing it.")
    parser.add_argument("--version", action="version", version=f"audiokit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_train(sub)

    p = sub.add_parser("evaluate", help="score a checkpoint on a dataset")
    p.add_argument("checkpoint")
    p.add_argument("--data", help="data spec (default: the checkpoint's training data)")
    p.add_argument("--split", default="test", choices=["train", "valid", "test"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="auto")
    p.add_argument("--json", action="store_true")
    p.add_argument("--robustness", action="store_true", help="accuracy through the Predictor under "
                   "named perturbations (silence, noise, gain, telephone, room), vs clean")
    p.add_argument("--perturbations", metavar="A,B,C",
                   help="with --robustness: which ones (default all; a wrong name lists them)")
    p.add_argument("--seed", type=int, default=0, help="with --robustness: seeds the perturbations")
    p.add_argument("--max-clips", type=int, help="with --robustness: at most this many clips")
    p.add_argument("--no-trim", action="store_true", help="keep silent ends (default: trim them "
                   "as the checkpoint's training clips were)")
    p.add_argument("--by", metavar="COLUMN", help="also print the accuracy per value of this "
                   "metadata column (speaker, engine, family, group ...); with --robustness too")

    p = sub.add_parser("predict", help="classify audio files, folders (recursive) or globs")
    p.add_argument("checkpoint")
    p.add_argument("files", nargs="+", metavar="PATH",
                   help="audio file, folder (its audio files, recursively) or glob pattern")
    p.add_argument("--top-k", type=int, default=3)
    p.add_argument("--window", type=float, help="window in seconds (default: training duration)")
    p.add_argument("--hop", type=float, help="hop in seconds (default: half a window)")
    p.add_argument("--threshold", type=float, help="below this top probability say 'unknown'")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--device", default="auto")
    p.add_argument("--no-trim", action="store_true",
                   help="keep silent ends (default: trim them as the checkpoint's training clips were)")
    p.add_argument("--json", action="store_true",
                   help="one JSON object per line; unreadable files get an \"error\" entry")

    p = sub.add_parser("export", help="export front-end + model to .onnx or .pt2")
    p.add_argument("checkpoint")
    p.add_argument("out")

    p = sub.add_parser("convert", help="official PANNs checkpoint (Cnn6/Cnn10/Cnn14/Cnn14_16k "
                                       ".pth) -> audiokit checkpoint (AudioSet tagging, fine-tuning)")
    p.add_argument("src", help="the downloaded .pth (e.g. Cnn14_mAP=0.431.pth)")
    p.add_argument("dst", help="the audiokit checkpoint to write (e.g. cnn14_audioset.pt)")

    _add_mic(sub)
    _add_course(sub)
    sub.add_parser("models", help="table of the available backbones")
    sub.add_parser("datasets", help="the shipped datasets and their splits")
    p = sub.add_parser("info", help="print an audio file's header")
    p.add_argument("file")
    return parser
