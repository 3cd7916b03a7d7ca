"""Memory over many cycles: the soak test's harness, run long, with its RSS curve.

    python benchmarks/soak.py                        # demo plant, 4-step horizon, 10,000 cycles
    python benchmarks/soak.py --large --cycles 1000  # 20 units x 96 periods, ~1,000 tags;
                                                     # the slope extrapolated to 10,000 cycles
    python benchmarks/soak.py --cycles 3000 --tracemalloc   # where Python memory grows
    python benchmarks/soak.py --large --cycles 600 --every 50 --time-limit 0.3 --heap --no-trim
        # where the RSS is (C heap in use / free in the allocator / arenas, SQLite, Python
        # blocks), without the engine's malloc_trim after each solve; --probe-trim: how
        # much of the RSS a malloc_trim(0) at each sample returns

The harness of ``tests/loop/test_soak.py``: the simulator in this process (time moves only
when the loop advances it, so cycles run back to back, no wall-clock waits), random faults,
permissive toggling, the real OPC UA session, HiGHS and SQLite decision log. RSS (after a
garbage collection) every ``--every`` cycles; growth is measured from the end of the warm-up
(the first ``--warmup`` cycles, default a tenth) to the last cycle, and a least-squares slope
over the samples after warm-up is extrapolated to ``--target`` cycles (default 10,000).
Checked at the end as in the test: every cycle recorded, no DCS violation, no ``error``
outcome, no cycle image alive. Results go to benchmarks/results/soak-<plant>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import ctypes.util
import gc
import json
import random
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.inputs import required_tags
from optimizer import allocator
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.decisions.store import DecisionLog
from optimizer.sim import SimulatedPlant, synthetic_config
from tests.loop.conftest import demo_config, make_loop
from tests.loop.test_memory import live_images, rss_mb
from tests.loop.test_soak import FAULT_TAGS, START, perturb

RESULTS = Path(__file__).resolve().parent / "results"


def sqlite_mb() -> float:
    """SQLite's own allocations in this process (page caches, statements)."""
    lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    return float(lib.sqlite3_memory_used()) / 2**20


def heap_line() -> dict[str, float]:
    """Where the RSS is: C heap in use / free inside the allocator / arenas, SQLite,
    Python's allocated blocks."""
    st = allocator.stats()
    out = {"sqlite_mb": sqlite_mb(), "py_blocks_k": sys.getallocatedblocks() / 1000}
    if st is not None:
        out |= {
            "in_use_mb": st.in_use_mb,
            "free_mb": st.free_mb,
            "mmapped_mb": st.mmapped_mb,
            "arenas": st.arenas,
        }
    return out


def large_config(time_limit_s: float) -> PlantConfig:
    cfg = synthetic_config(1000, n_units=20, horizon_steps=96, step_minutes=15)
    upd = {"solver_time_limit_s": time_limit_s}
    return cfg.model_copy(update={"cycle": cfg.cycle.model_copy(update=upd)})


def fault_tags(cfg: PlantConfig) -> list[str]:
    """The model's inputs (a fault there stops the update) and as many other measurements."""
    needed = sorted(required_tags(cfg))
    other = [
        t for t, tag in cfg.tags.items() if tag.role is TagRole.MEASUREMENT and t not in needed
    ]
    return needed + other[: len(needed)]


def slope_per_cycle(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per cycle."""
    n = len(points)
    if n < 2:
        return 0.0
    mx = sum(c for c, _ in points) / n
    my = sum(m for _, m in points) / n
    sxx = sum((c - mx) ** 2 for c, _ in points)
    return sum((c - mx) * (m - my) for c, m in points) / sxx if sxx else 0.0


def top_growth(before: tracemalloc.Snapshot, after: tracemalloc.Snapshot, n: int = 8) -> None:
    for st in after.compare_to(before, "lineno")[:n]:
        frame = st.traceback[0]
        print(
            f"      {st.size_diff / 1024:+9.1f} KiB {st.count_diff:+7d}  "
            f"{frame.filename}:{frame.lineno}",
            flush=True,
        )


async def soak(args: argparse.Namespace) -> dict[str, Any]:
    if args.large:
        cfg = large_config(args.time_limit)
        tags = fault_tags(cfg)
    else:
        cfg = demo_config(horizon_steps=4, solver_time_limit_s=args.time_limit)
        tags = FAULT_TAGS
    warmup = args.warmup if args.warmup is not None else max(args.every, args.cycles // 10)
    rng = random.Random(7)
    log_path = Path(tempfile.mkdtemp()) / "soak.sqlite"
    curve: list[tuple[int, float]] = []
    heap: list[tuple[int, dict[str, float]]] = []
    trimmed: list[tuple[int, float]] = []
    trim_s: list[float] = []
    outcomes: dict[str, int] = {}
    snap: tracemalloc.Snapshot | None = None
    t0 = time.perf_counter()
    async with SimulatedPlant(cfg, port=0, speed=0, seed=3, start=START) as sim:
        loop = await make_loop(sim, cfg, log_path)
        loop.solver.trim_after_solve = not args.no_trim
        print(
            f"{len(cfg.tags)} tags, {cfg.cycle.horizon_steps} periods, solver limit "
            f"{args.time_limit:g} s, {args.cycles} cycles, warm-up {warmup}",
            flush=True,
        )
        try:
            for n in range(1, args.cycles + 1):
                s = await loop.cycle(sim_seconds=perturb(sim, rng, tags))
                outcomes[s.outcome] = outcomes.get(s.outcome, 0) + 1
                if loop.solver.last_trim_s:  # the engine's malloc_trim after this solve
                    trim_s.append(loop.solver.last_trim_s)
                    loop.solver.last_trim_s = 0.0
                if n % args.every == 0 or n in (100, warmup, args.cycles):
                    gc.collect()
                    curve.append((n, rss_mb()))
                    rate = n / (time.perf_counter() - t0)
                    line = f"  cycle {n:>6}: RSS {curve[-1][1]:7.1f} MB  ({rate:.1f} cycles/s)"
                    if args.heap:
                        h = heap_line()
                        heap.append((n, h))
                        line += "  " + " ".join(f"{k} {v:.2f}" for k, v in h.items())
                    if args.probe_trim:  # how much of the RSS is free memory held
                        allocator.trim()
                        trimmed.append((n, rss_mb()))
                        line += f"  after malloc_trim {trimmed[-1][1]:.1f} MB"
                    print(line)
                    if args.tracemalloc and n == warmup:
                        tracemalloc.start(1)  # from here on: RSS includes its own tables
                        snap = tracemalloc.take_snapshot()
                    elif args.tracemalloc and n > warmup:
                        traced = tracemalloc.get_traced_memory()[0] / 2**20
                        print(f"    Python heap traced since warm-up: {traced:.2f} MB")
                        now = tracemalloc.take_snapshot()
                        if snap is not None:
                            top_growth(snap, now)
                        snap = now
                    sys.stdout.flush()
        finally:
            await loop.io.close()
            loop.solver.close()
        violations = list(sim.dcs.violations)
    images = live_images()
    reader = DecisionLog(log_path)
    recorded = reader.count()
    reader.close()
    at_warm = dict(curve)[warmup]
    after = [(c, m) for c, m in curve if c >= warmup]
    slope = slope_per_cycle(after)
    tail = slope_per_cycle(after[len(after) // 2 :])  # still rising at the end?
    end = curve[-1][1]
    projected = at_warm + slope * (args.target - warmup)
    return {
        "plant": "large" if args.large else "demo",
        "tags": len(cfg.tags),
        "periods": cfg.cycle.horizon_steps,
        "time_limit_s": args.time_limit,
        "cycles": args.cycles,
        "warmup": warmup,
        "seconds": time.perf_counter() - t0,
        "rss_mb": curve,
        "growth_after_warmup_mb": end - at_warm,
        "growth_after_warmup_pct": 100 * (end - at_warm) / at_warm,
        "slope_kb_per_cycle": slope * 1024,
        "tail_slope_kb_per_cycle": tail * 1024,
        "target_cycles": args.target,
        "projected_rss_mb": projected,
        "projected_growth_pct": 100 * (projected - at_warm) / at_warm,
        "outcomes": outcomes,
        "recorded": recorded,
        "dcs_violations": violations[:3],
        "live_images": images,
        "tracemalloc": args.tracemalloc,
        "heap": heap,
        "rss_after_probe_trim_mb": trimmed,
        "trim_after_solve": not args.no_trim,
        "trim_ms_mean": 1e3 * sum(trim_s) / len(trim_s) if trim_s else None,
        "trim_ms_max": 1e3 * max(trim_s) if trim_s else None,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=10_000)
    ap.add_argument("--large", action="store_true", help="20 units x 96 periods, ~1,000 tags")
    ap.add_argument("--every", type=int, default=1000, help="RSS sample interval (cycles)")
    ap.add_argument("--warmup", type=int, default=None, help="cycles (default: a tenth)")
    ap.add_argument("--target", type=int, default=10_000, help="cycles to extrapolate to")
    ap.add_argument("--time-limit", type=float, default=None, help="solver limit (s)")
    ap.add_argument("--tracemalloc", action="store_true", help="top growth lines per sample")
    ap.add_argument(
        "--heap",
        action="store_true",
        help="per sample: C heap in use / free in the allocator / arenas, SQLite, Python blocks",
    )
    ap.add_argument(
        "--probe-trim",
        action="store_true",
        help="per sample: malloc_trim(0), then RSS again (how much was free memory held)",
    )
    ap.add_argument(
        "--no-trim",
        action="store_true",
        help="without the engine's malloc_trim after each solve (as before it was added)",
    )
    args = ap.parse_args()
    if args.time_limit is None:
        args.time_limit = 1.0 if args.large else 0.5
    res = asyncio.run(soak(args))
    print(
        f"RSS {res['rss_mb'][0][1]:.1f} MB at cycle {res['rss_mb'][0][0]}, "
        f"{dict(res['rss_mb'])[res['warmup']]:.1f} MB after warm-up ({res['warmup']}), "
        f"{res['rss_mb'][-1][1]:.1f} MB at {res['cycles']}: "
        f"{res['growth_after_warmup_mb']:+.1f} MB = {res['growth_after_warmup_pct']:+.2f} % "
        f"after warm-up; slope {res['slope_kb_per_cycle']:+.2f} KB/cycle -> "
        f"{res['projected_growth_pct']:+.2f} % over {res['target_cycles']} cycles; "
        f"slope over the last half {res['tail_slope_kb_per_cycle']:+.2f} KB/cycle"
    )
    print(
        f"outcomes {res['outcomes']}; recorded {res['recorded']}/{res['cycles']}; "
        f"DCS violations {len(res['dcs_violations'])}; live cycle images {res['live_images']}; "
        f"{res['seconds']:.0f} s"
    )
    if res["trim_ms_mean"] is not None:
        print(f"malloc_trim {res['trim_ms_mean']:.2f} ms a solve (max {res['trim_ms_max']:.1f})")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"soak-{res['plant']}.json").write_text(json.dumps(res, indent=2))
    ok = (
        res["recorded"] == res["cycles"]
        and not res["dcs_violations"]
        and "error" not in res["outcomes"]
        and res["live_images"] == 0
    )
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
