"""Helpers shared by engines that run their program in a child process group."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path


def kill_process_group(proc: subprocess.Popen) -> None:
    """Kill a child's whole process group (the program and any workers or MPI ranks)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # already gone
    proc.wait()


def log_tail(path: Path, lines: int = 15) -> str:
    """Last lines of a text file, indented, for error messages."""
    try:
        text = Path(path).read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"    (no {Path(path).name})"
    return "\n".join("    " + line for line in text)
