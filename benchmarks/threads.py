"""HiGHS ``threads`` 1 against 2 for the planner's solves, with the event loop busy.

    python benchmarks/threads.py                # 20x96 @ 2 s, 3 rounds x 5 cycles per setting

HiGHS sets up its thread pool once per process, so each setting runs in its own process;
the settings alternate in rounds (1, 2, 1, 2, ...) so that both see the machine's load.
Each process runs the rolling closed loop of ``benchmarks/quality.py`` (3 % forecast
noise, same seed) on the SolveWorker's thread while the event loop does what the service
does between solves: a task that works in small slices (~2 ms of Python every 10 ms) and a 10 ms
ticker whose lateness is the loop's lag. Per setting: the objective per cycle, the wall
time of the solve phase and the loop's lag (median and 95th percentile).
Results go to benchmarks/results/threads.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.quality import Loop, looped_config
from models.planner import PlannerOptions
from models.plant_model import PlantModel
from models.result import PlanResult

RESULTS = Path(__file__).resolve().parent / "results"


async def _busy(stop: asyncio.Event) -> None:
    data = {"k": list(range(200))}
    while not stop.is_set():
        t = time.perf_counter()
        while time.perf_counter() - t < 0.002:
            json.dumps(data)
        await asyncio.sleep(0.008)  # ~20 % busy: reads, writes, the console


async def _ticker(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)


async def child(threads: int, first: int, cycles: int, limit: float) -> dict[str, Any]:
    from optimizer.cycle.solve import SolveWorker

    cfg = looped_config(20, 96)
    loop = Loop(cfg, first + cycles, 0.03, 7)
    pm = PlantModel(cfg)
    assert pm.planner is not None
    pm.planner.options = PlannerOptions(threads=threads)
    pm.planner.runs.threads = threads
    worker = SolveWorker(pm, time_limit_s=limit, mip_gap=cfg.cycle.mip_gap)
    stop = asyncio.Event()
    lags: list[float] = []
    tasks = [asyncio.create_task(_busy(stop)), asyncio.create_task(_ticker(stop, lags))]
    applied: PlanResult | None = None
    objs, walls = [], []
    for _ in range(first):  # the noise of the cycles before this block (same draws)
        loop.rng.normal(size=(2, loop.n))
    try:
        # a cold first cycle of this block, not counted, with time for a good start (the
        # later cycles then compare the settings on warm cycles)
        worker.time_limit_s = 5 * limit
        r = await worker.update_and_solve(loop.inputs(first, None))
        worker.time_limit_s = limit
        loop.apply(r)
        applied = r
        for c in range(first + 1, first + cycles):
            t = time.perf_counter()
            r = await worker.update_and_solve(loop.inputs(c, applied))
            walls.append(time.perf_counter() - t)
            objs.append(r.objective)
            loop.apply(r)
            applied = r
    finally:
        stop.set()
        await asyncio.gather(*tasks)
        worker.close()
    lags.sort()
    return {
        "threads": threads,
        "objectives": objs,
        "wall_s": walls,
        "lag_median_ms": 1000 * statistics.median(lags),
        "lag_p95_ms": 1000 * lags[int(0.95 * (len(lags) - 1))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--cycles", type=int, default=5)
    ap.add_argument("--limit", type=float, default=2.0)
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--first", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        res = asyncio.run(child(args.child, args.first, args.cycles, args.limit))
        print(json.dumps(res))
        return
    runs: list[dict[str, Any]] = []
    for k in range(args.rounds):
        for threads in (1, 2):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(threads),
                    "--first",
                    str(k * args.cycles),
                    "--cycles",
                    str(args.cycles),
                    "--limit",
                    str(args.limit),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"round {k} threads {threads}: {runs[-1]['lag_p95_ms']:.1f} ms lag p95")
    summary: dict[str, Any] = {}
    for threads in (1, 2):
        mine = [r for r in runs if r["threads"] == threads]
        summary[str(threads)] = {
            "objective_median": statistics.median(o for r in mine for o in r["objectives"]),
            "wall_median_s": statistics.median(w for r in mine for w in r["wall_s"]),
            "lag_median_ms": statistics.median(r["lag_median_ms"] for r in mine),
            "lag_p95_ms": statistics.median(r["lag_p95_ms"] for r in mine),
        }
    # same cycles (same forecasts) in both settings: per-cycle objective ratio 2 / 1
    one = [o for r in runs if r["threads"] == 1 for o in r["objectives"]]
    two = [o for r in runs if r["threads"] == 2 for o in r["objectives"]]
    ratios = [b / a for a, b in zip(one, two, strict=True) if a and b]
    summary["objective_ratio_2_over_1_median"] = statistics.median(ratios)
    print(json.dumps(summary, indent=2))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "threads.json").write_text(json.dumps({"runs": runs, "summary": summary}, indent=2))


if __name__ == "__main__":
    main()
