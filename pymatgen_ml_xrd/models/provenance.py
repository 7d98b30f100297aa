"""Training provenance: the one record every estimator (and every RCNet) stores in its metadata.

A record says what the model was trained on (``source``), by which command (this run's and
every earlier run's of a resumed checkpoint), how many patterns it saw, how long it took, with
which package version — and no machine path: the command is stored as the script name and its
arguments, and paths under the current directory are made relative.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

__all__ = ["command_line", "training_record"]


def command_line(program: str | None = None) -> str:
    """This process's command: the script's file name (or ``program``) and its arguments, with
    absolute paths below the working directory made relative."""
    if not sys.argv:
        return program or ""
    cwd = os.getcwd().rstrip(os.sep) + os.sep
    args = [a[len(cwd):] if a.startswith(cwd) else a for a in sys.argv[1:]]
    return " ".join([program or Path(sys.argv[0]).name, *args])


def training_record(source: str, patterns_seen: int, wall_seconds: float, cpu_seconds: float | None = None,
                    history=None, earlier_commands=(), program: str | None = None, **extra) -> dict:
    """The ``metadata["training"]`` dict of a model.

    Args:
        source: what the model was trained on, in words.
        patterns_seen: training patterns (a resumed run counts what it had seen).
        wall_seconds, cpu_seconds: time of the training (CPU time defaults to wall time).
        history: validation or loss history (list or dict).
        earlier_commands: the commands of the runs a resumed checkpoint came from; ``commands``
            lists them and this run's (once).
        program: the name to record instead of the script's (e.g. "pmlxrd").
        extra: further JSON-ready entries (stream layout, statistics provenance...).
    """
    from pymatgen_ml_xrd import __version__

    command = command_line(program)
    commands = [c for c in earlier_commands if c]
    if not commands or commands[-1] != command:
        commands.append(command)
    return {
        "source": source,
        "command": command,
        "commands": commands,
        "patterns_seen": int(patterns_seen),
        "wall_seconds": float(wall_seconds),
        "cpu_seconds": float(cpu_seconds if cpu_seconds is not None else wall_seconds),
        "history": history if history is not None else [],
        "trained": time.strftime("%Y-%m-%d"),
        "package_version": __version__,
        **extra,
    }
