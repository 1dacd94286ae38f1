"""The trainer: one run's state (model, front-end, optimiser, data) and its steps.

One training step walks the path of DESIGN.md::

    waveforms (B, samples) --.to(device)--> waveform augmentation
      --FeatureExtractor--> features (B, frames, F), frame lengths
      --SpecAugment, mixup--> model(features, frame_lengths) --> logits --> loss --> optimiser

:func:`audiokit.train.fit` drives a :class:`Trainer` epoch by epoch; the trainer knows nothing
about progress bars, files or signals beyond a stop flag it checks between steps.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F

from audiokit import metrics as M
from audiokit.train.checkpoint import (
    CHECKPOINT_FORMAT,
    CHECKPOINT_VERSION,
    build_model,
    check_resumable,
)
from audiokit.train.config import ConfigError, TrainConfig, validate
from audiokit.train.data import build_augment, build_datasets, make_loader, trim_rules
from audiokit.train.distributed import (
    ShardSampler,
    all_reduce_,
    broadcast_buffers,
    setup_distributed,
    train_sampler,
)
from audiokit.train.fastpath import (
    CompileOrEager,
    apply_backend_flags,
    cudnn_autotune,
    resolve_fastpath,
    to_channels_last,
)
from audiokit.train.finetune import (
    freeze_for_epoch,
    load_init_weights,
    param_groups,
    resolve_init_from,
)
from audiokit.train.optim import (
    amp_dtype,
    autocast,
    load_optimizer_state,
    make_optimizer,
    make_scheduler,
)
from audiokit.train.rundir import BEST, LAST, open_run
from audiokit.train.seeding import derive_seed, rng_state, seed_everything, set_rng_state

__all__ = ["Trainer"]


class Trainer:
    """State and steps of one run; :func:`audiokit.train.fit` is the public entry point.

    Parameters
    ----------
    cfg : TrainConfig
        The run's settings (already validated copies are fine).
    resume : bool
        Continue from ``cfg.out_dir/last.pt`` (see :func:`audiokit.train.rundir.open_run`).
    device : torch.device, optional
        Overrides ``cfg.device`` in a single process.

    Notebook: 06_pipeline_and_training_loop
    """

    def __init__(self, cfg: TrainConfig, resume: bool, device: torch.device | None = None):
        from audiokit.features import FeatureExtractor

        validate(cfg)
        cfg, init_ck = resolve_init_from(cfg)  # fine-tuning: model + features from init_from
        self.cfg = cfg
        self.dist, self.device = setup_distributed(device, cfg.device)
        self.out_dir = Path(cfg.out_dir)
        self.last_path, self.best_path = self.out_dir / LAST, self.out_dir / BEST
        ckpt = open_run(self.out_dir, resume)

        self.extractor = FeatureExtractor(**dict(cfg.features)).to(self.device)
        self.sample_rate = self.extractor.sample_rate
        self.data = build_datasets(cfg.data, self.sample_rate)
        self.trim_saved, self.trim_applied = trim_rules(cfg.data)
        self.classes = list(self.data["train"].classes)
        if len(self.data["train"]) == 0:
            raise ConfigError(f"data {cfg.data.spec!r}: the training split is empty")
        self.wave_aug, self.spec_aug, self.mixup = build_augment(
            cfg.augment, self.sample_rate, len(self.classes))

        seed_everything(cfg.seed)
        self.model = build_model(cfg.model.name, cfg.model.preset, len(self.classes),
                                 self.extractor.n_features, cfg.model.overrides).to(self.device)
        self.init_info = None  # fine-tuning: what came from cfg.init_from (saved in checkpoints)
        if init_ck is not None and ckpt is None:  # --resume continues a run, never re-initialises
            report = load_init_weights(self.model, init_ck, self.classes, cfg.init_from)
            self.init_info = report.to_dict()
            if self.dist.is_main:
                print(report.summary(), flush=True)
        self.opt = make_optimizer(cfg, param_groups(self.model, cfg), self.device)
        self.steps_per_epoch = self._steps_per_epoch()
        self.sched = make_scheduler(self.opt, cfg, self.steps_per_epoch)
        self.amp_dtype = amp_dtype(cfg, self.device)
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp_dtype == torch.float16)

        self.epoch, self.step, self.batch_in_epoch = 0, 0, 0
        self.best_metric, self.history = -math.inf, []
        self._resume_rng = None
        if ckpt is not None:
            self.restore(ckpt)

        self._apply_fastpath()
        self.net: torch.nn.Module = self.model
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel as DDP

            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = DDP(self.model, device_ids=ids)
        self.net = CompileOrEager(self.net, cfg.compile)

    def _apply_fastpath(self) -> None:
        """Resolve the CUDA fast-path switches and apply the ones set here (TF32, cuDNN autotuning,
        channels-last); see :mod:`audiokit.train.fastpath`."""
        fused = bool(self.opt.param_groups[0].get("fused"))
        self.fastpath = resolve_fastpath(self.cfg, self.device, self.model, self.amp_dtype, fused)
        apply_backend_flags(self.fastpath, self.device)
        if self.fastpath.channels_last:
            to_channels_last(self.model, self.device)

    # -- checkpoint state ------------------------------------------------------------------

    def restore(self, ck: dict) -> None:
        """Continue from ``ck`` (a ``last.pt``): weights, optimiser, schedule, counters, RNG."""
        cfg = self.cfg
        check_resumable(ck, self.last_path,
                        (cfg.model.name, cfg.model.preset, dict(cfg.model.overrides)),
                        self.classes, self.extractor.config())
        self.model.load_state_dict(ck["model_state"])
        load_optimizer_state(self.opt, ck["optimizer_state"])
        self.sched.load_state_dict(ck["scheduler_state"])
        if ck.get("scaler_state"):
            self.scaler.load_state_dict(ck["scaler_state"])
        self.epoch = int(ck["epoch"])
        self.step = int(ck["step"])
        self.batch_in_epoch = int(ck.get("batch_in_epoch", 0))
        self.best_metric = float(ck.get("best_metric", -math.inf))
        self.history = [dict(h) for h in ck.get("history", [])]
        self._resume_rng = ck.get("rng")
        self.init_info = ck.get("init_from")

    def state(self, interrupted: str | None = None) -> dict:
        """The checkpoint dict of this moment (the on-disk format of ``best.pt`` / ``last.pt``)."""
        return {
            "format": CHECKPOINT_FORMAT,
            "version": CHECKPOINT_VERSION,
            "model_name": self.cfg.model.name,
            "model_preset": self.cfg.model.preset,
            "model_overrides": dict(self.cfg.model.overrides),
            "num_classes": len(self.classes),
            "n_features": int(self.extractor.n_features),
            "feature_config": self.extractor.config(),
            "classes": list(self.classes),
            "preprocess": {"trim": self.trim_saved},
            "config": self.cfg.to_dict(),
            "model_state": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "optimizer_state": self.opt.state_dict(),
            "scheduler_state": self.sched.state_dict(),
            "scaler_state": self.scaler.state_dict() if self.scaler.is_enabled() else {},
            "epoch": self.epoch,
            "step": self.step,
            "batch_in_epoch": self.batch_in_epoch,
            "best_metric": float(self.best_metric),
            "history": [dict(h) for h in self.history],
            "rng": rng_state(),
            "interrupted": interrupted,
            "torch_version": str(torch.__version__),
            "init_from": self.init_info,
        }

    # -- data ------------------------------------------------------------------------------

    def _per_rank(self) -> int:
        return math.ceil(len(self.data["train"]) / self.dist.world_size)

    def _drop_last(self) -> bool:
        # a last batch of 1 clip would break BatchNorm; drop the partial batch when there are more
        return self._per_rank() > self.cfg.batch_size

    def _steps_per_epoch(self) -> int:
        per_rank, bs = self._per_rank(), self.cfg.batch_size
        return per_rank // bs if self._drop_last() else 1

    def _loader(self, split: str, epoch: int = 0) -> torch.utils.data.DataLoader:
        ds = self.data[split]
        train = split == "train"
        sampler = (train_sampler(ds, self.cfg.seed, epoch, self.dist) if train
                   else ShardSampler(len(ds), self.dist.rank, self.dist.world_size))
        return make_loader(ds, self.cfg.batch_size, train=train, duration=self.cfg.duration,
                           seed=derive_seed(self.cfg.seed, epoch, salt=1 + self.dist.rank),
                           num_workers=self.cfg.num_workers, sampler=sampler,
                           pin=self.fastpath.pin_memory, drop_last=train and self._drop_last(),
                           trim=self.trim_applied,
                           strip_zeros=bool((self.trim_saved or {}).get("strip_zeros")))

    # -- steps -----------------------------------------------------------------------------

    def _features(self, waves: torch.Tensor, lengths: torch.Tensor, train: bool):
        waves = waves.to(self.device, non_blocking=True)
        lengths = lengths.to(self.device, non_blocking=True)
        if train and self.wave_aug is not None:
            waves, lengths = self.wave_aug(waves, lengths)
        feats = self.extractor(waves, lengths)
        flen = self.extractor.frame_lengths(lengths)
        if train and self.spec_aug is not None:
            feats, flen = self.spec_aug(feats, flen)
        return feats, flen

    def _enter_epoch(self, epoch: int) -> int:
        """Seed the epoch (at its start) and return how many batches a resumed run skips."""
        if self.batch_in_epoch == 0:  # epoch boundary: its randomness depends on (seed, epoch)
            seed_everything(derive_seed(self.cfg.seed, epoch, salt=2 + self.dist.rank))
            self._resume_rng = None
        return self.batch_in_epoch

    def train_epoch(self, epoch: int, stop, bar=None) -> dict:
        """Train one epoch (or the rest of one, when resuming mid-epoch).

        Parameters
        ----------
        epoch : int
            0-based epoch index.
        stop : object with a ``signal`` attribute
            Checked after every step; set (e.g. by SIGINT) the epoch ends early.
        bar : tqdm-like, optional
            Gets ``update(1)`` per step and a loss / accuracy / lr postfix every
            ``log_interval`` steps (the only host syncs during an epoch).

        Returns
        -------
        dict
            ``train_loss`` and ``train_acc``, sample-weighted over all ranks, and the fast-path
            settings the epoch ran with (:meth:`audiokit.train.fastpath.FastPath.record`).
        """
        self.net.train()
        self.extractor.train()
        freeze_for_epoch(self.model, self.cfg, epoch)  # freeze_backbone_epochs: head only
        loss_sum = torch.zeros((), dtype=torch.float64, device=self.device)
        correct = torch.zeros((), dtype=torch.int64, device=self.device)
        count = torch.zeros((), dtype=torch.int64, device=self.device)
        skip = self._enter_epoch(epoch)
        for i, (waves, labels, lengths) in enumerate(self._loader("train", epoch)):
            if i < skip:
                continue  # resuming mid-epoch: same order, same crops; skip what was done
            if i == skip and self._resume_rng is not None:
                set_rng_state(self._resume_rng)
                self._resume_rng = None
            labels = labels.to(self.device, non_blocking=True)
            feats, flen = self._features(waves, lengths, train=True)
            targets = labels
            if self.mixup is not None:
                feats, targets, flen = self.mixup(feats, labels, flen)
            logits, loss = self.net.attempt(partial(self._forward_backward, feats, flen, targets))
            self._optimise()
            self.batch_in_epoch = i + 1
            b = labels.shape[0]
            loss_sum += loss.detach().double() * b
            correct += (logits.detach().argmax(1) == labels).sum()
            count += b
            if bar is not None:
                self._show(bar, loss_sum, correct, count)
            if self._should_stop(stop):
                break
        totals = torch.stack([loss_sum, correct.double(), count.double()])
        all_reduce_(totals, self.dist)
        loss_total, correct_total, n = totals.tolist()  # the epoch's one host sync
        n = max(1.0, n)
        return {"train_loss": loss_total / n, "train_acc": correct_total / n,
                **self.fastpath.record(self.net.status)}

    def _forward_backward(self, feats: torch.Tensor, flen: torch.Tensor,
                          targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Forward, loss and the (scaled) backward of one batch; returns (logits, loss).

        Gradients are cleared first, so a step that a failed ``torch.compile`` cut short runs
        again from scratch eagerly (:meth:`CompileOrEager.attempt`).
        """
        self.opt.zero_grad(set_to_none=True)
        with autocast(self.device, self.amp_dtype):
            logits = self.net(feats, flen)
            loss = F.cross_entropy(logits.float(), targets, label_smoothing=self.cfg.label_smoothing)
        self.scaler.scale(loss).backward()
        return logits, loss

    def _optimise(self) -> None:
        """Optional gradient clipping, then the optimiser and schedule step.

        No host sync: the clipping norm stays on the device and the fused optimiser reads a
        GradScaler's inf check there too.
        """
        if self.cfg.grad_clip and self.cfg.grad_clip > 0:
            self.scaler.unscale_(self.opt)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.grad_clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        self.sched.step()
        self.step += 1

    def _show(self, bar, loss_sum: torch.Tensor, correct: torch.Tensor, count: torch.Tensor) -> None:
        bar.update(1)
        if self.step % max(1, self.cfg.log_interval) == 0:  # one host sync per log_interval
            loss, right, n = torch.stack([loss_sum, correct.double(), count.double()]).tolist()
            n = max(1.0, n)
            bar.set_postfix(loss=f"{loss / n:.3f}", acc=f"{right / n:.3f}",
                            lr=f"{self.sched.get_last_lr()[0]:.2e}")

    def _should_stop(self, stop) -> bool:
        if not self.dist.enabled:
            return stop.signal is not None
        if self.step % max(1, self.cfg.log_interval) != 0:
            return False  # ranks agree every log_interval steps (one tiny all_reduce)
        flag = torch.tensor([1.0 if stop.signal else 0.0], device=self.device)
        all_reduce_(flag, self.dist)
        stopping = flag.item() > 0
        if stopping and stop.signal is None:
            stop.signal = "SIGTERM"
        return stopping

    @torch.inference_mode()
    def evaluate_split(self, split: str) -> dict:
        """Loss, accuracy, macro-F1 and clip count of ``split`` (``{}`` when it is empty).

        Counts are summed over ranks before the metrics are computed, so they equal the
        single-process numbers exactly.
        """
        ds = self.data.get(split)
        if ds is None or len(ds) == 0:
            return {}
        with cudnn_autotune(False):  # whole clips: a new length would be a new autotuning
            return self._evaluate(split)

    def _evaluate(self, split: str) -> dict:
        broadcast_buffers(self.model, self.dist)
        self.net.eval()
        self.extractor.eval()
        nc = len(self.classes)
        cm = torch.zeros(nc, nc, dtype=torch.int64, device=self.device)
        loss_sum = torch.zeros(1, dtype=torch.float64, device=self.device)
        for waves, labels, lengths in self._loader(split):
            labels = labels.to(self.device, non_blocking=True)
            feats, flen = self._features(waves, lengths, train=False)
            with autocast(self.device, self.amp_dtype):
                logits = self.model(feats, flen)
            loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum").double()
            M.update_confusion(cm, labels, logits.argmax(1))
        all_reduce_(cm, self.dist)
        all_reduce_(loss_sum, self.dist)
        cm_np = cm.cpu().numpy()
        n = max(1, int(cm_np.sum()))
        return {f"{split}_loss": float(loss_sum) / n, f"{split}_acc": M.accuracy(cm_np),
                f"{split}_f1": M.macro_f1(cm_np), f"{split}_count": int(cm_np.sum())}
