"""Fine-tuning from a checkpoint: model and features from it, head replacement, freezing, lr scale,
``audiokit train --init-from`` end to end, and ``--resume`` never re-initialising."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from panns_reference import official_file, randomised_official

from audiokit import models
from audiokit import pretrained as P
from audiokit.features import FeatureExtractor
from audiokit.train import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    CheckpointError,
    ConfigError,
    fit,
    load_checkpoint,
    recipe,
    save_checkpoint,
)
from audiokit.train import finetune as FT
from audiokit.train.optim import make_scheduler


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """A converted random-weight official Cnn6 (527 AudioSet classes, 32 kHz)."""
    folder = tmp_path_factory.mktemp("ft")
    src = official_file(folder / "Cnn6.pth", randomised_official("Cnn6").state_dict())
    return P.convert(src, folder / "cnn6_audioset.pt").path


def _kit_checkpoint(path: Path, classes: list[str], seed: int = 0) -> Path:
    """One of the kit's own checkpoints (tiny panns_cnn6, 16 kHz log-mel 40), untrained."""
    torch.manual_seed(seed)
    model = models.build("panns_cnn6", num_classes=len(classes), n_features=40, preset="tiny")
    fe = FeatureExtractor(kind="log_mel", n_mels=40)
    cfg = recipe("spoken_digits", model__name="panns_cnn6")
    return save_checkpoint(path, {
        "format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "model_name": "panns_cnn6",
        "model_preset": "tiny", "model_overrides": {}, "num_classes": len(classes),
        "n_features": 40, "feature_config": fe.config(), "classes": classes,
        "config": cfg.to_dict(), "model_state": model.state_dict(), "epoch": 3})


def test_model_and_features_come_from_the_checkpoint(converted):
    cfg, ck = FT.resolve_init_from(recipe("drum_hits", init_from=str(converted), model__name=""))
    assert (cfg.model.name, cfg.model.preset, cfg.model.overrides) == ("panns_cnn6", "default", {})
    assert cfg.features == ck["feature_config"] and cfg.features["sample_rate"] == 32000
    assert cfg.features["pad_mode"] == "reflect" and cfg.data.spec == "drum_hits"
    # the drum recipe's own model (resnet_se) is not silently replaced
    with pytest.raises(ConfigError, match="holds model 'panns_cnn6'.*'resnet_se'"):
        FT.resolve_init_from(recipe("drum_hits", init_from=str(converted)))
    assert FT.resolve_init_from(recipe("drum_hits")) == (recipe("drum_hits"), None)


def test_head_for_other_classes_is_reinitialised_and_the_rest_kept(converted):
    ck = load_checkpoint(converted)
    torch.manual_seed(1)
    model = models.build("panns_cnn6", num_classes=5, n_features=64)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    report = FT.load_init_weights(model, ck, ["kick", "snare", "hihat", "tom", "cymbal"])
    state = model.state_dict()
    assert report.reinitialised == ["classifier.2.weight", "classifier.2.bias"]
    assert len(report.kept) == len(state) - 2
    assert all(torch.equal(state[k], ck["model_state"][k]) for k in report.kept)
    assert all(torch.equal(state[k], fresh[k]) for k in report.reinitialised)
    assert state["classifier.2.weight"].shape == (5, 512)
    assert "re-initialised classifier.2 (527 -> 5 classes)" in report.summary()


def test_head_is_kept_for_the_same_classes_and_other_models_are_refused(tmp_path):
    digits = [str(i) for i in range(10)]
    ck = load_checkpoint(_kit_checkpoint(tmp_path / "kit.pt", digits))
    model = models.build("panns_cnn6", num_classes=10, n_features=40, preset="tiny")
    report = FT.load_init_weights(model, ck, digits)
    assert report.reinitialised == [] and "head kept" in report.summary()
    assert all(torch.equal(v, ck["model_state"][k]) for k, v in model.state_dict().items())
    other = models.build("panns_cnn10", num_classes=10, n_features=40, preset="tiny")
    with pytest.raises(CheckpointError, match="not this model"):
        FT.load_init_weights(other, ck, digits)


def _step(model: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
    feats = torch.randn(4, 50, 40)
    loss = torch.nn.functional.cross_entropy(model(feats), torch.tensor([0, 1, 2, 0]))
    opt.zero_grad()
    loss.backward()
    opt.step()


def test_frozen_epochs_train_only_the_head():
    cfg = recipe("spoken_digits", freeze_backbone_epochs=1, lr=1e-2)
    torch.manual_seed(0)
    model = models.build("panns_cnn6", num_classes=3, n_features=40, preset="tiny")
    opt = torch.optim.AdamW(FT.param_groups(model, cfg), lr=cfg.lr, weight_decay=0.1)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    FT.freeze_for_epoch(model, cfg, 0)
    assert FT.count_trainable(model) == sum(p.numel() for p in model.classifier.parameters())
    _step(model, opt)
    after = model.state_dict()
    changed = {k for k in after if not torch.equal(after[k], before[k])}
    assert changed == {"classifier.2.weight", "classifier.2.bias"}  # BN statistics included
    model.train()
    FT.freeze_for_epoch(model, cfg, 1)  # the next epoch trains everything
    _step(model, opt)
    assert not torch.equal(model.state_dict()["blocks.0.convs.0.0.weight"],
                           before["blocks.0.convs.0.0.weight"])
    assert not torch.equal(model.state_dict()["bn0.running_mean"], before["bn0.running_mean"])


def test_backbone_lr_scale_holds_through_the_schedule():
    cfg = recipe("spoken_digits", backbone_lr_scale=0.1, lr=1e-3, epochs=2, warmup_epochs=1)
    model = models.build("tdnn", num_classes=3, n_features=40, preset="tiny")
    groups = FT.param_groups(model, cfg)
    opt = torch.optim.AdamW(groups, lr=cfg.lr)
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([1e-4, 1e-3])
    assert {id(p) for p in opt.param_groups[1]["params"]} == {id(p) for p in model.classifier.parameters()}
    sched = make_scheduler(opt, cfg, steps_per_epoch=5)
    for _ in range(7):
        opt.step()
        sched.step()
        lrs = [g["lr"] for g in opt.param_groups]
        assert lrs[0] == pytest.approx(0.1 * lrs[1]) and lrs[1] > 0
    # scale 1: the plain parameter list (one group, as older runs resume with)
    assert len(torch.optim.AdamW(FT.param_groups(model, recipe("spoken_digits")), lr=1e-3).param_groups) == 1


def test_fit_fine_tunes_a_kit_checkpoint_with_a_frozen_first_epoch(tmp_path):
    init = _kit_checkpoint(tmp_path / "digits.pt", [str(i) for i in range(10)])
    ck = load_checkpoint(init)
    seen = []
    cfg = recipe("drum_hits", init_from=str(init), model__name="", epochs=2, batch_size=8,
                 freeze_backbone_epochs=1, augment={}, out_dir=str(tmp_path / "run"),
                 data__max_train_clips=24, data__max_eval_clips=10, device="cpu")
    run = fit(cfg, progress=False,
              callbacks=[lambda rec, r: seen.append({k: v.clone() for k, v in r.model.state_dict().items()})])
    backbone = [k for k in ck["model_state"] if not k.startswith("classifier.")]
    assert all(torch.equal(seen[0][k], ck["model_state"][k]) for k in backbone)  # epoch 1: frozen
    assert not all(torch.equal(seen[1][k], ck["model_state"][k]) for k in backbone)  # epoch 2: not
    best = load_checkpoint(run.last_checkpoint)
    assert best["num_classes"] == 5 and best["model_name"] == "panns_cnn6"
    assert best["model_preset"] == "tiny" and best["feature_config"]["n_mels"] == 40
    assert best["init_from"]["reinitialised"] == ["classifier.2.weight", "classifier.2.bias"]


def test_cli_train_init_from_a_converted_panns(converted, tmp_path, capsys):
    from audiokit.cli import main

    out = tmp_path / "drums"
    args = ["train", "--data", "drum_hits", "--init-from", str(converted), "--epochs", "1",
            "--batch-size", "8", "--no-augment", "--no-test", "--quiet", "--device", "cpu",
            "--set", "data.max_train_clips=16", "--set", "data.max_eval_clips=10", "--out", str(out)]
    assert main(args) == 0
    said = capsys.readouterr().out
    assert f"init_from {converted}: kept" in said and "527 -> 5 classes" in said
    ck = load_checkpoint(out / "last.pt")
    assert ck["num_classes"] == 5 and ck["model_name"] == "panns_cnn6"
    assert sorted(ck["classes"]) == ["cymbal", "hihat", "kick", "snare", "tom"]
    assert ck["feature_config"]["sample_rate"] == 32000  # the drums were loaded at 32 kHz
    assert ck.get("task") is None  # a fine-tuned single-label classifier, not AudioSet tags
    # --resume continues that run from last.pt and does not load init_from again
    assert main([*args[:6], "2", *args[7:], "--resume"]) == 0
    said = capsys.readouterr().out
    assert f"init_from {converted}: kept" not in said
    resumed = load_checkpoint(out / "last.pt")
    assert resumed["epoch"] == 2 and resumed["init_from"] == ck["init_from"]
    # a different --model is an error naming both
    assert main(["train", "--data", "drum_hits", "--init-from", str(converted), "--model",
                 "resnet_se", "--epochs", "1", "--out", str(tmp_path / "x")]) == 1
    err = capsys.readouterr().err
    assert "panns_cnn6" in err and "resnet_se" in err
