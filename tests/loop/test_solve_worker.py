"""Phase 4 — solve: a solve that outlives its deadline ends the cycle's wait in time, later
cycles are told the solver is busy instead of touching the model, and closing does not wait
for it. A real PlantModel and HiGHS; the hang is a gate in front of the real solve."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from models.result import PlanResult
from optimizer.cycle.solve import SolverBusy, SolveWorker, grace_s
from optimizer.errors import ModelError
from tests.safety.plantgen import plant

INPUTS = ModelInputs(start=datetime(2026, 11, 25, 12, 0, tzinfo=UTC), values={}, forecasts={})


class GatedModel(PlantModel):
    """The real model, whose solve waits for ``gate`` (a solver that hangs until released)."""

    def __init__(self) -> None:
        super().__init__(plant([], []))
        self.gate = threading.Event()
        self.asked: list[dict[str, Any]] = []

    def solve(self, **kw: Any) -> PlanResult:
        self.asked.append(kw)
        self.gate.wait(timeout=30)
        return super().solve(**kw)


@pytest.fixture
def model() -> Iterator[GatedModel]:
    m = GatedModel()
    yield m
    m.gate.set()


def test_the_grace_past_the_time_limit() -> None:
    assert (grace_s(0.2), grace_s(4.0), grace_s(10.0)) == (2.0, 2.0, 5.0)


async def test_a_hung_solve_ends_the_wait_at_its_deadline_then_the_solver_is_busy(
    model: GatedModel,
) -> None:
    worker = SolveWorker(model, time_limit_s=0.2, mip_gap=1e-6)
    t0 = time.perf_counter()
    with pytest.raises(ModelError) as e:
        await asyncio.wait_for(worker.update_and_solve(INPUTS), timeout=20)
    waited = time.perf_counter() - t0
    assert str(e.value) == "solve did not return within its 0.2 s limit + 2 s grace"
    assert 2.1 <= waited < 10, waited
    with pytest.raises(SolverBusy, match="previous solve still running; holding this cycle"):
        await worker.update_and_solve(INPUTS)
    t0 = time.perf_counter()
    worker.close()  # does not wait for the hung solve
    assert time.perf_counter() - t0 < 1.0


async def test_a_solve_gets_the_configured_limits_and_times_its_update(
    model: GatedModel,
) -> None:
    model.gate.set()
    worker = SolveWorker(model, time_limit_s=5.0, mip_gap=1e-6)
    try:
        result = await worker.update_and_solve(INPUTS)
    finally:
        worker.close()
    assert result.has_safe_plan
    assert model.asked == [{"time_limit_s": 5.0, "mip_gap": 1e-6}]
    assert 0.0 <= worker.last_update_s < 5.0
