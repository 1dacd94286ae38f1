"""Repeatable randomness: seeds derived from (seed, epoch) and the RNG state a checkpoint keeps.

Every random choice of a run (weights, data order, crops, augmentation, dropout) draws from
Python's, NumPy's or torch's global generators. The loop reseeds them from ``(seed, epoch)`` at
each epoch boundary and stores their state in ``last.pt``, so a resumed run continues with the
very numbers the uninterrupted run would have drawn.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

import random

import numpy as np
import torch

__all__ = ["derive_seed", "rng_state", "seed_everything", "set_rng_state"]


def derive_seed(seed: int, epoch: int, salt: int = 0) -> int:
    """A seed that depends only on (``seed``, ``epoch``, ``salt``), in [0, 2**63 - 1).

    ``salt`` separates streams that must not repeat each other (data order, crops, per-rank
    augmentation).

    Notebook: 06_pipeline_and_training_loop
    """
    return (int(seed) * 1_000_003 + int(epoch) * 7919 + salt * 104_729) % (2**63 - 1)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's global generators (CPU and every CUDA device).

    Notebook: 06_pipeline_and_training_loop
    """
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def rng_state() -> dict:
    """The global generators' state as tensors and plain types (safe for ``weights_only`` loads).

    Notebook: 06_pipeline_and_training_loop
    """
    np_state = np.random.get_state()
    py_state = random.getstate()
    state = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(np_state[1].astype(np.int64)), "pos": int(np_state[2]),
                  "has_gauss": int(np_state[3]), "cached_gaussian": float(np_state[4])},
        "python": {"version": int(py_state[0]), "state": list(py_state[1]),
                   "gauss_next": py_state[2]},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    """Restore what :func:`rng_state` returned.

    Notebook: 06_pipeline_and_training_loop
    """
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["state"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        try:
            torch.cuda.set_rng_state_all(state["cuda"])
        except RuntimeError:
            pass  # different GPU count: CUDA streams are reseeded per epoch anyway
