"""Cycle tests against the real simulator on loopback, a real HiGHS and a real SQLite file."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from models.plant_model import PlantModel
from optimizer.config.loader import load_config
from optimizer.config.schema import PlantConfig
from optimizer.cycle.clock import SystemClock
from optimizer.cycle.record import CycleSummary, Recorder
from optimizer.cycle.runner import CycleParts, CycleRunner
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.query import read_log, read_records
from optimizer.decisions.store import DecisionLog
from optimizer.interlocks import Interlocks
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.sim import SimulatedPlant
from optimizer.validation import InputValidator

REPO = Path(__file__).resolve().parents[2]


def demo_config(**cycle: Any) -> PlantConfig:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    upd = {"horizon_steps": 6, "solver_time_limit_s": 3.0, **cycle}
    return cfg.model_copy(update={"cycle": cfg.cycle.model_copy(update=upd)})


def at(cfg: PlantConfig, endpoint: str) -> PlantConfig:
    return cfg.model_copy(
        update={"connection": cfg.connection.model_copy(update={"endpoint": endpoint})}
    )


class SimClock:
    def __init__(self, sim: SimulatedPlant) -> None:
        self.sim = sim

    def now(self) -> datetime:
        return self.sim.now()


@dataclass
class Loop:
    sim: SimulatedPlant
    cfg: PlantConfig
    io: OpcUaPlantIO
    runner: CycleRunner
    log_path: Path
    solver: SolveWorker

    async def cycle(self, sim_seconds: float = 600.0) -> CycleSummary:
        await self.sim.advance(sim_seconds)
        return await self.runner.run_once()

    def records(self) -> list[dict[str, Any]]:
        return read_records(self.log_path)

    def log(self) -> Any:
        return read_log(self.log_path)


async def make_loop(sim: SimulatedPlant, cfg: PlantConfig, log_path: Path) -> Loop:
    cfg = at(cfg, sim.endpoint)
    io = OpcUaPlantIO(cfg)
    await io.connect()
    solver = SolveWorker(
        PlantModel(cfg), time_limit_s=cfg.cycle.solver_time_limit_s, mip_gap=cfg.cycle.mip_gap
    )
    runner = CycleRunner(
        CycleParts(
            cfg=cfg,
            io=io,
            solver=solver,
            validator=InputValidator(cfg),
            interlocks=Interlocks(cfg),
            recorder=Recorder(cfg, DecisionLog(log_path), config_hash="test", advisory=False),
            clock=SystemClock(),
            plan_clock=SimClock(sim),
        )
    )
    return Loop(sim=sim, cfg=cfg, io=io, runner=runner, log_path=log_path, solver=solver)


@pytest.fixture
async def loop(tmp_path: Path) -> AsyncIterator[Loop]:
    cfg = demo_config()
    async with SimulatedPlant(cfg, port=0, speed=0, seed=1) as sim:
        lp = await make_loop(sim, cfg, tmp_path / "log.sqlite")
        try:
            yield lp
        finally:
            await lp.io.close()
            lp.solver.close()


def assert_writes_valid(cfg: PlantConfig, records: list[dict[str, Any]]) -> None:
    """Every written value: a configured setpoint, within bounds and the move limit."""
    for rec in records:
        for sp in rec["setpoints"]:
            if sp["written"] is None:
                continue
            lim = cfg.tags[sp["tag"]].setpoint
            assert lim is not None, sp
            v, cur = sp["written"], sp["current"]
            assert lim.min <= v <= lim.max, sp
            if lim.max_up is not None:
                assert v - cur <= lim.max_up + 1e-9, sp
            if lim.max_down is not None:
                assert cur - v <= lim.max_down + 1e-9, sp
