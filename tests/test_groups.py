"""Accuracy per group (speaker, engine, family): metrics, evaluate, robustness, the CLI, and
cross-validation folds restricted to some groups (``where``)."""

from __future__ import annotations

import json

import pytest
from conftest import KITS

from audiokit import datasets as D
from audiokit.crossval import cross_validate, group_folds
from audiokit.evaluate import evaluate
from audiokit.metrics import group_accuracy
from audiokit.robustness import robustness
from audiokit.train import TrainConfig, fit


def test_group_accuracy_counts():
    res = group_accuracy([0, 1, 1, 2, 0, 2], [0, 1, 0, 2, 1, 1], ["b", "a", "a", "b", "c", "b"],
                         "speaker")
    assert res.column == "speaker"
    assert res.clips == {"a": 2, "b": 3, "c": 1} and list(res.clips) == ["a", "b", "c"]
    assert res.correct == {"a": 1, "b": 2, "c": 0}
    assert res.accuracy == pytest.approx({"a": 0.5, "b": 2 / 3, "c": 0.0})
    lines = res.table().splitlines()
    assert lines[0].split("|")[1].strip() == "speaker" and len(lines) == 2 + 3
    assert [c.strip() for c in lines[3].split("|")[1:5]] == ["b", "3", "2", "66.7"]
    assert res.to_dict()["groups"]["b"] == {"clips": 3, "correct": 2, "accuracy": 2 / 3}
    with pytest.raises(ValueError, match="one of each per clip"):
        group_accuracy([0, 1], [0, 1], ["a"])


def _tiny(tmp_path, name="run", **kw):
    return TrainConfig.from_dict({
        "model": {"name": "tdnn", "preset": "tiny"},
        "features": {"kind": "log_mel", "n_mels": 16, "n_fft": 256, "win_length": 256},
        "data": {"spec": "drum_hits"}, "duration": 0.2, "batch_size": 8, "epochs": 1,
        "device": "cpu", "out_dir": str(tmp_path / name)} | kw)


@pytest.fixture()
def drum_model(fake_drums, tmp_path):
    held_out = {"spec": "drum_hits", "holdout_column": "family", "test_groups": ["fluidr3", "opl3"]}
    return fit(_tiny(tmp_path, data=held_out), progress=False).last_checkpoint


def _expected(targets, preds, values) -> dict[str, tuple[int, int]]:
    """(correct, clips) of each group, counted by hand."""
    out: dict[str, list[int]] = {}
    for t, p, v in zip(targets, preds, values):
        out.setdefault(v, [0, 0])
        out[v][0] += int(t == p)
        out[v][1] += 1
    return {k: tuple(v) for k, v in sorted(out.items())}


def test_evaluate_by_column_counts_each_group(drum_model):
    test = D.load_builtin("drum_hits", "test")
    res = evaluate(drum_model, test, device="cpu", by="kit")
    want = _expected(res.targets, res.probs.argmax(1), test.column("kit"))
    assert {g: (res.groups.correct[g], res.groups.clips[g]) for g in want} == want
    assert set(res.groups.clips) == {"kitE", "kitF"} and sum(res.groups.clips.values()) == 30
    assert sum(res.groups.correct.values()) == round(res.accuracy * res.count)
    assert "accuracy by kit:" in res.report() and res.to_dict()["by"]["column"] == "kit"
    assert evaluate(drum_model, test, device="cpu").groups is None
    with pytest.raises(KeyError, match="no metadata column 'speaker'"):
        evaluate(drum_model, test, device="cpu", by="speaker")


def test_robustness_by_column_per_row(drum_model):
    rep = robustness(drum_model, "drum_hits", "pad", device="cpu", by="family")
    values = D.load_builtin("drum_hits", "test").column("family")
    for row in rep.rows:
        want = _expected(rep.targets, row.probs.argmax(1), values)
        assert {g: (row.groups.correct[g], row.groups.clips[g]) for g in want} == want
        assert row.to_dict()["by"]["groups"]["fluidr3"]["clips"] == 15
    text = str(rep)
    assert "accuracy % by family (clips):" in text and "fluidr3 (15)" in rep.group_table()
    assert json.loads(rep.to_json())["by"] == "family"


def test_cli_evaluate_by(cli, drum_model):
    res = cli("evaluate", drum_model, "--by", "family", "--json", "--device", "cpu")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    groups = out["by"]["groups"]
    assert out["by"]["column"] == "family" and set(groups) == {"fluidr3", "opl3"}
    assert sum(g["correct"] for g in groups.values()) == round(out["accuracy"] * out["count"])
    res = cli("evaluate", drum_model, "--by", "family", "--device", "cpu")
    assert "accuracy by family:" in res.stdout and "| opl3" in res.stdout
    res = cli("evaluate", drum_model, "--robustness", "--perturbations", "pad", "--by", "kit",
              "--json", "--device", "cpu")
    rows = json.loads(res.stdout)["rows"]
    assert [r["perturbation"] for r in rows] == ["clean", "pad"]
    assert all(set(r["by"]["groups"]) == {"kitE", "kitF"} for r in rows)
    res = cli("evaluate", drum_model, "--by", "colour", "--device", "cpu")
    assert res.returncode == 1 and "no metadata column 'colour'" in res.stderr


def test_group_folds_where_deals_only_matching_groups(fake_drums):
    folds = group_folds("drum_hits", "kit", k=2, where={"family": "hydrogen"})
    assert sorted(g for f in folds for g in f) == ["kitA", "kitB"] and all(len(f) == 1 for f in folds)
    with pytest.raises(ValueError, match="no clip has family=jazz"):
        group_folds("drum_hits", "kit", k=2, where={"family": "jazz"})


def test_cross_validate_where_always_trains_the_rest(fake_drums, tmp_path):
    cv = cross_validate(_tiny(tmp_path), column="kit", k=2, out_dir=tmp_path / "cv",
                        where={"family": "avldrums"}, perturbations="pad")
    assert [f.test_groups for f in cv.folds] in (
        [["kitC"], ["kitD"]], [["kitD"], ["kitC"]])
    for fold in cv.folds:
        run_cfg = TrainConfig.load(fold.checkpoint.replace("last.pt", "config.yaml"))
        from audiokit.train import build_datasets

        parts = build_datasets(run_cfg.data)
        assert set(parts["train"].column("kit")) == set(KITS) - set(fold.test_groups)
        assert fold.clips == 15
        # through the Predictor, as a report on the fold's test clips gives it
        rep = robustness(fold.checkpoint, parts["test"], "pad", device="cpu")
        assert fold.perturbed == {r.name: r.accuracy for r in rep.rows}
    assert cv.where == {"family": "avldrums"} and cv.perturbations == ["clean", "pad"]
    lines = cv.table().splitlines()
    assert lines[0].endswith("| clean (predict) % | pad (predict) % |")
    pad = cv.perturbed_accuracies("pad")
    assert "(family=avldrums)" in lines[-1] and lines[-1].endswith(
        f"| {100 * pad.mean():.1f} ± {100 * pad.std(ddof=1):.1f} |")


def test_cross_validate_resume_keeps_finished_folds(fake_drums, tmp_path):
    cfg = _tiny(tmp_path)
    first = cross_validate(cfg, column="kit", k=2, out_dir=tmp_path / "cv",
                           where={"family": "avldrums"})
    done = tmp_path / "cv" / "fold0" / "last.pt"
    kept = done.read_bytes()
    for f in (tmp_path / "cv" / "fold1").iterdir():  # fold 1 never ran (the process was killed)
        f.unlink()
    with pytest.raises(Exception, match="already holds a training run"):
        cross_validate(cfg, column="kit", k=2, out_dir=tmp_path / "cv", where={"family": "avldrums"})
    again = cross_validate(cfg, column="kit", k=2, out_dir=tmp_path / "cv",
                           where={"family": "avldrums"}, resume=True)
    assert done.read_bytes() == kept  # the finished fold is scored again, not retrained
    assert [f.test_groups for f in again.folds] == [f.test_groups for f in first.folds]
    # the same seed trains fold 1 to the same weights, so the same score
    assert [f.accuracy for f in again.folds] == [f.accuracy for f in first.folds]
    saved = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert [f["accuracy"] for f in saved["folds"]] == [f.accuracy for f in again.folds]


def test_cli_where_needs_cross_validate_and_a_pair(cli, fake_drums, tmp_path):
    config = tmp_path / "tiny.yaml"
    _tiny(tmp_path, "cli").save(config)
    res = cli("train", "--config", config, "--where", "family=opl3", "--quiet")
    assert res.returncode == 1 and "need --cross-validate" in res.stderr
    res = cli("train", "--config", config, "--cross-validate", "kit", "--where", "family",
              "--quiet")
    assert res.returncode == 1 and "expected COLUMN=VALUE" in res.stderr
    res = cli("train", "--config", config, "--cross-validate", "kit", "--folds", "2",
              "--where", "family=hydrogen", "--quiet")
    assert res.returncode == 0, res.stderr
    last = res.stdout.strip().splitlines()[-1]
    assert last.startswith("| all | mean ± std over 2 folds (family=hydrogen) | 30 |")


def test_cli_train_prints_the_test_accuracy_per_family(cli, fake_drums, tmp_path):
    config = tmp_path / "tiny.yaml"
    held_out = {"spec": "drum_hits", "holdout_column": "family", "test_groups": ["fluidr3", "opl3"]}
    _tiny(tmp_path, "cli", data=held_out).save(config)
    res = cli("train", "--config", config, "--quiet")
    assert res.returncode == 0, res.stderr
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("  by family: "))
    best = next(ln for ln in res.stdout.splitlines() if ln.startswith("best checkpoint: "))
    from audiokit.train import build_datasets

    test = build_datasets(TrainConfig.load(config).data)["test"]
    groups = evaluate(best.split(": ", 1)[1], test, device="cpu", by="family").groups
    assert line == "  by family: " + ", ".join(
        f"{g} {a:.4f} ({groups.clips[g]})" for g, a in groups.accuracy.items())
    assert set(groups.clips.values()) == {15}
