"""Holding whole source families out: DataConfig.holdout_column and audiokit.crossval."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import KITS

from audiokit.crossval import cross_validate, group_folds
from audiokit.train import ConfigError, DataConfig, TrainConfig, build_datasets


def test_holdout_column_replaces_the_metadata_split(fake_drums):
    data = DataConfig("drum_hits", holdout_column="family", test_groups=["avldrums"],
                      valid_groups=["opl3"])
    parts = build_datasets(data)
    fam = {s: set(ds.column("family")) for s, ds in parts.items()}
    assert fam == {"train": {"hydrogen", "fluidr3"}, "valid": {"opl3"}, "test": {"avldrums"}}
    assert len(parts["test"]) == 2 * 5 * 3 and len(parts["valid"]) == 5 * 3
    assert sum(len(ds) for ds in parts.values()) == len(KITS) * 5 * 3  # every clip, once


def test_holdout_errors_name_the_problem(fake_drums):
    with pytest.raises(ConfigError, match="test_groups.*no clip.*avl"):
        build_datasets(DataConfig("drum_hits", holdout_column="family", test_groups=["avl"]))
    with pytest.raises(ConfigError, match="holdout_column"):
        build_datasets(DataConfig("drum_hits", holdout_column="colour", test_groups=["x"]))
    with pytest.raises(ConfigError, match="both"):
        build_datasets(DataConfig("drum_hits", holdout_column="family", test_groups=["opl3"],
                                  valid_groups=["opl3"]))


def test_group_folds_cover_every_family_once(fake_drums):
    folds = group_folds("drum_hits", "family", k=3)
    flat = [g for f in folds for g in f]
    assert sorted(flat) == sorted(set(KITS.values())) and len(flat) == len(set(flat))


def test_cross_validate_tests_each_family_once(fake_drums, tmp_path):
    cfg = TrainConfig.from_dict({
        "model": {"name": "tdnn", "preset": "tiny"},
        "features": {"kind": "log_mel", "n_mels": 16, "n_fft": 256, "win_length": 256},
        "data": {"spec": "drum_hits"}, "duration": 0.2, "batch_size": 8, "epochs": 1,
        "device": "cpu", "out_dir": str(tmp_path / "run"),
    })
    cv = cross_validate(cfg, column="family", k=3, out_dir=tmp_path / "cv")
    assert len(cv.folds) == 3
    tested = [g for f in cv.folds for g in f.test_groups]
    assert sorted(tested) == sorted(set(KITS.values()))
    per_family = {f: 15 * list(KITS.values()).count(f) for f in set(KITS.values())}
    for fold in cv.folds:
        assert fold.clips == sum(per_family[g] for g in fold.test_groups)
        # the protocol: test one fold, train on every other family, no validation fold
        assert Path(fold.checkpoint).name == "last.pt"
        run_cfg = TrainConfig.load(Path(fold.checkpoint).parent / "config.yaml")
        parts = build_datasets(run_cfg.data)
        assert parts["valid"] is None
        assert set(parts["train"].column("family")) == set(KITS.values()) - set(fold.test_groups)
        assert len(parts["train"]) + fold.clips == len(KITS) * 5 * 3
        assert 0.0 <= fold.accuracy <= 1.0 and Path(fold.checkpoint).is_file()
    assert cv.mean == pytest.approx(np.mean([f.accuracy for f in cv.folds]))
    assert cv.std == pytest.approx(np.std([f.accuracy for f in cv.folds], ddof=1))
    saved = json.loads((tmp_path / "cv" / "crossval.json").read_text())
    assert [f["test_groups"] for f in saved["folds"]] == [f.test_groups for f in cv.folds]
    assert cv.table().splitlines()[-1].startswith("| all | mean ± std over 3 folds")


def test_cli_cross_validate_prints_the_fold_table(fake_drums, tmp_path, capsys):
    from audiokit import cli

    config = tmp_path / "tiny.yaml"
    TrainConfig.from_dict({
        "model": {"name": "tdnn", "preset": "tiny"},
        "features": {"kind": "log_mel", "n_mels": 16, "n_fft": 256, "win_length": 256},
        "data": {"spec": "drum_hits"}, "duration": 0.2, "batch_size": 8, "epochs": 1,
        "device": "cpu", "out_dir": str(tmp_path / "cli"),
    }).save(config)
    assert cli.main(["train", "--config", str(config), "--cross-validate", "family",
                     "--folds", "2", "--quiet"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "| fold | test family | clips | accuracy % |"
    assert len(lines) == 2 + 2 + 1 and lines[-1].startswith("| all | mean ± std over 2 folds | 90 |")
    assert (tmp_path / "cli-cv" / "crossval.json").is_file()
