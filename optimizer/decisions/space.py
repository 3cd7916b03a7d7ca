"""How big the decision log is and how much disk is left (for the console and metrics)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class LogSpace:
    log_bytes: int  # the database plus its -wal and -shm files
    wal_bytes: int
    free_bytes: int  # free on the log's file system, for this user
    total_bytes: int

    def describe(self) -> str:
        return (
            f"{_size(self.free_bytes)} free of {_size(self.total_bytes)}; "
            f"log {_size(self.log_bytes)}"
        )


def log_space(path: str | Path) -> LogSpace:
    """Sizes in bytes; a missing file counts 0. Cheap (stat + statvfs): fine every cycle."""
    p = Path(path)
    sizes = {s: _stat_size(Path(f"{p}{s}")) for s in ("", "-wal", "-shm")}
    where = p.parent if p.parent.exists() else Path.cwd()
    usage = shutil.disk_usage(where)
    st = os.statvfs(where)
    return LogSpace(
        log_bytes=sum(sizes.values()),
        wal_bytes=sizes["-wal"],
        free_bytes=st.f_bavail * st.f_frsize,
        total_bytes=usage.total,
    )


def _stat_size(p: Path) -> int:
    try:
        return p.stat().st_size
    except FileNotFoundError:
        return 0


def _size(n: int) -> str:
    x = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if x < 1000 or unit == "GB":
            return f"{x:,.0f} {unit}" if unit == "B" else f"{x:,.1f} {unit}"
        x /= 1000
    return f"{x:,.1f} TB"
