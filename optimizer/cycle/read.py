"""Phase 1 — read: one batched read of every configured tag, under a deadline."""

from __future__ import annotations

import asyncio

from optimizer.errors import ConnectError
from optimizer.plantio.types import PlantIO, Snapshot


async def read_snapshot(io: PlantIO, deadline_s: float) -> Snapshot:
    """The cycle's one consistent process image. Raises ConnectError on time-out."""
    try:
        return await asyncio.wait_for(io.read(), timeout=deadline_s)
    except TimeoutError:
        raise ConnectError(f"batched read did not answer within {deadline_s:g} s") from None
