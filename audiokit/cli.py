"""The ``audiokit`` command line: argument parsing and one-line errors, no logic of its own.

Subcommands: ``train``, ``evaluate``, ``predict``, ``export``, ``convert``, ``models``, ``datasets``,
``info``; ``audiokit --version``. Errors print one line to stderr and exit non-zero (set
``AUDIOKIT_DEBUG=1`` to see the traceback).

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

__all__ = ["build_parser", "main"]

EXIT_ERROR = 1
EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


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
    sub.add_parser("models", help="table of the available backbones")
    sub.add_parser("datasets", help="the shipped datasets and their splits")
    p = sub.add_parser("info", help="print an audio file's header")
    p.add_argument("file")
    return parser


# ---------------------------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------------------------


def _train_config(args):
    import yaml

    from audiokit.train import TrainConfig, parse_data_spec, recipe

    data = args.data
    if args.config:
        cfg = TrainConfig.load(args.config)
        if data is None:
            data = cfg.data.spec
    else:
        data = data or "spoken_digits"
        kind, _ = parse_data_spec(data)
        cfg = recipe(kind) if kind in ("spoken_digits", "drum_hits") else recipe("spoken_digits")
    changes = {"data.spec": data}
    if not args.config and not args.out:
        changes["out_dir"] = f"runs/{parse_data_spec(data)[0]}"
    flags = {"model.name": args.model, "model.preset": args.preset, "epochs": args.epochs,
             "batch_size": args.batch_size, "lr": args.lr, "duration": args.duration,
             "seed": args.seed, "device": args.device, "num_workers": args.num_workers,
             "amp": args.amp, "compile": args.compile, "out_dir": args.out,
             "data.group_by": args.group_by}
    changes.update({k: v for k, v in flags.items() if v is not None})
    if args.model and args.model != cfg.model.name:
        changes["model.overrides"] = {}
    if args.init_from:  # model "" = the checkpoint's; a different --model is refused
        changes["init_from"] = args.init_from
        if not args.model and not args.config:
            changes["model.name"] = ""
    if args.no_augment:
        changes["augment"] = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set {item!r}: expected KEY=VALUE")
        changes[key.strip()] = yaml.safe_load(value)
    return cfg.replace(**changes)


def cmd_train(args) -> int:
    from audiokit import train

    cfg = _train_config(args)
    if not args.resume and _out_chosen_by_audiokit(args):
        cfg = _next_free_out(cfg)
    progress = False if args.quiet else ("lines" if args.no_progress else True)
    if args.where and not args.cross_validate:
        raise ValueError("--where needs --cross-validate COLUMN")
    if args.cross_validate:
        from audiokit.crossval import cross_validate

        cv = cross_validate(cfg, column=args.cross_validate, k=args.folds, seed=cfg.data.split_seed,
                            progress=progress, where=_where(args.where))
        print(cv.table())
        return 0
    run = train.fit(cfg, resume=args.resume, progress=progress)
    if not train.is_main_process():
        train.cleanup_distributed()
        return 0 if run.interrupted is None else EXIT_SIGNAL.get(run.interrupted, 1)
    if run.interrupted:
        print(f"audiokit: training interrupted ({run.interrupted}); resumable checkpoint saved to "
              f"{run.last_checkpoint} (continue with --resume --out {run.out_dir})", file=sys.stderr)
        train.cleanup_distributed()
        return EXIT_SIGNAL.get(run.interrupted, 1)
    train.cleanup_distributed()
    best = run.best_checkpoint if run.best_checkpoint.exists() else run.last_checkpoint
    print(f"best checkpoint: {best}")
    if args.no_test:
        return 0
    _print_tests(best, cfg)
    return 0


def _where(text: str | None) -> dict[str, str] | None:
    """``--where COLUMN=VALUE`` as ``{column: value}``."""
    if text is None:
        return None
    column, sep, value = text.partition("=")
    if not sep or not column.strip() or not value.strip():
        raise ValueError(f"--where {text!r}: expected COLUMN=VALUE, e.g. engine=human")
    return {column.strip(): value.strip()}


def _out_chosen_by_audiokit(args) -> bool:
    """True unless the user named the run folder: --out, --set out_dir=..., or an out_dir other
    than the default in the --config file. A folder the user named that holds a run is refused,
    never renamed."""
    if args.out or any(s.partition("=")[0].strip() == "out_dir" for s in args.set):
        return False
    if not args.config:
        return True
    from audiokit.train import TrainConfig

    return TrainConfig.load(args.config).out_dir == TrainConfig().out_dir


def _next_free_out(cfg):
    """``cfg`` with out_dir moved to the next free ``<out_dir>-N`` when it holds a run (says so)."""
    from audiokit.train import is_main_process, next_free_run_dir

    free = next_free_run_dir(cfg.out_dir)
    if free == Path(cfg.out_dir):
        return cfg
    if is_main_process():
        print(f"{cfg.out_dir} already holds a run; this one goes to {free} "
              f"(--resume --out {cfg.out_dir} continues that one)", flush=True)
    return cfg.replace(out_dir=str(free))


def _print_tests(best, cfg) -> None:
    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets, build_from_checkpoint, parse_data_spec

    kind, _ = parse_data_spec(cfg.data.spec)
    bundle = build_from_checkpoint(best, device=cfg.device)
    sr = bundle[1].sample_rate
    test = build_datasets(cfg.data, sr).get("test")
    if test is not None and len(test):
        res = evaluate(bundle, test, batch_size=cfg.batch_size, device=cfg.device)
        print(f"test accuracy ({kind}, {res.count} clips): {res.accuracy:.4f}  "
              f"macro-F1 {res.macro_f1:.4f}")
    if kind == "spoken_digits":
        res = evaluate(bundle, "spoken_digits_real", batch_size=cfg.batch_size, device=cfg.device)
        print(f"accuracy on spoken_digits_real (real voices, {res.count} clips): {res.accuracy:.4f}")


def cmd_evaluate(args) -> int:
    from audiokit.evaluate import evaluate
    from audiokit.train import load_checkpoint

    if args.robustness:
        from audiokit.robustness import robustness

        rep = robustness(args.checkpoint, args.data, args.perturbations, device=args.device,
                         batch_size=args.batch_size, seed=args.seed, max_clips=args.max_clips,
                         split=args.split, trim=None if args.no_trim else "auto", by=args.by)
        print(rep.to_json() if args.json else rep)
        return 0
    if args.perturbations:
        raise ValueError("--perturbations needs --robustness")
    ck = load_checkpoint(args.checkpoint)
    data = args.data or ck["config"].get("data", {}).get("spec", "spoken_digits")
    res = evaluate(ck, data, batch_size=args.batch_size, device=args.device, split=args.split,
                   trim=None if args.no_trim else "auto", by=args.by)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        print(res.report())
        for m in res.misclassified[:20]:
            print(f"wrong: {m['path']}  true {m['true']}  predicted {m['predicted']} ({m['prob']:.2f})")
        if len(res.misclassified) > 20:
            print(f"... and {len(res.misclassified) - 20} more misclassified")
    return 0


def cmd_predict(args) -> int:
    from audiokit.predict import Predictor

    pred = Predictor(args.checkpoint, device=args.device, window_s=args.window, hop_s=args.hop,
                     batch_size=args.batch_size, threshold=args.threshold,
                     trim=None if args.no_trim else "auto")
    failed = 0
    for res in pred.iter_predictions(args.files, top_k=args.top_k, on_error="skip"):
        if not res.ok:
            failed += 1
            print(f"audiokit predict: error: {res.error}", file=sys.stderr, flush=True)
        if args.json:
            print(json.dumps(res.to_dict()), flush=True)
        elif res.ok:
            print(f"{res.path}: " + ("tags " if pred.multi_label else "")
                  + ", ".join(f"{lab} {p:.3f}" for lab, p in res.top), flush=True)
    return EXIT_ERROR if failed else 0


def cmd_convert(args) -> int:
    from audiokit import pretrained

    print(f"converted {args.src}: {pretrained.convert(args.src, args.dst).summary()}")
    return 0


def cmd_export(args) -> int:
    from audiokit.predict import export

    out = export(args.checkpoint, args.out)
    print(f"exported {out}")
    return 0


def cmd_models(args) -> int:
    from audiokit import models

    rows = []
    for name in models.available():
        cells = [name]
        for preset in ("tiny", None):
            try:
                m = models.build(name, num_classes=10, n_features=80, preset=preset)
                cells.append(f"{sum(p.numel() for p in m.parameters()) / 1e6:.3f}M")
            except Exception:  # noqa: BLE001 - a model that cannot build shows "-"
                cells.append("-")
        rows.append(cells)
    print(f"{'model':<16}{'params (tiny)':>15}{'params (default)':>18}")
    for r in rows:
        print(f"{r[0]:<16}{r[1]:>15}{r[2]:>18}")
    print("(parameters for 10 classes, 80 features)")
    return 0


def cmd_datasets(args) -> int:
    import csv
    from collections import Counter

    from audiokit import datasets as D

    print(f"{'dataset':<22}{'classes':>8}{'train':>7}{'valid':>7}{'test':>7}  groups")
    for name in ("spoken_digits", "spoken_digits_real", "drum_hits"):
        try:
            path = D.data_dir(name) / "metadata.csv"
            with open(path, newline="") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, ValueError):
            print(f"{name:<22}  (not found)")
            continue
        split = Counter(r["split"] for r in rows)
        print(f"{name:<22}{len({r['label'] for r in rows}):>8}{split['train']:>7}{split['valid']:>7}"
              f"{split['test']:>7}  {len({r['group'] for r in rows})}")
    print("also: folder:PATH, list:PATH, esc50:PATH, urbansound8k:PATH (see `audiokit train -h`)")
    return 0


def cmd_info(args) -> int:
    from audiokit import io

    i = io.info(args.file)
    print(f"file:        {args.file}")
    print(f"format:      {i.format} / {i.subtype}")
    print(f"sample_rate: {i.sample_rate} Hz")
    print(f"channels:    {i.channels}")
    print(f"frames:      {i.frames}")
    print(f"duration:    {i.duration:.3f} s")
    print(f"bit_depth:   {i.bit_depth if i.bit_depth is not None else '-'}")
    return 0


def _input_device(name: str | None):
    return int(name) if name is not None and name.isdigit() else name


def cmd_record(args) -> int:
    from audiokit import io, mic

    chunks = mic.input_chunks(args.sample_rate, device=_input_device(args.input))
    y = mic.record(args.seconds, args.sample_rate, chunks)
    print(f"recorded {len(y) / args.sample_rate:.2f} s at {args.sample_rate} Hz -> "
          f"{io.save(args.out, y, args.sample_rate)} (peak {float(abs(y).max()):.3f})")
    return 0


def cmd_listen(args) -> int:
    from audiokit import mic
    from audiokit.predict import Predictor

    device = _input_device(args.input)
    mic.check_input(device)  # no PortAudio / no microphone: say so before loading the model
    pred = Predictor(args.checkpoint, device=args.device, window_s=args.window, hop_s=args.hop)
    chunks, rate = mic.input_chunks(pred.sample_rate, device=device), pred.sample_rate
    print(f"listening ({pred.window_s:g} s window every {pred.hop_s:g} s); Ctrl-C stops",
          flush=True)
    try:
        for res in pred.stream(chunks, rate, top_k=args.top_k):
            print(mic.describe(res), flush=True)
    except KeyboardInterrupt:
        print("stopped", flush=True)
    finally:
        chunks.close()
    return 0


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "predict": cmd_predict,
            "export": cmd_export, "convert": cmd_convert, "models": cmd_models, "datasets": cmd_datasets, "info": cmd_info}
COMMANDS.update({"record": cmd_record, "listen": cmd_listen})


def _error_line(exc: BaseException) -> str:
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower():
        return "out of GPU memory: lower --batch-size (or --duration) and try again"
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, KeyError):
        msg = f"missing key {msg}"
    return msg


def main(argv: list[str] | None = None) -> int:
    """Run the ``audiokit`` command; returns the exit code.

    Notebook: 06_pipeline_and_training_loop
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("audiokit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # one clear line instead of a traceback
        if os.environ.get("AUDIOKIT_DEBUG"):
            raise
        print(f"audiokit {args.command}: error: {_error_line(exc)}", file=sys.stderr)
        return EXIT_ERROR


if __name__ == "__main__":
    raise SystemExit(main())
