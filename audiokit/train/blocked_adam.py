"""Adam and AdamW on the CPU in cache-sized blocks: torch's numbers, fewer trips to memory.

torch's ``foreach`` Adam runs each of its element-wise operations over every parameter before the
next operation starts: AdamW's decay, ``lerp_``, ``mul_``, ``addcmul_``, ``sqrt``, ``div_``,
``add_`` and ``addcdiv_``. On the CPU that is a loop of whole-tensor kernels, so a large model's
parameters, gradients and both moments cross the memory bus about twenty times per step, and the
square root's temporary is a fresh allocation as large as the parameter (a page fault for every
4 KiB of it, on every step). :class:`BlockedAdamW` and :class:`BlockedAdam` run the very same
operations, in the same order and with the same Python scalars, on blocks of
:data:`BLOCK_ELEMENTS` consecutive elements, so each block's five tensors stay in the core's L2
cache between operations and the temporary is a block. An element-wise kernel computes each
element alone, so the result is torch's bit for bit (``tests/test_blocked_adam.py``); tensors of
one block or less go through torch's own ``foreach`` calls.

Why by hand: torch offers ``foreach`` (these numbers, many passes) and ``fused`` (one pass, but
another rounding of the update: a few elements per thousand differ by an ulp at each step, and a
training run then draws other numbers than the ones every README table was measured with).
Measured (Intel Xeon, 2 threads, 2026-12-05, process time): ``step()`` of PANNs CNN14 (80 M
parameters) 200 ms -> 125 ms wall (fused: about 47 ms); its whole training step on
``benchmarks/speed.py``'s batch 3659 -> 3268 ms, 1.12x. Blocks of 128 K to 1 M elements ran
within 5 % of each other there; 16 K was slower than no blocks (per-call overhead). Models whose
tensors are small (TDNN's largest, 786 K elements, is three blocks) step as
fast as before: their state already sits in cache.

Anything else (amsgrad, maximize, capturable, differentiable, a tensor learning rate, sparse,
complex or non-CPU parameters, the fused kernel) steps through torch's own ``step()``.

Notebook: 06_pipeline_and_training_loop
"""

from __future__ import annotations

from collections.abc import Callable

import torch

__all__ = ["BLOCK_ELEMENTS", "BlockedAdam", "BlockedAdamW"]

#: Elements per block: 1 MiB of float32 per tensor, 5 MiB for the five (parameter, gradient,
#: both moments, the temporary), split over the threads: about the L2 of two cores (2 MiB each on
#: the Intel Xeon measured), the rest in L3. A multiple of 32, so a block's vector loops end on
#: whole vectors just where the whole tensor's do.
BLOCK_ELEMENTS = 1 << 18


def _flat(t: torch.Tensor) -> torch.Tensor:
    """``t``'s elements in memory order as a 1-D view (``t`` dense and non-overlapping)."""
    return t.as_strided((t.numel(),), (1,), t.storage_offset())


def _dense(t: torch.Tensor) -> bool:
    """Whether ``t``'s elements fill its memory without gaps or overlaps (any dimension order)."""
    order = sorted((s, n) for s, n in zip(t.stride(), t.shape) if n > 1)
    expected = 1
    for stride, size in order:
        if stride != expected:
            return False
        expected *= size
    return True


class _BlockedStep:
    """The blocked ``step()`` shared by :class:`BlockedAdam` and :class:`BlockedAdamW`."""

    block_elements: int = BLOCK_ELEMENTS
    decoupled: bool = False

    def _blockable(self) -> bool:
        for group in self.param_groups:
            if (group.get("fused") or not group.get("foreach") or group["amsgrad"]
                    or group["maximize"] or group["capturable"] or group["differentiable"]
                    or torch.is_tensor(group["lr"])
                    or any(torch.is_tensor(b) for b in group["betas"])):
                return False
            for p in group["params"]:
                if p.grad is not None and (p.device.type != "cpu" or p.grad.is_sparse
                                           or not p.is_floating_point()):
                    return False
        return True

    def step(self, closure: Callable[[], torch.Tensor] | None = None) -> torch.Tensor | None:
        """One optimisation step: torch's ``foreach`` Adam / AdamW, large tensors in blocks."""
        if not self._blockable():
            parent = super().step
            if getattr(parent, "hooked", False):
                # torch wrapped it with the step hooks, which our own step already ran
                return parent.__wrapped__(self, closure)
            return parent(closure)
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        with torch.no_grad():
            for group in self.param_groups:
                self._step_group(group)
        return loss

    def _state(self, p: torch.Tensor) -> dict:
        """``p``'s state, created as torch's Adam creates it (a float step on the CPU)."""
        state = self.state[p]
        if not state:
            dtype = torch.float64 if torch.get_default_dtype() == torch.float64 else torch.float32
            state["step"] = torch.tensor(0.0, dtype=dtype)
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        return state

    def _step_group(self, group: dict) -> None:
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        states = [self._state(p) for p in params]
        steps = [s["step"] for s in states]
        torch._foreach_add_(steps, torch.tensor(1.0), alpha=1.0)
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        # torch >= 2.6 folds AdamW into Adam with this group flag; older groups lack it
        decay = (group["weight_decay"], group.get("decoupled_weight_decay", self.decoupled))
        small: list[tuple] = []
        for p, s in zip(params, states):
            step = s["step"].item()
            # the scalars exactly as torch.optim.adam._multi_tensor_adam computes them
            step_size = (lr / (1 - beta1 ** step)) * -1
            bc2_sqrt = (1 - beta2 ** step) ** 0.5
            item = (p, p.grad, s["exp_avg"], s["exp_avg_sq"], step_size, bc2_sqrt)
            if p.numel() > self.block_elements and self._same_layout(item[:4]):
                self._blocks(item, lr, beta1, beta2, decay, eps)
            else:
                small.append(item)
        if small:
            self._foreach(small, lr, beta1, beta2, decay, eps)

    @staticmethod
    def _same_layout(tensors: tuple) -> bool:
        first = tensors[0]
        return _dense(first) and all(t.stride() == first.stride() for t in tensors[1:])

    @staticmethod
    def _foreach(items: list[tuple], lr: float, beta1: float, beta2: float,
                 weight_decay: tuple[float, bool], eps: float) -> None:
        """torch's ``foreach`` sequence over whole tensors (``_multi_tensor_adam``)."""
        ps, gs, ms, vs, step_sizes, bc2_sqrts = (list(c) for c in zip(*items))
        wd, decoupled = weight_decay
        if wd != 0:
            if decoupled:
                torch._foreach_mul_(ps, 1 - lr * wd)
            else:
                gs = torch._foreach_add(gs, ps, alpha=wd)
        torch._foreach_lerp_(ms, gs, 1 - beta1)
        torch._foreach_mul_(vs, beta2)
        torch._foreach_addcmul_(vs, gs, gs, 1 - beta2)
        denom = torch._foreach_sqrt(vs)
        torch._foreach_div_(denom, bc2_sqrts)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(ps, ms, denom, step_sizes)

    def _blocks(self, item: tuple, lr: float, beta1: float, beta2: float,
                weight_decay: tuple[float, bool], eps: float) -> None:
        """The same sequence, one block of memory at a time."""
        p, g, m, v = (_flat(t) for t in item[:4])
        wd, decoupled = weight_decay
        step_size, bc2_sqrt = item[4:]
        n, size = p.numel(), self.block_elements
        for start in range(0, n, size):
            end = min(n, start + size)
            pb, gb, mb, vb = p[start:end], g[start:end], m[start:end], v[start:end]
            if wd != 0:
                if decoupled:
                    pb.mul_(1 - lr * wd)
                else:
                    gb = torch.add(gb, pb, alpha=wd)
            mb.lerp_(gb, 1 - beta1)
            vb.mul_(beta2)
            vb.addcmul_(gb, gb, value=1 - beta2)
            denom = torch.sqrt(vb)
            denom.div_(bc2_sqrt)
            denom.add_(eps)
            pb.addcdiv_(mb, denom, value=step_size)


class BlockedAdamW(_BlockedStep, torch.optim.AdamW):
    """``torch.optim.AdamW`` whose CPU ``foreach`` step runs large tensors in cache-sized blocks.

    Same constructor, state and ``state_dict`` as ``torch.optim.AdamW``; the same numbers bit for
    bit (module docstring: why and how much faster).

    Notebook: 06_pipeline_and_training_loop
    """

    decoupled = True


class BlockedAdam(_BlockedStep, torch.optim.Adam):
    """``torch.optim.Adam`` (L2 weight decay) whose CPU ``foreach`` step runs large tensors in
    cache-sized blocks; see :class:`BlockedAdamW`.

    Notebook: 06_pipeline_and_training_loop
    """
