"""Time budget and the child-process runner of the device check (standard library only).

A run has ``total_s`` seconds. Each section, when it starts, gets the time still left times its
share over the shares of the sections still to run, so time a section does not use flows to the
ones after it, and the last section can never run past the end. Inside a section every child
process gets ``min(its own cap, what the section has left)``; a child that overruns is stopped
(SIGTERM to its process group, SIGKILL 5 s later) and reported as ``over budget``.

Notebook: 14_comparing_backbones
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

OK = "ok"
OVER_BUDGET = "over budget"
MIN_CHILD_S = 2.0  # a child given less than this is not started (it could not even import torch)
KILL_GRACE_S = 5.0


def skipped(why: str) -> str:
    """The status of something that was not run, with the reason."""
    return f"skipped: {why}"


def failed(error: object) -> str:
    """The status of something that raised or exited non-zero: its first non-empty error line."""
    return f"failed: {first_line(str(error)) or type(error).__name__}"


def first_line(text: str, limit: int = 240) -> str:
    """The first non-empty line of ``text``, cut to ``limit`` characters."""
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:limit]
    return ""


def is_problem(status: str) -> bool:
    """True for statuses that are not ``ok`` (skipped, failed, over budget, fallback)."""
    return status != OK


@dataclass
class Clock:
    """A deadline on the monotonic clock (s)."""

    deadline: float

    def left(self) -> float:
        """Seconds until the deadline (never negative)."""
        return max(0.0, self.deadline - time.monotonic())

    def timeout(self, cap_s: float) -> float:
        """The timeout for one child: its cap, or what is left when that is less."""
        return min(float(cap_s), self.left())


@dataclass
class Budget:
    """Shares of ``total_s`` seconds for named sections, with unused time flowing forward.

    Parameters
    ----------
    total_s : float
        The whole run, in seconds.
    shares : dict
        Section name -> relative share (any positive numbers; normalised over what is left).
    floors_s : dict
        Section name -> seconds it gets even when its share is less (as long as time is left),
        for sections that must not be cut short, such as the probe that finds the GPU.
    reserve_s : float
        Kept back at the end for writing the report.
    """

    total_s: float
    shares: dict[str, float]
    floors_s: dict[str, float] = field(default_factory=dict)
    reserve_s: float = 3.0
    start: float = field(default_factory=time.monotonic)

    def elapsed(self) -> float:
        """Seconds since the budget started."""
        return time.monotonic() - self.start

    def left(self) -> float:
        """Seconds left for sections (total minus elapsed minus the reserve)."""
        return max(0.0, self.total_s - self.reserve_s - self.elapsed())

    def clock_for(self, name: str, still_to_run: list[str]) -> Clock:
        """The deadline of section ``name``; ``still_to_run`` includes ``name`` itself."""
        total_share = sum(self.shares[n] for n in still_to_run)
        allot = self.left() * self.shares[name] / total_share
        allot = min(self.left(), max(allot, self.floors_s.get(name, 0.0)))
        return Clock(time.monotonic() + allot)


@dataclass
class ChildResult:
    """How a child process ended.

    Attributes
    ----------
    returncode : int or None
        Exit status (None when it was not started or had to be killed).
    timed_out : bool
        It ran past its timeout (or was not started for lack of time).
    wall_s : float
        Seconds it ran.
    log : Path
        Its stdout + stderr.
    """

    returncode: int | None
    timed_out: bool
    wall_s: float
    log: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def tail(self, n_chars: int = 4000) -> str:
        """The last ``n_chars`` characters of the log."""
        try:
            with open(self.log, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                fh.seek(max(0, fh.tell() - n_chars))
                return fh.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def status(self) -> str:
        """``ok``, ``over budget`` or ``failed: <last error line of the log>``."""
        if self.timed_out:
            return OVER_BUDGET
        if self.returncode == 0:
            return OK
        return failed(f"exit {self.returncode}: {last_error_line(self.tail())}")


def last_error_line(text: str) -> str:
    """The most telling line of a log tail: the last one naming an error, else the last line."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for line in reversed(lines):
        if "Error" in line or "error:" in line or "Exception" in line:
            return line[:240]
    return lines[-1][:240] if lines else "(no output)"


def run_child(cmd: list[str], timeout_s: float, log: Path, cwd: Path,
              env: dict[str, str] | None = None) -> ChildResult:
    """Run ``cmd`` in its own process group with output to ``log``; stop it at ``timeout_s``.

    Never raises for a child that fails, hangs or cannot start in time: the result says so.
    """
    log.parent.mkdir(parents=True, exist_ok=True)
    if timeout_s < MIN_CHILD_S:
        log.write_text(f"not started: {timeout_s:.1f} s left\n")
        return ChildResult(None, True, 0.0, log)
    t0 = time.monotonic()
    with open(log, "wb") as out:
        out.write(("$ " + " ".join(cmd) + "\n").encode())
        out.flush()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            rc = proc.wait(timeout=timeout_s)
            _kill_group(proc.pid)  # leftovers (loader workers, torchrun ranks) go with it
            return ChildResult(rc, False, time.monotonic() - t0, log)
        except subprocess.TimeoutExpired:
            _stop_group(proc)
            return ChildResult(None, True, time.monotonic() - t0, log)
        except BaseException:  # the parent is being stopped: take the child down with it
            _stop_group(proc)
            raise


def _kill_group(pgid: int, sig: int = signal.SIGKILL) -> bool:
    """Signal our child's process group; False when nothing is left in it."""
    try:
        os.killpg(pgid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def _stop_group(proc: subprocess.Popen) -> None:
    """SIGTERM the child's process group (it may save and exit), SIGKILL what is left after a grace."""
    if _kill_group(proc.pid, signal.SIGTERM):
        try:
            proc.wait(timeout=KILL_GRACE_S)
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc.pid)
    proc.wait()
