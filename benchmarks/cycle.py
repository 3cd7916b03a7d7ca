"""A full cycle against the simulator: time per phase, overhead besides HiGHS and OPC UA,
process start to first decision, and memory over many cycles.

    python benchmarks/cycle.py                 # 20 units x 96 periods, ~1,000 tags, 200 cycles
    python benchmarks/cycle.py --cycles 2000   # the RSS figure the issue asks for
    python benchmarks/cycle.py --cycles 2000 --units 5 --periods 24 --time-limit 2
                                               # the same with 1,000 tags, a small model
    python benchmarks/cycle.py --quick

The simulator runs in a separate process so its CPU does not count against the loop.
Results go to benchmarks/results/cycle.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing as mp
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"


def serve(n_tags: int, units: int, periods: int, q: Any) -> None:
    from optimizer.sim import SimulatedPlant, synthetic_config

    cfg = synthetic_config(n_tags, n_units=units, horizon_steps=periods, step_minutes=15)

    async def main() -> None:
        async with SimulatedPlant(cfg, port=0, speed=0) as sim:
            q.put(sim.endpoint)
            await asyncio.Event().wait()

    asyncio.run(main())


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


async def run(
    endpoint: str, n_tags: int, units: int, periods: int, cycles: int, limit: float
) -> dict[str, Any]:
    import tempfile

    from models.plant_model import PlantModel
    from optimizer.cycle.clock import SystemClock
    from optimizer.cycle.record import Recorder
    from optimizer.cycle.runner import CycleParts, CycleRunner
    from optimizer.cycle.solve import SolveWorker
    from optimizer.decisions.store import DecisionLog
    from optimizer.interlocks import Interlocks
    from optimizer.plantio.opcua_client import OpcUaPlantIO
    from optimizer.sim import synthetic_config
    from optimizer.validation import InputValidator

    cfg = synthetic_config(n_tags, n_units=units, horizon_steps=periods, step_minutes=15)
    cfg = cfg.model_copy(
        update={
            "connection": cfg.connection.model_copy(update={"endpoint": endpoint}),
            "cycle": cfg.cycle.model_copy(update={"solver_time_limit_s": 2.0}),
        }
    )
    io = OpcUaPlantIO(cfg)
    await io.connect()
    solver = SolveWorker(PlantModel(cfg), time_limit_s=limit, mip_gap=cfg.cycle.mip_gap)
    runner = CycleRunner(
        CycleParts(
            cfg=cfg,
            io=io,
            solver=solver,
            validator=InputValidator(cfg),
            interlocks=Interlocks(cfg),
            recorder=Recorder(
                cfg,
                DecisionLog(Path(tempfile.mkdtemp()) / "b.sqlite"),
                config_hash="bench",
                advisory=False,
            ),
            clock=SystemClock(),
        )
    )
    phases: dict[str, list[float]] = {}
    totals, highs, outcomes, overheads = [], [], {}, []
    mem: list[tuple[int, float]] = []  # (cycles done, RSS MB): after 50, then 8 more points
    every = max(1, cycles // 8)
    for k in range(cycles):
        t0 = time.perf_counter()
        s = await runner.run_once()
        total = time.perf_counter() - t0
        img_times = runner.last_phase_seconds
        for p, v in img_times.items():
            phases.setdefault(p, []).append(v)
        totals.append(total)
        highs.append(s.solve_time_s or 0.0)
        # per cycle, then the median: HiGHS's time varies by seconds between cycles, so a
        # difference of medians would mostly measure that variation
        io_s = img_times.get("read", 0.0) + img_times.get("write", 0.0)
        overheads.append(total - (s.solve_time_s or 0.0) - io_s)
        outcomes[s.outcome] = outcomes.get(s.outcome, 0) + 1
        if k + 1 == min(50, cycles) or (k + 1) % every == 0 or k + 1 == cycles:
            mem.append((k + 1, rss_mb()))
            if cycles >= 500:
                print(f"  {k + 1} cycles: RSS {mem[-1][1]:.0f} MB", flush=True)
    await io.close()
    solver.close()
    med = {p: 1000 * statistics.median(v) for p, v in phases.items()}
    io_ms = med.get("read", 0) + med.get("write", 0)
    total_ms = 1000 * statistics.median(totals)
    highs_ms = 1000 * statistics.median(highs)
    return {
        "tags": len(cfg.tags),
        "units": units,
        "periods": periods,
        "cycles": cycles,
        "phase_ms": med,
        "total_ms": total_ms,
        "highs_ms": highs_ms,
        "opcua_ms": io_ms,
        "overhead_ms": 1000 * statistics.median(overheads),
        "overhead_share": statistics.median(o / t for o, t in zip(overheads, totals, strict=True)),
        "outcomes": outcomes,
        "rss_mb": mem,
    }


def first_decision(endpoint_cfg: Path, log_path: Path) -> tuple[float, float]:
    """Process start -> first recorded decision of `plantloop run` (wall clock), and the
    first cycle's solve (wall) as recorded in its decision log."""
    from optimizer.decisions.query import read_records

    log_path.unlink(missing_ok=True)
    t0 = time.perf_counter()
    p = subprocess.Popen(
        [sys.executable, "-m", "optimizer", "run", str(endpoint_cfg), "--cycles", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert p.stdout is not None
    dt = float("nan")
    for line in p.stdout:
        if line.startswith("#1 ") and math.isnan(dt):
            dt = time.perf_counter() - t0
    p.wait(timeout=60)
    recs = read_records(log_path)
    solve = float(recs[0]["solver"]["wall_time_s"]) if recs and recs[0]["solver"] else 0.0
    return dt, solve


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=8.0, help="solver limit (s)")
    ap.add_argument("--units", type=int, default=None, help="converter units (default 20)")
    ap.add_argument("--periods", type=int, default=None, help="horizon steps (default 96)")
    ap.add_argument("--tags", type=int, default=None, help="about this many tags (1000)")
    ap.add_argument("--start-runs", type=int, default=5, help="process starts to time (5)")
    args = ap.parse_args()
    n_tags, units, periods = (200, 5, 24) if args.quick else (1000, 20, 96)
    n_tags = args.tags or n_tags
    units = args.units or units
    periods = args.periods or periods
    cycles = 30 if args.quick else args.cycles
    q: Any = mp.get_context("spawn").Queue()
    server = mp.get_context("spawn").Process(
        target=serve, args=(n_tags, units, periods, q), daemon=True
    )
    server.start()
    endpoint = q.get(timeout=120)
    try:
        res = asyncio.run(run(endpoint, n_tags, units, periods, cycles, args.time_limit))
        res["time_limit_s"] = args.time_limit
        from ruamel.yaml import YAML

        from optimizer.sim import synthetic_config

        cfg = synthetic_config(n_tags, n_units=units, horizon_steps=periods, step_minutes=15)
        data = json.loads(cfg.model_dump_json(exclude_none=True))
        data["connection"]["endpoint"] = endpoint
        data["cycle"]["solver_time_limit_s"] = args.time_limit
        data["cycle"]["period_s"] = 60
        first_log = RESULTS / "first-decision.sqlite"
        data["log"] = {"path": str(first_log)}
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / "cycle-config.yaml"
        with path.open("w") as f:
            YAML().dump(data, f)
        runs = [first_decision(path, first_log) for _ in range(args.start_runs)]
        res["start_to_first_decision_s"] = statistics.median(t for t, _ in runs)
        res["start_to_first_decision_besides_solve_s"] = statistics.median(
            t - solve for t, solve in runs
        )
        res["start_runs"] = len(runs)
    finally:
        server.terminate()
    con = Console()
    t = Table(
        title=f"full cycle: {res['units']} units x {res['periods']} periods, "
        f"{res['tags']} tags, medians of {res['cycles']} cycles"
    )
    t.add_column("figure")
    t.add_column("value", justify="right")
    for p, v in res["phase_ms"].items():
        t.add_row(f"phase {p}", f"{v:.1f} ms")
    t.add_row("cycle total", f"{res['total_ms']:.1f} ms")
    t.add_row("HiGHS", f"{res['highs_ms']:.1f} ms")
    t.add_row("OPC UA (read + write/read-back)", f"{res['opcua_ms']:.1f} ms")
    t.add_row(
        "overhead besides HiGHS and OPC UA",
        f"{res['overhead_ms']:.1f} ms ({res['overhead_share']:.1%})",
    )
    t.add_row(
        f"process start → first decision (median of {res['start_runs']})",
        f"{res['start_to_first_decision_s']:.2f} s",
    )
    t.add_row(
        "  the same less the first solve",
        f"{res['start_to_first_decision_besides_solve_s']:.2f} s",
    )
    t.add_row(
        "RSS (MB) after N cycles",
        ", ".join(f"{n}: {m:.0f}" for n, m in dict(res["rss_mb"]).items()),
    )
    t.add_row("outcomes", ", ".join(f"{n} {o}" for o, n in res["outcomes"].items()))
    con.print(t)
    (RESULTS / "cycle.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
