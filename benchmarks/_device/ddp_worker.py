"""Child under ``torchrun``: one epoch of the default recipe, a collective, then the checkpoint.

Every rank runs ``fit`` (which joins the process group when ``WORLD_SIZE > 1``: NCCL on CUDA,
gloo on the CPU). With one process ``fit`` needs no process group, so this worker checks the
collective itself first: it joins a one-rank group, all-reduces a tensor and leaves, so NCCL is
exercised even on a single GPU. Rank 0 then loads the checkpoint the run wrote with
``load_checkpoint`` and compares its weights with the trained model's.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import os
import time
from typing import Any

import torch
import torch.distributed as dist

from audiokit.train import fit, load_checkpoint, recipe
from benchmarks._device.child import emit, read_spec


def _backend(device: str) -> str:
    return "nccl" if device.startswith("cuda") else "gloo"


def _collective_sum(device: str) -> float:
    """All-reduce this rank's ``rank + 1`` over the current group; returns the sum."""
    local = int(os.environ.get("LOCAL_RANK", "0"))
    dev = torch.device("cuda", local) if device.startswith("cuda") else torch.device("cpu")
    t = torch.tensor([float(dist.get_rank() + 1)], device=dev)
    dist.all_reduce(t)
    return float(t.item())


def one_rank_collective(device: str) -> dict[str, Any]:
    """Join a one-rank group, all-reduce, leave (``fit`` makes no group for one process)."""
    if device.startswith("cuda"):
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend=_backend(device))
    try:
        return {"backend": dist.get_backend(), "all_reduce_sum": _collective_sum(device)}
    finally:
        dist.destroy_process_group()


def _plain_state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """State dict without DDP's ``module.`` / compile's ``_orig_mod.`` prefixes, on the CPU."""
    out = {}
    for k, v in model.state_dict().items():
        for prefix in ("module.", "_orig_mod."):
            k = k.removeprefix(prefix)
        out[k] = v.detach().cpu()
    return out


def check_checkpoint(run) -> dict[str, Any]:
    """Load the run's last checkpoint and compare it with the model in memory."""
    ck = load_checkpoint(run.last_checkpoint)
    saved, live = ck["model_state"], _plain_state(run.model)
    same_keys = set(saved) == set(live)
    max_diff = max((float((saved[k].float() - live[k].float()).abs().max()) for k in saved
                    if k in live and saved[k].numel()), default=0.0)
    return {"checkpoint": str(run.last_checkpoint), "loaded": True, "epoch": int(ck["epoch"]),
            "model_name": ck["model_name"], "tensors": len(saved), "same_keys": same_keys,
            "max_abs_diff": max_diff}


def main() -> None:
    spec = read_spec()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    record: dict[str, Any] = {"world_size": world}
    if world == 1:
        record.update(one_rank_collective(spec["device"]))
    cfg = recipe("spoken_digits", **spec["changes"]).replace(
        epochs=1, out_dir=spec["out_dir"], device=spec["device"])
    t0 = time.perf_counter()
    run = fit(cfg, progress=False)
    record["train_s"] = round(time.perf_counter() - t0, 3)
    if world > 1:
        record.update({"backend": dist.get_backend(), "all_reduce_sum": _collective_sum(spec["device"])})
        dist.barrier()  # rank 0's checkpoint is written before anyone reads or leaves
    if rank == 0:
        record["last_epoch"] = dict(run.history[-1]) if run.history else None
        record.update(check_checkpoint(run))
        emit(spec["result"], record)
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
