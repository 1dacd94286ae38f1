"""Training loop: config, checkpoints, exact resume, refusals, interrupts, DDP (gloo)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from audiokit import train
from audiokit.train import CheckpointError, ConfigError, TrainConfig

ROOT = Path(__file__).resolve().parents[1]


def make_tones(root: Path, n_per_class: int = 12, seconds: float = 0.4, sr: int = 16000) -> Path:
    """Two easy classes of synthetic tones: 'low' (300-500 Hz) and 'high' (2-3 kHz)."""
    rng = np.random.default_rng(0)
    t = np.arange(int(seconds * sr)) / sr
    for label, (lo, hi) in {"high": (2000, 3000), "low": (300, 500)}.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            y = 0.3 * np.sin(2 * np.pi * rng.uniform(lo, hi) * t) + 0.01 * rng.standard_normal(t.size)
            sf.write(root / label / f"{label}_{i:02d}.wav", y.astype(np.float32), sr)
    return root


def tiny_config(data: Path, out: Path, **kw) -> TrainConfig:
    base = {
        "model": {"name": "tdnn", "preset": "tiny", "overrides": {"dropout": 0.2}},
        "features": {"kind": "log_mel", "n_mels": 16, "n_fft": 256, "win_length": 256, "hop_length": 160},
        "data": {"spec": f"folder:{data}", "valid_fraction": 0.25, "test_fraction": 0.0},
        "duration": 0.3, "batch_size": 8, "epochs": 2, "lr": 3e-3, "seed": 3, "device": "cpu",
        "augment": {"waveform": {"gain": {"p": 0.5}, "noise": {"p": 0.5}},
                 "spec": {"specaugment": {"p": 0.5}}},
        "out_dir": str(out), "log_interval": 1,
    }
    base.update(kw)
    return TrainConfig.from_dict(base)


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return make_tones(tmp_path_factory.mktemp("tones"))


# -- config ----------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_config_round_trip(tmp_path, suffix):
    cfg = train.recipe("drum_hits", epochs=3, model__name="ecapa_tdnn")
    cfg.save(tmp_path / f"c{suffix}")
    back = TrainConfig.load(tmp_path / f"c{suffix}")
    assert back == cfg and back.epochs == 3 and back.model.name == "ecapa_tdnn"


def test_unknown_key_names_key_and_valid_ones(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown config key 'epoch'.*epochs"):
        TrainConfig.from_dict({"epoch": 3})
    (tmp_path / "c.yaml").write_text("model:\n  nme: tdnn\n")
    with pytest.raises(ConfigError, match=r"'model.nme'.*name, preset, overrides"):
        TrainConfig.load(tmp_path / "c.yaml")


def test_recipe_files_match_code():
    for name in train.RECIPES:
        assert TrainConfig.load(ROOT / "recipes" / f"{name}.yaml") == train.recipe(name), name


def test_config_file_reads_floats_written_with_an_exponent(tmp_path):
    """PyYAML alone reads ``1e-6`` as a string; a config file means the number."""
    (tmp_path / "c.yaml").write_text("lr: 2e-3\nfeatures:\n  kind: log_mel\n  log_floor: 1e-6\n"
                                     "model:\n  preset: 1e5x\n")
    cfg = TrainConfig.load(tmp_path / "c.yaml")
    assert cfg.lr == 2e-3 and cfg.features["log_floor"] == 1e-6
    assert cfg.model.preset == "1e5x"  # not a number: stays a string


# -- checkpoints -----------------------------------------------------------------------------


def test_malicious_pickle_is_refused(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > " + str(tmp_path / "pwned"),))

    path = tmp_path / "evil.pt"
    torch.save({"format": train.CHECKPOINT_FORMAT, "x": Evil()}, path)
    with pytest.raises(CheckpointError, match="refused to load"):
        train.load_checkpoint(path)
    assert not (tmp_path / "pwned").exists()


def test_corrupt_and_foreign_checkpoints(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"bad.pt: not a readable checkpoint"):
        train.load_checkpoint(bad)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not an audiokit checkpoint"):
        train.load_checkpoint(other)
    with pytest.raises(CheckpointError, match="not found"):
        train.load_checkpoint(tmp_path / "missing.pt")


# -- run folders and progress ----------------------------------------------------------------


def test_next_free_run_dir(tmp_path):
    base = tmp_path / "runs" / "digits"
    assert train.next_free_run_dir(base) == base  # nothing there yet
    base.mkdir(parents=True)
    (base / "config.yaml").write_text("{}")
    assert train.next_free_run_dir(base) == base  # a folder without last.pt holds no run
    (base / "last.pt").write_bytes(b"")
    assert train.holds_run(base) and train.next_free_run_dir(base) == tmp_path / "runs" / "digits-2"
    (tmp_path / "runs" / "digits-2").mkdir()
    (tmp_path / "runs" / "digits-2" / "last.pt").write_bytes(b"")
    assert train.next_free_run_dir(base) == tmp_path / "runs" / "digits-3"


def test_progress_mode_follows_stderr(monkeypatch):
    import io

    from audiokit.train.monitor import progress_mode

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress_mode(True) == "lines" and progress_mode("auto") == "lines"
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress_mode(True) == "bar"
    assert progress_mode("lines") == "lines" and progress_mode(False) == "off"
    with pytest.raises(ValueError, match="progress must be"):
        progress_mode("loud")


def test_fit_prints_one_line_per_epoch_when_stderr_is_not_a_terminal(tones, tmp_path, capsys):
    run = train.fit(tiny_config(tones, tmp_path / "lines", augment={}))  # progress=True (default)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert [ln.split(" | ")[0] for ln in lines] == ["epoch 1/2", "epoch 2/2"], out
    assert f"train_loss {run.history[1]['train_loss']:.4f}" in lines[1]
    assert "\r" not in err


# -- the loop --------------------------------------------------------------------------------


def test_resume_is_exact_and_refusals(tones, tmp_path):
    straight = train.fit(tiny_config(tones, tmp_path / "a"), progress=False)
    assert len(straight.history) == 2
    assert (tmp_path / "a" / "history.csv").read_text().count("\n") == 3
    ck = train.load_checkpoint(straight.last_checkpoint)
    assert ck["epoch"] == 2 and ck["classes"] == ["high", "low"]
    rec = straight.history[-1]
    assert rec["valid_count"] == 6 and 0 <= rec["valid_acc"] <= 1

    # 1 epoch, stop, then a fresh fit(resume=True) for the second epoch
    first = train.fit(tiny_config(tones, tmp_path / "b"), progress=False,
                      callbacks=[lambda r, run: run.request_stop()])
    assert len(first.history) == 1
    resumed = train.fit(tiny_config(tones, tmp_path / "b"), resume=True, progress=False)
    assert len(resumed.history) == 2
    sa, sb = straight.model.state_dict(), resumed.model.state_dict()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k
    assert resumed.history[1]["train_loss"] == pytest.approx(straight.history[1]["train_loss"], abs=0)

    # no silent overwrite / resume
    with pytest.raises(CheckpointError, match="already holds a training run.*--resume"):
        train.fit(tiny_config(tones, tmp_path / "b"), progress=False)
    # resume with another model or preset is refused
    other = tiny_config(tones, tmp_path / "b", model={"name": "tdnn", "preset": None})
    with pytest.raises(CheckpointError, match="cannot resume.*model"):
        train.fit(other, resume=True, progress=False)
    with pytest.raises(CheckpointError, match="nothing to resume"):
        train.fit(tiny_config(tones, tmp_path / "c"), resume=True, progress=False)


def test_resume_refuses_other_classes(tones, tmp_path):
    train.fit(tiny_config(tones, tmp_path / "r", epochs=1), progress=False)
    three = make_tones(tmp_path / "three")
    (three / "mid").mkdir()
    for f in sorted((three / "low").iterdir())[:6]:
        (three / "mid" / f.name).write_bytes(f.read_bytes())
    cfg = tiny_config(three, tmp_path / "r", epochs=2)
    with pytest.raises(CheckpointError, match="cannot resume.*2 classes"):
        train.fit(cfg, resume=True, progress=False)


def test_build_from_checkpoint_rebuilds_model(tones, tmp_path):
    run = train.fit(tiny_config(tones, tmp_path / "m", epochs=1, augment={}), progress=False)
    model, extractor, classes = train.build_from_checkpoint(run.best_checkpoint)
    assert classes == ["high", "low"] and extractor.config() == run.extractor.config()
    x = torch.randn(2, 4800)
    fl = torch.tensor([4800, 4000])
    feats, fl = extractor(x, fl), extractor.frame_lengths(fl)
    with torch.no_grad():
        assert torch.allclose(model(feats, fl), run.model(feats, fl), atol=1e-6)


def _runner(tmp_path: Path) -> Path:
    """A script that runs the CLI (what `audiokit` / `python -m audiokit` run)."""
    script = tmp_path / "run_cli.py"
    script.write_text("import sys\nfrom audiokit.cli import main\nsys.exit(main(sys.argv[1:]))\n")
    return script


def test_sigint_saves_resumable_checkpoint(tones, tmp_path):
    cfg = tiny_config(tones, tmp_path / "int", epochs=200)
    cfg.save(tmp_path / "int.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen([sys.executable, str(_runner(tmp_path)), "train", "--config",
                             str(tmp_path / "int.yaml"), "--quiet", "--no-test"],
                            cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while not (tmp_path / "int" / "history.csv").exists() and time.time() < deadline:
        time.sleep(0.2)
    assert (tmp_path / "int" / "history.csv").exists(), "first epoch did not finish in time"
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted (SIGINT)" in err and "--resume" in err and "Traceback" not in err
    ck = train.load_checkpoint(tmp_path / "int" / "last.pt")
    assert ck["interrupted"] == "SIGINT" and ck["epoch"] >= 1
    run = train.fit(tiny_config(tones, tmp_path / "int", epochs=ck["epoch"] + 1), resume=True,
                    progress=False)
    assert run.history[-1]["epoch"] == ck["epoch"] + 1 and run.interrupted is None


def test_ddp_gloo_two_processes_matches_single_process_metrics(tones, tmp_path):
    cfg = tiny_config(tones, tmp_path / "ddp", epochs=1)
    cfg.save(tmp_path / "ddp.yaml")
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node=2", "--master_port",
           str(29500 + os.getpid() % 1000), str(_runner(tmp_path)), "train", "--config",
           str(tmp_path / "ddp.yaml"), "--quiet", "--no-test"]
    res = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180,
                         check=False)
    assert res.returncode == 0, res.stderr[-3000:]
    ck = train.load_checkpoint(tmp_path / "ddp" / "last.pt")
    rec = ck["history"][-1]
    from audiokit.evaluate import evaluate

    valid = train.build_datasets(cfg.data, 16000)["valid"]
    assert rec["valid_count"] == len(valid)  # every clip counted once across the 2 ranks
    ev = evaluate(tmp_path / "ddp" / "last.pt", valid, device="cpu")
    assert rec["valid_acc"] == pytest.approx(ev.accuracy, abs=1e-9)
    assert rec["valid_loss"] == pytest.approx(ev.loss, abs=1e-4)


def test_folder_split_by_group_keys(tmp_path):
    """data.group_by keeps a speaker's files on one side of the split (parent folder or regex)."""
    import numpy as np

    from audiokit import io
    from audiokit.train import ConfigError, DataConfig, build_datasets

    tone = (0.1 * np.sin(np.arange(1600) / 5)).astype(np.float32)
    for label in ("cat", "dog"):
        for speaker in ("ann", "bob", "cid", "dan", "eve"):
            for take in range(2):
                io.save(tmp_path / label / speaker / f"{speaker}_{take}.wav", tone, 16000)
    for group_by in ("parent", r"^([a-z]+)_"):
        data = DataConfig(spec=f"folder:{tmp_path}", valid_fraction=0.2, test_fraction=0.2,
                          group_by=group_by)
        splits = build_datasets(data)
        speakers = {name: {Path(p).parent.name for p in ds.paths} for name, ds in splits.items()}
        assert sum(len(ds) for ds in splits.values()) == 20
        assert not speakers["train"] & speakers["valid"] and not speakers["train"] & speakers["test"]
        assert not speakers["valid"] & speakers["test"]
    with pytest.raises(ConfigError, match="does not match this file name"):
        build_datasets(DataConfig(spec=f"folder:{tmp_path}", group_by=r"^(zz)_"))
    with pytest.raises(ConfigError, match="capture group"):
        build_datasets(DataConfig(spec=f"folder:{tmp_path}", group_by=r"^[a-z]+_"))


# -- silence trimming: saved in the checkpoint, applied to the run's own clips -----------------


def test_trim_rule_is_saved_and_resolved(tones, tmp_path):
    from audiokit.datasets import TRIM_RULES
    from audiokit.train.data import trim_rules

    assert trim_rules(train.recipe("spoken_digits").data) == (TRIM_RULES["spoken_digits"], None)
    assert TRIM_RULES["spoken_digits"]["strip_zeros"] and not TRIM_RULES["drum_hits"]["strip_zeros"]
    assert trim_rules(train.recipe("drum_hits").data)[0]["margin_s"] == 0.002  # the builder's
    folder = TrainConfig.from_dict({"data": {"spec": f"folder:{tones}"}}).data
    assert trim_rules(folder) == (None, None)  # user data: nothing was cut, nothing to redo
    with pytest.raises(ConfigError, match="data.trim"):
        trim_rules(TrainConfig.from_dict({"data": {"spec": "spoken_digits", "trim": "yes"}}).data)
    with pytest.raises(ConfigError, match="unknown key"):
        trim_rules(TrainConfig.from_dict({"data": {"trim": {"top_dB": 30}}}).data)
    rule = {"top_db": 30.0, "margin_s": 0.01}
    cfg = tiny_config(tones, tmp_path / "t", epochs=1, augment={}).replace(**{"data.trim": rule})
    run = train.fit(cfg, progress=False)
    saved = train.load_checkpoint(run.best_checkpoint)["preprocess"]["trim"]
    assert saved == {"top_db": 30.0, "margin_s": 0.01, "frame_length": 512, "hop_length": 128,
                     "precise_start": False, "strip_zeros": False, "peak_dbfs": None}


def test_explicit_trim_cuts_training_clips_before_the_crop(tones, tmp_path):
    from audiokit.train.data import make_loader

    y, _ = train.build_datasets(tiny_config(tones, tmp_path / "x").data, 16000)["train"][0]
    y = np.asarray(y, np.float32)
    silence = np.zeros(8000, np.float32)

    class Padded(torch.utils.data.Dataset):  # one clip with 0.5 s of silence on each side
        sample_rate = 16000

        def __len__(self):
            return 1

        def __getitem__(self, i):
            return torch.from_numpy(np.concatenate([silence, y, silence])), 0

    rule = {"top_db": 40.0, "margin_s": 0.0, "frame_length": 512, "hop_length": 128}
    loader = make_loader(Padded(), 1, train=False, duration=1.0, seed=0, num_workers=0,
                         sampler=None, pin=False, trim=rule)
    _, _, lengths = next(iter(loader))
    untrimmed = make_loader(Padded(), 1, train=False, duration=1.0, seed=0, num_workers=0,
                            sampler=None, pin=False)
    assert int(next(iter(untrimmed))[2][0]) == len(y) + 16000
    # The tone fills its 0.4 s clip: trimming removes the 1 s of added silence, up to the frame
    # grid of librosa.effects.trim (hop 128 samples, frames of 512 centred on it).
    assert abs(int(lengths[0]) - len(y)) <= 512 + 128
    # A shipped set's rule with strip_zeros: only the exact-zero ends go, the clip stays whole
    stripped = make_loader(Padded(), 1, train=False, duration=1.0, seed=0, num_workers=0,
                           sampler=None, pin=False, strip_zeros=True)
    waves, _, lengths = next(iter(stripped))
    sound = np.flatnonzero(y)
    assert int(lengths[0]) == sound[-1] - sound[0] + 1
    assert np.array_equal(waves[0, : int(lengths[0])].numpy(), y[sound[0]: sound[-1] + 1])
