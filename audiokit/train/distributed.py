"""Devices and multi-process training: device choice, the process group, samplers, reductions.

Under ``torchrun`` (``WORLD_SIZE > 1``) every rank runs the same loop; each sees its shard of
the data, gradients are averaged by DistributedDataParallel, and metric *counts* are summed
across ranks, so validation numbers equal the single-process ones exactly.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import datetime
import os
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from audiokit.train.config import ConfigError
from audiokit.train.seeding import derive_seed

__all__ = ["DistInfo", "EpochSampler", "ShardSampler", "all_reduce_", "broadcast_buffers",
           "cleanup_distributed", "is_main_process", "resolve_device", "setup_distributed",
           "train_sampler"]


def resolve_device(device: str = "auto") -> torch.device:
    """``"auto"`` -> CUDA if available, then MPS, then CPU; anything else is checked and returned.

    Notebook: 06_pipeline_and_training_loop
    """
    device = str(device or "auto")
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError:
        raise ConfigError(f"device {device!r} is not valid; use auto, cpu, cuda, cuda:N or mps") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} requested but CUDA is not available; use --device cpu")
    if dev.type == "mps" and not _mps_available():
        raise ConfigError(f"device {device!r} requested but MPS is not available; use --device cpu")
    return dev


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


@dataclass
class DistInfo:
    """This process's place in the run: ``rank`` of ``world_size``, ``local_rank`` on its host."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialized_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def setup_distributed(device: torch.device | None, requested: str) -> tuple[DistInfo, torch.device]:
    """Join the ``torchrun`` process group when there is one; returns (info, this rank's device).

    NCCL on CUDA (one GPU per local rank), gloo elsewhere.

    Notebook: 06_pipeline_and_training_loop
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo(), device if device is not None else resolve_device(requested)
    import torch.distributed as dist

    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dev = resolve_device(requested)
    if dev.type == "cuda":
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)
    created = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if dev.type == "cuda" else "gloo")
        created = True
    return DistInfo(rank, world, local_rank, created), dev


def all_reduce_(t: torch.Tensor, d: DistInfo) -> torch.Tensor:
    """Sum ``t`` over all ranks in place (a no-op in a single process)."""
    if d.enabled:
        import torch.distributed as dist

        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t


def broadcast_buffers(model: torch.nn.Module, d: DistInfo) -> None:
    """Give every rank rank 0's buffers (BatchNorm statistics).

    DDP broadcasts buffers before each training forward, so after the last step the ranks differ
    slightly; evaluating (and saving) rank 0's everywhere keeps the ranks' numbers identical.
    """
    if d.enabled:
        import torch.distributed as dist

        for b in model.buffers():
            dist.broadcast(b, src=0)


def cleanup_distributed() -> None:
    """Destroy the process group if one was created (call at the end of a torchrun process).

    The ranks first meet at a barrier, so none tears its connections down while a peer still
    talks to it: without it a gloo rank that finished first sometimes aborted ("terminate
    called without an active exception", 2 of 7 two-process runs of the DDP test on 2 cores).
    On gloo the barrier is ``monitored_barrier`` with a timeout, so a rank that never arrives
    (one interrupted alone) is reported instead of waited for forever.
    """
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return
    try:
        if dist.get_backend() == "gloo":
            dist.monitored_barrier(timeout=datetime.timedelta(seconds=60))
        else:
            dist.barrier()
    except RuntimeError as exc:  # a peer gone or late: still release this rank's resources
        warnings.warn(f"cleanup_distributed: the ranks did not meet before shutdown ({exc})",
                      stacklevel=2)
    dist.destroy_process_group()


def is_main_process() -> bool:
    """True unless this is a torchrun worker with RANK > 0."""
    return int(os.environ.get("RANK", "0")) == 0


class ShardSampler(torch.utils.data.Sampler):
    """Evaluation shard ``indices[rank::world]``: no padding, no duplicates, so summed counts
    across ranks equal the single-process counts exactly."""

    def __init__(self, n: int, rank: int, world: int):
        self.idx = list(range(rank, n, world))

    def __iter__(self) -> Iterator[int]:
        return iter(self.idx)

    def __len__(self) -> int:
        return len(self.idx)


class EpochSampler(torch.utils.data.Sampler):
    """Shuffled order of one epoch, derived only from (seed, epoch) so resume is exact."""

    def __init__(self, n: int, seed: int, epoch: int):
        self.n, self.seed, self.epoch = n, seed, epoch

    def __iter__(self) -> Iterator[int]:
        g = torch.Generator().manual_seed(derive_seed(self.seed, self.epoch))
        return iter(torch.randperm(self.n, generator=g).tolist())

    def __len__(self) -> int:
        return self.n


def train_sampler(dataset, seed: int, epoch: int, d: DistInfo) -> torch.utils.data.Sampler:
    """The training order of ``epoch``: this rank's ``DistributedSampler`` shard under DDP, else
    an :class:`EpochSampler` over the whole ``dataset``."""
    if d.enabled:
        from torch.utils.data.distributed import DistributedSampler

        s = DistributedSampler(dataset, num_replicas=d.world_size, rank=d.rank, shuffle=True,
                               seed=seed)
        s.set_epoch(epoch)
        return s
    return EpochSampler(len(dataset), seed, epoch)
