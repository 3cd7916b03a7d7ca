"""Start `plantloop` as a user would: `python -m optimizer ...` from the repository root."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


async def spawn_plantloop(
    *args: str,
    env: dict[str, str] | None = None,
    stdout: int = asyncio.subprocess.PIPE,
    stderr: int = asyncio.subprocess.PIPE,
) -> asyncio.subprocess.Process:
    """The CLI in a child process; ``env`` adds to (never replaces) this environment."""
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "optimizer",
        *args,
        cwd=REPO,
        env={**os.environ, **(env or {})},
        stdout=stdout,
        stderr=stderr,
    )
