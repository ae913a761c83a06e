"""How the benchmarks time a step, and the floor they measure a scan against: ``zcat`` over the same files.

Each benchmark is run as a script (``benchmarks/`` is then first on ``sys.path``), so they import this as
``timing``.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """The best wall time of ``repeat`` runs of ``fn``, in seconds (the least disturbed by the machine)."""
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def zcat_seconds(root: Path, paths: list[str], processes: int = 1) -> float:
    """``timed`` zcat over ``paths`` (listed in ``root/.bench-files``), in 1 process or ``processes``
    taking 200 files at a time: decompressing is the part of a scan no engine can skip."""
    listing = root / ".bench-files"
    listing.write_text("\n".join(paths))
    spread = f" -P {processes} -n 200" if processes > 1 else ""
    return timed(
        lambda: subprocess.run(f"xargs -a {listing}{spread} zcat > /dev/null", shell=True, check=True)
    )
