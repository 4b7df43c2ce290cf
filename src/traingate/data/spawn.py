"""Whether this process can start worker processes: a spawned worker imports the main script again,
which fails when the script has no file (read from standard input)."""

from __future__ import annotations

import os
import sys


def can_spawn() -> bool:
    path = getattr(sys.modules.get("__main__"), "__file__", None)
    return path is None or os.path.exists(path)
