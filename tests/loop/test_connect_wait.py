"""At start, the engine waits for a server that is not up yet (a plant restart, a service
started before the DCS gateway) instead of exiting, and says so."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ruamel.yaml import YAML

from optimizer.decisions.query import read_records
from optimizer.sim import SimulatedPlant
from optimizer.sim.server import free_port
from tests.loop.conftest import REPO, demo_config
from tests.support.cli import spawn_plantloop


async def test_run_waits_for_the_server_then_runs(tmp_path: Path) -> None:
    port = free_port("127.0.0.1")
    data = YAML(typ="safe").load((REPO / "config" / "demo.yaml").read_text())
    data["connection"]["endpoint"] = f"opc.tcp://127.0.0.1:{port}/plantloop/demo"
    data["cycle"].update(period_s=2.0, solver_time_limit_s=1.5, horizon_steps=6)
    data["log"]["path"] = str(tmp_path / "run.sqlite")
    path = tmp_path / "plant.yaml"
    with path.open("w") as f:
        YAML().dump(data, f)
    proc = await spawn_plantloop(
        "run", str(path), "--cycles", "1", env={"COLUMNS": "250"}, stderr=asyncio.subprocess.STDOUT
    )
    assert proc.stdout is not None
    seen = ""
    while "server not reachable" not in seen:
        line = await asyncio.wait_for(proc.stdout.readline(), 60)
        assert line, seen
        seen += line.decode()
    assert "retrying in 1 s" in seen
    cfg = demo_config(horizon_steps=6)
    async with SimulatedPlant(cfg, port=port, speed=600):
        out, _ = await asyncio.wait_for(proc.communicate(), 90)
    text = seen + out.decode()
    assert proc.returncode == 0, text
    assert "Traceback" not in text and "stopped after 1 cycles" in text
    assert len(read_records(tmp_path / "run.sqlite")) == 1
