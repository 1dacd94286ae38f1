"""The CUDA fast path of the training loop (audiokit.train.fastpath, optim), proven on the CPU.

The pure choices (optimiser kernel, channels-last, amp dtype) are tested for CUDA and CPU
devices without a GPU; the compile fallback is forced by a compiler that raises; the absence of
per-step host syncs is counted with patched tensor-to-Python conversions. The tests marked
``cuda`` run on a GPU (``benchmarks/device_check.py`` runs them with ``pytest -m cuda``).
"""

from __future__ import annotations

import collections
import csv
import functools
import sys
import traceback
from pathlib import Path

import pytest
import torch

from audiokit import models, train
from audiokit.train.config import ConfigError, TrainConfig
from audiokit.train.fastpath import (
    FASTPATH_COLUMNS,
    NCHW_WEIGHT_ELEMENTS,
    CompileFallbackWarning,
    CompileOrEager,
    is_2d,
    to_channels_last,
    use_channels_last,
)
from audiokit.train.loop import Trainer
from audiokit.train.optim import (
    amp_dtype,
    cpu_has_native_bf16,
    load_optimizer_state,
    make_optimizer,
    optimizer_kernel,
)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from test_train import make_tones, tiny_config

from benchmarks.models import TWO_D  # after the path insert

CUDA = torch.cuda.is_available()
CPU_RECORD = {"amp": "off", "channels_last": False, "fused_optimizer": False, "tf32": False,
              "cudnn_benchmark": False, "pin_memory": False, "compile": "off"}


@pytest.fixture(scope="module")
def tones(tmp_path_factory) -> Path:
    return make_tones(tmp_path_factory.mktemp("tones"))


class _Stop:
    signal = None


# -- pure choices ----------------------------------------------------------------------------


@pytest.mark.parametrize(("device", "setting", "expected"), [
    ("cuda", "auto", {"fused": True, "foreach": False}),
    ("cuda:1", "auto", {"fused": True, "foreach": False}),
    ("cpu", "auto", {"fused": False, "foreach": True}),
    ("mps", "auto", {"fused": False, "foreach": True}),
    ("cuda", False, {"fused": False, "foreach": True}),
    ("cpu", True, {"fused": True, "foreach": False}),
    ("mps", True, {"fused": True, "foreach": False}),
])
def test_optimizer_kernel_is_fused_on_cuda_and_foreach_elsewhere(device, setting, expected):
    assert optimizer_kernel(device, setting) == expected


def test_foreach_on_the_cpu_gives_the_numbers_of_torchs_default():
    """The CPU's default kernel (``foreach``) is torch's default (a for-loop over the
    parameters), bit for bit, through a model's training steps."""
    def run(optimizer: str, ours: bool) -> dict:
        torch.manual_seed(0)
        model = models.build("resnet_se", 4, 16, preset="tiny")
        cfg = TrainConfig(optimizer=optimizer)
        opt = make_optimizer(cfg, model.parameters()) if ours else _torch_default(optimizer, model, cfg)
        g = torch.Generator().manual_seed(1)
        for _ in range(3):
            x, y = torch.randn(4, 30, 16, generator=g), torch.randint(0, 4, (4,), generator=g)
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
        return model.state_dict()

    for optimizer in ("adamw", "sgd"):
        ours, default = run(optimizer, True), run(optimizer, False)
        assert all(torch.equal(ours[k], default[k]) for k in ours), optimizer


def test_the_cpus_fused_kernel_meets_torchs_default():
    """The CPU's opt-in fused kernel against torch's default on the same gradients, 50 steps:
    SGD bit for bit; AdamW within 1e-6 of each tensor's largest value. Why that bound: the fused
    kernel may evaluate the same update in another order or with FMAs (per vector width, so per
    CPU): a few float32 roundings (eps 1.2e-7) of each step's update, which is far smaller than
    the weights. Measured: 0 on an Intel Xeon (2026-12-05); 5e-8 after 200 steps of other shapes."""
    g = torch.Generator().manual_seed(0)
    start = [torch.randn(64, 32, generator=g), torch.randn(64, generator=g),
             torch.randn(16, 1, 5, 5, generator=g)]
    grads = [[torch.randn(p.shape, generator=g) for p in start] for _ in range(50)]
    for optimizer in ("adamw", "sgd"):
        cfg = TrainConfig(optimizer=optimizer, fused_optimizer=True)
        ps = {k: [torch.nn.Parameter(p.clone()) for p in start] for k in ("fused", "default")}
        fused = make_optimizer(cfg, ps["fused"])
        assert fused.param_groups[0]["fused"] is True
        default = _torch_default(optimizer, ps["default"], cfg)
        for step in grads:
            for name, opt in (("fused", fused), ("default", default)):
                for p, grad in zip(ps[name], step):
                    p.grad = grad.clone()
                opt.step()
        for a, b in zip(ps["fused"], ps["default"]):
            gap = ((a - b).abs().max() / b.abs().max()).item()
            assert gap == 0 if optimizer == "sgd" else gap < 1e-6, (optimizer, gap)


def _torch_default(optimizer: str, model, cfg: TrainConfig):
    params = model.parameters() if isinstance(model, torch.nn.Module) else model
    if optimizer == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, nesterov=True,
                           weight_decay=cfg.weight_decay)


def test_make_optimizer_builds_the_chosen_kernel():
    params = [torch.nn.Parameter(torch.zeros(3))]
    opt = make_optimizer(TrainConfig(), params, torch.device("cpu"))
    assert (opt.param_groups[0]["fused"], opt.param_groups[0]["foreach"]) == (False, True)


def test_resume_keeps_this_runs_kernel_not_the_checkpoints():
    """A checkpoint written with foreach (CPU), resumed with the fused kernel (as on a GPU)."""
    p = torch.nn.Parameter(torch.ones(3))
    saved = torch.optim.AdamW([p], foreach=True)
    p.grad = torch.ones(3)
    saved.step()
    q = torch.nn.Parameter(torch.ones(3))
    resumed = torch.optim.AdamW([q], fused=True)
    load_optimizer_state(resumed, saved.state_dict())
    assert (resumed.param_groups[0]["fused"], resumed.param_groups[0]["foreach"]) == (True, None)
    assert torch.equal(resumed.state[q]["exp_avg"], saved.state[p]["exp_avg"])


def test_channels_last_only_for_the_2d_models():
    for name in models.available():
        two_d = is_2d(models.build(name, 3, 40, preset="tiny"))
        assert two_d == (name in TWO_D), name  # the registry's models agree with the benchmark list
        assert use_channels_last("auto", two_d, "cuda") == two_d
        assert use_channels_last(True, two_d, "cpu") == two_d
        assert use_channels_last("auto", two_d, "cpu") == two_d  # measured faster there too
        assert use_channels_last("auto", two_d, "mps") is False
        assert use_channels_last(False, two_d, "cuda") is False


@pytest.mark.parametrize(("amp", "bf16", "expected"), [
    ("auto", True, torch.bfloat16),
    ("auto", False, torch.float16),  # pre-Ampere GPUs: bf16 only emulated -> fp16 + GradScaler
    ("bf16", False, torch.bfloat16),
    ("fp16", True, torch.float16),
    ("off", True, None),
])
def test_amp_auto_is_bf16_where_the_gpu_has_it_else_fp16(amp, bf16, expected):
    cuda = torch.device("cuda")
    assert amp_dtype(TrainConfig(amp=amp), cuda, bf16_supported=bf16) is expected
    if amp != "bf16":
        assert amp_dtype(TrainConfig(amp=amp), torch.device("cpu"), bf16_supported=bf16) is None


def test_amp_on_the_cpu_is_bf16_only_when_asked_and_native():
    cpu = torch.device("cpu")
    assert amp_dtype(TrainConfig(amp="bf16"), cpu, bf16_supported=True) is torch.bfloat16
    with pytest.warns(UserWarning, match="no native bf16"):
        assert amp_dtype(TrainConfig(amp="bf16"), cpu, bf16_supported=False) is None
    for amp in ("auto", "fp16", "off"):  # the CPU default stays float32
        assert amp_dtype(TrainConfig(amp=amp), cpu, bf16_supported=True) is None


@pytest.mark.skipif(not cpu_has_native_bf16(), reason="this CPU has no native bf16")
def test_a_cpu_bf16_run_trains_under_autocast_and_says_so(tones, tmp_path):
    tr = Trainer(tiny_config(tones, tmp_path / "r", epochs=1, amp="bf16"), resume=False)
    assert tr.amp_dtype is torch.bfloat16 and tr.fastpath.amp == "bf16"
    seen = []
    layer = next(m for m in tr.model.modules() if isinstance(m, (torch.nn.Conv1d, torch.nn.Linear)))
    layer.register_forward_hook(lambda m, i, o: seen.append(o.dtype))
    rec = tr.train_epoch(0, _Stop())
    assert rec["amp"] == "bf16" and torch.isfinite(torch.tensor(rec["train_loss"]))
    assert seen and set(seen) == {torch.bfloat16}  # the layers ran in bf16
    assert all(p.dtype == torch.float32 for p in tr.model.parameters())  # the weights did not


# -- config ----------------------------------------------------------------------------------


def test_switches_round_trip_and_bad_values_name_the_key(tmp_path):
    cfg = train.recipe("drum_hits", channels_last=True, fused_optimizer=False, tf32=False,
                       cudnn_benchmark=False, pin_memory=False, compile=True)
    cfg.save(tmp_path / "c.yaml")
    back = TrainConfig.load(tmp_path / "c.yaml")
    assert back == cfg
    assert (back.channels_last, back.fused_optimizer, back.tf32, back.compile) == (True, False, False, True)
    defaults = TrainConfig()
    assert (defaults.channels_last, defaults.fused_optimizer, defaults.tf32,
            defaults.cudnn_benchmark, defaults.pin_memory, defaults.compile) == (
        "auto", "auto", True, True, True, False)
    from audiokit.train.fastpath import check_switches

    with pytest.raises(ConfigError, match=r"channels_last must be auto, true or false, got 'yes'"):
        check_switches(TrainConfig(channels_last="yes"))
    with pytest.raises(ConfigError, match=r"tf32 must be true or false, got 'auto'"):
        check_switches(TrainConfig(tf32="auto"))


def test_a_cpu_run_records_its_switches_in_history_and_config(tones, tmp_path):
    run = train.fit(tiny_config(tones, tmp_path / "r", epochs=1, channels_last=True), progress=False)
    with open(tmp_path / "r" / "history.csv", newline="") as fh:
        reader = csv.DictReader(fh)
        rows, columns = list(reader), reader.fieldnames
    assert columns[-len(FASTPATH_COLUMNS):] == list(FASTPATH_COLUMNS)  # settings after metrics
    # tdnn is 1-D, so channels_last=True resolves to False; the rest are the CPU's choices
    assert {k: rows[0][k] for k in FASTPATH_COLUMNS} == {k: str(v) for k, v in CPU_RECORD.items()}
    assert {k: run.history[0][k] for k in FASTPATH_COLUMNS} == CPU_RECORD
    dumped = TrainConfig.load(tmp_path / "r" / "config.yaml")
    assert (dumped.channels_last, dumped.fused_optimizer, dumped.tf32) == (True, "auto", True)


def _layout_shows(m: torch.nn.Module) -> bool:
    """A conv whose weight's NCHW and NHWC strides differ (not 1 input channel, not 1 x 1)."""
    return isinstance(m, torch.nn.Conv2d) and m.in_channels > 1 and m.kernel_size != (1, 1)


def test_channels_last_on_the_cpu_for_a_2d_model(tones, tmp_path):
    cfg = tiny_config(tones, tmp_path / "r", epochs=1, channels_last=True,
                      model={"name": "resnet_se", "preset": "tiny", "overrides": {}})
    tr = Trainer(cfg, resume=False)
    conv = next(m for m in tr.model.modules() if _layout_shows(m))
    assert tr.fastpath.channels_last is True
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()  # NHWC strides, not the default NCHW
    rec = tr.train_epoch(0, _Stop())
    assert rec["channels_last"] is True and torch.isfinite(torch.tensor(rec["train_loss"]))


CNN14_NCHW = ["blocks.4.convs.0.0", "blocks.4.convs.1.0", "blocks.5.convs.0.0", "blocks.5.convs.1.0"]


def test_cnn14_keeps_its_widest_convolutions_nchw_on_the_cpu():
    torch.manual_seed(0)
    model = models.build("panns_cnn14", 10, 64).eval()
    x = torch.randn(2, 64, 64)
    with torch.no_grad():
        want = model(x)
    assert to_channels_last(model, "cpu") == CNN14_NCHW
    convs = {n: m for n, m in model.named_modules() if _layout_shows(m)}
    for name, conv in convs.items():  # 512 -> 1024 channels, 3 x 3 and wider: NCHW weights
        nchw = conv.weight.numel() > NCHW_WEIGHT_ELEMENTS
        assert (name in CNN14_NCHW) == nchw
        assert conv.weight.is_contiguous() == nchw
        assert conv.weight.is_contiguous(memory_format=torch.channels_last) != nchw
    seen = {}
    for name, conv in convs.items():
        conv.register_forward_pre_hook(
            lambda m, a, name=name: seen.__setitem__(name, a[0].is_contiguous()))
    with torch.no_grad():
        got = model(x)
    assert seen == {name: name in CNN14_NCHW for name in convs}  # NCHW inputs there only
    # the same numbers: another kernel may sum in another order (float32 rounding, allowed at
    # 1e-6 of the logits' scale; 0 measured on an Intel Xeon), a wrong weight would move them
    # at their own scale
    torch.testing.assert_close(got, want, rtol=0, atol=1e-6 * float(want.abs().max()))


def test_narrower_cnns_and_cuda_are_channels_last_throughout():
    for name, device in (("panns_cnn6", "cpu"), ("panns_cnn10", "cpu"), ("panns_cnn14", "cuda")):
        model = models.build(name, 10, 64)
        assert to_channels_last(model, device) == []  # (the layout only: nothing moves)
        assert all(m.weight.is_contiguous(memory_format=torch.channels_last)
                   for m in model.modules() if _layout_shows(m))


# -- torch.compile falls back ----------------------------------------------------------------


def _broken_backend(gm, example_inputs):
    raise RuntimeError("no working C++ compiler")


def _final_state(run) -> dict:
    return {k: v.clone() for k, v in run.model.state_dict().items()}


@pytest.mark.parametrize("failure", ["at_wrap", "at_first_call"])
def test_compile_failure_warns_once_and_trains_like_eager(tones, tmp_path, monkeypatch, failure):
    eager = train.fit(tiny_config(tones, tmp_path / "eager"), progress=False)
    real_compile = torch.compile
    if failure == "at_wrap":
        def compiler(*args, **kwargs):
            raise RuntimeError("torch.compile is not supported on this platform")
    else:  # compiles lazily: the broken backend raises inside the first training step
        compiler = functools.partial(real_compile, backend=_broken_backend)
    monkeypatch.setattr(torch, "compile", compiler)
    with pytest.warns(CompileFallbackWarning) as caught:
        compiled = train.fit(tiny_config(tones, tmp_path / "compiled", compile=True), progress=False)
    ours = [w for w in caught if issubclass(w.category, CompileFallbackWarning)]
    assert len(ours) == 1
    message = str(ours[0].message)
    assert "\n" not in message and message.startswith("torch.compile failed (")
    assert message.endswith("training continues with the eager model")
    assert [h["compile"] for h in compiled.history] == ["failed", "failed"]
    assert [h["compile"] for h in eager.history] == ["off", "off"]
    a, b = _final_state(eager), _final_state(compiled)
    assert all(torch.equal(a[k], b[k]) for k in a)  # the eager rerun of the step changed nothing
    assert compiled.history[1]["train_loss"] == eager.history[1]["train_loss"]


def test_errors_after_a_working_compiled_step_are_not_hidden():
    calls = []

    def step():
        calls.append(1)
        if len(calls) > 1:
            raise ValueError("a real bug in step 2")
        return "ok"

    net = CompileOrEager(torch.nn.Identity(), enabled=True, compiler=lambda m: m)
    assert net.status == "on" and net.attempt(step) == "ok"
    with pytest.raises(ValueError, match="a real bug"):
        net.attempt(step)
    assert net.status == "on" and len(calls) == 2  # not retried, not called a compile failure


# -- no host sync per step -------------------------------------------------------------------

_CONVERSIONS = ("item", "tolist", "cpu", "numpy", "__float__", "__int__", "__bool__", "__index__")


def _count_conversions(monkeypatch) -> collections.Counter:
    """Count tensor -> Python conversions by the audiokit file:line that asked for them.

    The loader's collate (audiokit/datasets) works on CPU tensors before the copy to the
    device, and torch's own code (optimiser step counters, the DataLoader) is not ours: neither
    is a device sync, so only the rest of audiokit is counted. The blocked Adam step
    (audiokit/train/blocked_adam.py) reads the same CPU step counters as torch's optimiser and
    runs only for CPU parameters, so it is torch's case too.
    """
    calls: collections.Counter = collections.Counter()
    package = str(ROOT / "audiokit")
    for name in _CONVERSIONS:
        original = getattr(torch.Tensor, name)

        def counted(self, *args, _original=original, **kwargs):
            caller = traceback.extract_stack(limit=2)[0]
            if (caller.filename.startswith(package) and "/datasets/" not in caller.filename
                    and not caller.filename.endswith("blocked_adam.py")):
                calls[f"{Path(caller.filename).relative_to(ROOT)}:{caller.lineno}"] += 1
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(torch.Tensor, name, counted)
    return calls


class _Bar:
    def update(self, n: int) -> None:
        pass

    def set_postfix(self, **kwargs) -> None:
        pass


def _epoch_syncs(tones, out: Path, batch_size: int, log_interval: int, monkeypatch) -> tuple[int, int]:
    tr = Trainer(tiny_config(tones, out, batch_size=batch_size, log_interval=log_interval), resume=False)
    with monkeypatch.context() as m:
        calls = _count_conversions(m)
        tr.train_epoch(0, _Stop(), _Bar())
    return tr.steps_per_epoch, sum(calls.values())


def test_an_epoch_syncs_once_however_many_steps(tones, tmp_path, monkeypatch):
    steps_a, syncs_a = _epoch_syncs(tones, tmp_path / "a", 8, 1000, monkeypatch)
    steps_b, syncs_b = _epoch_syncs(tones, tmp_path / "b", 4, 1000, monkeypatch)
    assert (steps_a, steps_b) == (2, 4)
    # the epoch's totals (one tolist) and the sampler's CPU order: nothing that grows per step
    assert syncs_a == syncs_b == 2
    # the counter does see syncs: a postfix every step adds one per step
    steps_c, syncs_c = _epoch_syncs(tones, tmp_path / "c", 4, 1, monkeypatch)
    assert syncs_c == syncs_b + steps_c


# -- what the device check measures ---------------------------------------------------------


def test_device_check_fit_mode_resolves_the_switches_as_fit_does():
    from benchmarks._device import training
    from benchmarks._device.report import fastpath_text
    from benchmarks._device.step_worker import MODES, switches

    assert training.FASTPATH_COLUMNS == FASTPATH_COLUMNS  # the stdlib-only parent's copy
    for name in ("tdnn", "resnet_se"):
        model = models.build(name, 3, 40, preset="tiny")
        # without a GPU, "auto" amp resolves to fp16 on CUDA: either way the step autocasts
        assert switches(MODES["fit"], model, "cuda") == {
            "amp": True, "channels_last": name == "resnet_se", "fused": True, "tf32": True}
        assert switches(MODES["fit"], model, "cpu") == {
            "amp": False, "channels_last": name == "resnet_se", "fused": False, "tf32": False}
        assert switches(MODES["bf16+channels_last"], model, "cuda")["fused"] is False
    text = fastpath_text({"amp": "bf16", "channels_last": "True", "fused_optimizer": "True",
                          "tf32": "False", "pin_memory": "True", "compile": "failed"})
    assert text == "amp bf16, channels_last, fused_optimizer, pin_memory, compile failed"


# -- on a GPU (pytest -m cuda; the device check runs these) ----------------------------------


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_cuda_fit_takes_the_fast_path(tones, tmp_path):
    cfg = tiny_config(tones, tmp_path / "r", epochs=1, device="cuda",
                      model={"name": "resnet_se", "preset": "tiny", "overrides": {}})
    tr = Trainer(cfg, resume=False)
    rec = tr.train_epoch(0, _Stop())
    bf16 = torch.cuda.is_bf16_supported(including_emulation=False)
    assert {k: rec[k] for k in FASTPATH_COLUMNS} == {
        "amp": "bf16" if bf16 else "fp16", "channels_last": True, "fused_optimizer": True,
        "tf32": True, "cudnn_benchmark": True, "pin_memory": True, "compile": "off"}
    assert tr.opt.param_groups[0]["fused"] is True
    assert torch.get_float32_matmul_precision() == "high" and torch.backends.cudnn.benchmark
    conv = next(m for m in tr.model.modules() if _layout_shows(m))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not conv.weight.is_contiguous()
    waves, _, _ = next(iter(tr._loader("train")))
    assert waves.is_pinned()
    assert torch.isfinite(torch.tensor(rec["train_loss"]))


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_cuda_steps_do_not_synchronise(tones, tmp_path):
    """torch's sync debug mode warns at every host-device sync; an epoch has only its last."""
    import warnings

    cfg = tiny_config(tones, tmp_path / "r", epochs=1, device="cuda", batch_size=4,
                      log_interval=1000, augment={})
    tr = Trainer(cfg, resume=False)
    tr.train_epoch(0, _Stop())  # warm-up: cuDNN autotuning and first-call allocations
    torch.cuda.synchronize()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.cuda.set_sync_debug_mode("warn")
        try:
            tr.train_epoch(1, _Stop())
        finally:
            torch.cuda.set_sync_debug_mode("default")
    syncs = [str(w.message).splitlines()[0] for w in caught if "synchroniz" in str(w.message)]
    assert tr.steps_per_epoch == 4
    assert len(syncs) <= 1, syncs  # the epoch's totals; none per step


@pytest.mark.cuda
@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_cuda_rng_state_is_saved_and_restored():
    from audiokit.train.seeding import rng_state, set_rng_state

    torch.cuda.manual_seed_all(7)
    torch.rand(3, device="cuda")
    state = rng_state()
    assert "cuda" in state and len(state["cuda"]) == torch.cuda.device_count()
    first = torch.rand(5, device="cuda")
    set_rng_state(state)
    assert torch.equal(torch.rand(5, device="cuda"), first)
