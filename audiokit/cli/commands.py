"""The ``audiokit`` subcommands that use a checkpoint, the data or a file: evaluate, predict,
export, convert, models, datasets, info, and the microphone's record / listen.

Notebook: 15_inference_and_deployment
"""

from __future__ import annotations

import json
import sys

__all__ = ["EXIT_ERROR", "cmd_convert", "cmd_datasets", "cmd_evaluate", "cmd_export", "cmd_info", "cmd_listen",
           "cmd_models", "cmd_predict", "cmd_record"]

EXIT_ERROR = 1


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
