"""Phase 6 — write: one batched write of the interlock-approved values, then read-back."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from optimizer.errors import ConnectError
from optimizer.plantio.types import PlantIO, WriteReport


async def write_batch(
    io: PlantIO, values: Mapping[str, float | int | bool], deadline_s: float, *, epoch: int
) -> WriteReport:
    """Send exactly ``values`` (already checked by the interlocks) in one request, in the
    connection epoch ``epoch`` of the read they were computed from (else ``BasisChanged``).

    A write that times out has an unknown outcome: the caller records it as such and the
    next cycle's read shows what the DCS really holds. Writes are never replayed.
    """
    try:
        return await asyncio.wait_for(io.write(values, epoch=epoch), timeout=deadline_s)
    except TimeoutError:
        raise ConnectError(
            f"batched write + read-back did not answer within {deadline_s:g} s "
            "(outcome unknown; not replayed)"
        ) from None
