"""Cycle step tables (OpenEMS style): per step the clock, the plant's readings, and the
expected outcome and writes. A test double at the I/O boundary; real HiGHS and SQLite."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from models.plant_model import PlantModel
from optimizer.config.loader import load_config_text
from optimizer.config.schema import PlantConfig
from optimizer.cycle.clock import FakeClock
from optimizer.cycle.record import Recorder
from optimizer.cycle.runner import CycleParts, CycleRunner
from optimizer.cycle.solve import SolveWorker
from optimizer.decisions.query import read_records
from optimizer.decisions.store import DecisionLog
from optimizer.interlocks import Interlocks
from optimizer.sim import SimulatedPlant
from optimizer.validation import InputValidator
from tests.loop.conftest import REPO, demo_config
from tests.support.cli import spawn_plantloop
from tests.support.fake_plant import FakePlantIO

PLANT = """
plant: {name: steps}
connection: {endpoint: "opc.tcp://127.0.0.1:1", namespace_uri: "urn:x",
             security: {policy: None, mode: None}}
cycle: {period_s: 60, solver_time_limit_s: 5, horizon_steps: 2, step_minutes: 60}
tags:
  enable: {node: "s=en", role: permissive}
  wd: {node: "s=wd", role: watchdog}
  demand: {node: "s=d", role: measurement, valid_min: 0, valid_max: 100, critical: true}
  b1_sp: {node: "s=b1", role: setpoint, setpoint: {min: 0, max: 10, max_up: 2, max_down: 2,
                                                    deadband: 0.000001}}
  b2_sp: {node: "s=b2", role: setpoint, setpoint: {min: 0, max: 10, max_up: 5, max_down: 5}}
carriers: {heat: {unit: MW}, gas: {unit: MW}}
demands: {site: {carrier: heat, forecast: {tag: demand}}}
units:
  b1: {type: boiler, input: gas, output: heat, min_load: 1, max_load: 10,
       curve: [{load: 1, input: 1.1}, {load: 10, input: 11}], setpoint_tag: b1_sp, must_run: MR}
  b2: {type: boiler, input: gas, output: heat, min_load: 0, max_load: 10,
       curve: [{load: 0, input: 0}, {load: 10, input: 14}], setpoint_tag: b2_sp}
tariffs: {fuels: {gas: {price: {value: 30}}}}
co2: {factors: {gas: {value: 0.2}}, cap: CAP}
objectives: {terms: [{term: cost}]}
interlocks: {permissive_tag: enable, watchdog: {tag: wd, timeout_s: 30},
             max_solver_failures: 2}
"""


def plant(*, cap: float = 1e6, must_run: bool = False) -> PlantConfig:
    text = PLANT.replace("CAP", str(cap)).replace("MR", str(must_run).lower())
    return load_config_text(text, "steps.yaml")


@dataclass
class Step:
    readings: dict[str, Any]
    outcome: str
    writes: dict[str, float | int] = field(default_factory=dict)


async def run_steps(
    cfg: PlantConfig, steps: list[Step], tmp_path: Path, time_limit_s: float = 5.0
) -> list[dict[str, Any]]:
    clock = FakeClock(datetime(2026, 11, 25, 8, 0, tzinfo=UTC))
    io = FakePlantIO({"b1_sp", "b2_sp", "wd"}, clock.now())
    solver = SolveWorker(PlantModel(cfg), time_limit_s=time_limit_s, mip_gap=1e-6)
    runner = CycleRunner(
        CycleParts(
            cfg=cfg,
            io=io,
            solver=solver,
            validator=InputValidator(cfg),
            interlocks=Interlocks(cfg),
            recorder=Recorder(
                cfg, DecisionLog(tmp_path / "log.sqlite"), config_hash="t", advisory=False
            ),
            clock=clock,
        )
    )
    try:
        for i, step in enumerate(steps):
            clock.advance(60)
            io.now = clock.now()
            io.values.update(step.readings)
            s = await runner.run_once()
            assert (i, s.outcome) == (i, step.outcome), (s.reasons, io.writes[-1:])
            sent = (
                io.writes[-1] if io.writes and s.outcome in ("wrote", "no_change", "arming") else {}
            )
            got = {k: round(float(v), 6) for k, v in sent.items()} if step.writes else {}
            assert (i, got) == (i, step.writes), s.reasons
    finally:
        solver.close()
    return read_records(tmp_path / "log.sqlite")


BASE = {"enable": True, "wd": 0, "demand": 6.0, "b1_sp": 0.0, "b2_sp": 0.0}


async def test_merit_order_under_move_limits(tmp_path: Path) -> None:
    recs = await run_steps(
        plant(),
        [
            # watchdog.arm_cycles (default 1): the DCS sees one beat before any setpoint
            Step(BASE, "arming", {"wd": 1}),
            # cheaper b1 wanted at 6 but +2 a cycle at most: the plan itself keeps b1 at 2
            # in its first period, so dearer b2 covers the other 4 until b1 is up
            Step({"wd": 1}, "wrote", {"b1_sp": 2.0, "b2_sp": 4.0, "wd": 2}),
            Step(
                {"b1_sp": 2.0, "b2_sp": 4.0, "wd": 2},
                "wrote",
                {"b1_sp": 4.0, "b2_sp": 2.0, "wd": 3},
            ),
            Step(
                {"b1_sp": 4.0, "b2_sp": 2.0, "wd": 3},
                "wrote",
                {"b1_sp": 6.0, "b2_sp": 0.0, "wd": 4},
            ),
            Step({"b1_sp": 6.0, "b2_sp": 0.0, "wd": 4}, "no_change", {"wd": 5}),
        ],
        tmp_path,
    )
    assert [r["cycle"] for r in recs] == [1, 2, 3, 4, 5]
    assert "arming the watchdog" in " ".join(recs[0]["reasons"])
    # what the plan proposed is what was written: no move limiting left to the interlocks
    assert all(s["reason"] == "" for s in recs[1]["setpoints"] if s["tag"] != "wd")


async def test_infeasible_model_holds_then_sheds(tmp_path: Path) -> None:
    # b1 must run, and a CO2 cap of 0 forbids any gas: no plan can exist
    cfg = plant(cap=0.0, must_run=True)
    recs = await run_steps(
        cfg,
        [
            Step(BASE, "held_solver"),
            Step({}, "shed"),
            Step({}, "shed"),
            Step({"enable": False}, "shed"),
        ],
        tmp_path,
    )
    assert recs[0]["solver"]["has_safe_plan"] is False
    assert "infeasible" in recs[0]["solver"]["termination"]
    assert all(r["watchdog"] is None for r in recs)


async def test_solver_time_out_holds(tmp_path: Path) -> None:
    recs = await run_steps(plant(), [Step(BASE, "held_solver")], tmp_path, time_limit_s=1e-9)
    assert "time_limit" in recs[0]["solver"]["termination"]


async def test_sigterm_mid_run_records_and_exits_zero(tmp_path: Path) -> None:
    cfg = demo_config(period_s=1.0, solver_time_limit_s=0.8)
    async with SimulatedPlant(cfg, port=0, speed=600) as sim:
        data = YAML(typ="safe").load((REPO / "config" / "demo.yaml").read_text())
        data["connection"]["endpoint"] = sim.endpoint
        data["cycle"].update(period_s=1.0, solver_time_limit_s=0.8)
        data["log"]["path"] = str(tmp_path / "run.sqlite")
        path = tmp_path / "plant.yaml"
        with path.open("w") as f:
            YAML().dump(data, f)
        proc = await spawn_plantloop("run", str(path), env={"COLUMNS": "200"})
        assert proc.stdout is not None
        try:
            seen = ""
            while "#2 " not in seen:
                line = await asyncio.wait_for(proc.stdout.readline(), 60)
                assert line, seen
                seen += line.decode()
            await asyncio.sleep(0.3)  # inside cycle 3: reading or solving
            proc.send_signal(signal.SIGTERM)
            out, err = await asyncio.wait_for(proc.communicate(), 30)
        finally:  # a failed assertion above must not leave the engine running after the test
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    assert proc.returncode == 0, err.decode()[-2000:]
    assert "Traceback" not in err.decode()
    recs = read_records(tmp_path / "run.sqlite")
    assert len(recs) >= 2
    assert [r["cycle"] for r in recs] == list(range(1, len(recs) + 1))
    assert "stopped after" in (seen + out.decode())


@pytest.mark.parametrize(
    "args", [["run", "config/demo.yaml", "--cycles", "0"], ["run", "nope.yaml"]]
)
def test_run_bad_arguments_one_line(args: list[str]) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_run_without_a_server_fails_in_one_line(tmp_path: Path) -> None:
    """The model builds while the session opens; a refused connect is still the one error
    reported, and nothing is recorded."""
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = YAML(typ="safe").load((REPO / "config" / "demo.yaml").read_text())
    data["connection"]["endpoint"] = f"opc.tcp://127.0.0.1:{port}/nobody"
    data["log"]["path"] = str(tmp_path / "run.sqlite")
    path = tmp_path / "plant.yaml"
    with path.open("w") as f:
        YAML().dump(data, f)
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "run",
            str(path),
            "--cycles",
            "1",
            "--connect-wait",
            "0",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, r.stderr
    errors = [ln for ln in r.stderr.splitlines() if ln.startswith("plantloop: error:")]
    assert len(errors) == 1 and f"127.0.0.1:{port}" in errors[0], r.stderr
    assert "Traceback" not in r.stderr and "never retrieved" not in r.stderr
    assert not (tmp_path / "run.sqlite").exists()
