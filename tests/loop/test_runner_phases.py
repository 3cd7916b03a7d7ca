"""What the runner hands from phase to phase: advisory reaches the interlocks (nothing is
written), the last safe plan reaches the next cycle's model, and every phase's time is
recorded. The real cycle, real HiGHS and SQLite, the FakePlantIO double."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from models.inputs import ModelInputs
from models.result import PlanResult
from optimizer.cycle.runner import CycleRunner
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.query import read_records
from tests.loop.test_record_before_write import Rig, config, make_rig


class RecordingSolver(SolveWorker):
    """The real worker; remembers what each cycle handed it, and can report a failed solve."""

    def __init__(self, base: SolveWorker) -> None:
        super().__init__(base.model, time_limit_s=base.time_limit_s, mip_gap=base.mip_gap)
        self.seen: list[ModelInputs] = []
        self.results: list[PlanResult] = []
        self.fail_next = False

    async def update_and_solve(self, inputs: ModelInputs) -> PlanResult:
        self.seen.append(inputs)
        r = await super().update_and_solve(inputs)
        if self.fail_next:
            r = dataclasses.replace(r, has_safe_plan=False, message="no safe plan (test)")
        self.results.append(r)
        return r


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[tuple[Rig, RecordingSolver]]:
    r = make_rig(config(), tmp_path / "log.sqlite")
    r.solver.close()
    solver = RecordingSolver(r.solver)
    r.runner = CycleRunner(dataclasses.replace(r.runner.parts, solver=solver))
    try:
        yield r, solver
    finally:
        solver.close()
        await r.recorder.aclose()


async def test_advisory_reaches_the_interlocks_and_nothing_is_written(
    rig: tuple[Rig, RecordingSolver],
) -> None:
    r, _ = rig
    r.runner = CycleRunner(dataclasses.replace(r.runner.parts, advisory=True))
    s = await r.cycle()
    assert s.outcome == "advisory" and not r.io.writes and not s.written
    assert s.proposed  # computed, shown, not sent


async def test_the_last_safe_plan_goes_to_the_next_cycle(rig: tuple[Rig, RecordingSolver]) -> None:
    r, solver = rig
    await r.cycle()
    solver.fail_next = True
    await r.cycle()
    solver.fail_next = False
    await r.cycle()
    first, unsafe, _ = solver.results
    assert [i.previous_plan for i in solver.seen] == [None, first, first]
    assert not unsafe.has_safe_plan


async def test_every_phase_time_is_recorded(rig: tuple[Rig, RecordingSolver]) -> None:
    r, _ = rig
    s = await r.cycle()
    assert s.outcome == "wrote", s.reasons
    seconds = read_records(r.log_path)[-1]["phase_seconds"]
    phases = {"read", "validate", "update", "solve", "interlock", "intent", "write"}
    assert set(seconds) == phases
    assert all(isinstance(x, float) and 0.0 <= x < 60.0 for x in seconds.values()), seconds


async def test_the_reasons_of_a_lost_write_and_of_a_stop(rig: tuple[Rig, RecordingSolver]) -> None:
    r, _ = rig
    r.io.fail_writes = True
    lost = await r.cycle()
    assert lost.outcome == "write_failed"
    assert lost.reasons[0] == "write failed: fake plant: write timed out"  # the phase fault
    assert lost.reasons[-1] == "write failed: fake plant: write timed out (not replayed)"
    r.io.fail_writes = False
    r.runner.stop_requested = True
    stopped = await r.cycle()
    assert stopped.outcome == "abandoned"
    assert stopped.reasons[-1] == "stop requested: nothing written"
