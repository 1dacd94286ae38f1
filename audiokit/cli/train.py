"""``audiokit train``: a config from the recipe and the flags, then fit, cross-validate, test.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["cmd_train"]

EXIT_SIGNAL = {"SIGINT": 130, "SIGTERM": 143}


def _train_config(args):
    from audiokit.train import TrainConfig, parse_data_spec, recipe
    from audiokit.train.config import parse_yaml

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
        changes[key.strip()] = parse_yaml(value)
    return cfg.replace(**changes)


def cmd_train(args) -> int:
    from audiokit import train

    cfg = _train_config(args)
    if not args.resume and _out_chosen_by_audiokit(args):
        cfg = _next_free_out(cfg)
    progress = False if args.quiet else ("lines" if args.no_progress else True)
    if (args.where or args.cv_perturbations) and not args.cross_validate:
        raise ValueError("--where and --cv-perturbations need --cross-validate COLUMN")
    if args.cross_validate:
        from audiokit.crossval import cross_validate

        cv = cross_validate(cfg, column=args.cross_validate, k=args.folds, seed=cfg.data.split_seed,
                            progress=progress, where=_where(args.where),
                            perturbations=args.cv_perturbations, resume=args.resume)
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


#: The metadata column whose per-value test accuracy ``audiokit train`` prints for a shipped set.
REPORT_BY = {"spoken_digits": "engine", "drum_hits": "family"}


def _print_tests(best, cfg) -> None:
    """Score the run's best checkpoint as ``audiokit evaluate`` would (its saved trimming rule
    applied): the test split, per engine / family, and for digits the real recordings."""
    from audiokit.evaluate import evaluate
    from audiokit.train import build_datasets, load_checkpoint, parse_data_spec

    kind, _ = parse_data_spec(cfg.data.spec)
    bundle = load_checkpoint(best)
    sr = int(bundle["feature_config"]["sample_rate"])
    test = build_datasets(cfg.data, sr).get("test")
    if test is not None and len(test):
        by = REPORT_BY.get(kind)
        res = evaluate(bundle, test, batch_size=cfg.batch_size, device=cfg.device,
                       by=by if by in test.column_names else None)
        print(f"test accuracy ({kind}, {res.count} clips): {res.accuracy:.4f}  "
              f"macro-F1 {res.macro_f1:.4f}")
        if res.groups is not None:
            g = res.groups
            print(f"  by {g.column}: " + ", ".join(f"{name} {acc:.4f} ({g.clips[name]})"
                                                 for name, acc in g.accuracy.items()))
    if kind == "spoken_digits":
        res = evaluate(bundle, "spoken_digits_real", batch_size=cfg.batch_size, device=cfg.device)
        print(f"accuracy on spoken_digits_real (real voices, {res.count} clips): {res.accuracy:.4f}")
