"""The operator console's cost to the engine: per-cycle overhead with the console on
(plan recorded in the log, console served from the loop's event loop, a page open and
following every cycle, Prometheus scraping) against the engine without it, in one run.

    python benchmarks/console.py                  # 20 units x 96 periods, ~1,000 tags
    python benchmarks/console.py --quick          # 5 x 24, 200 tags

"Overhead" is the benchmarks/cycle.py figure: cycle time less HiGHS and OPC UA, median per
cycle. The baseline switches the two console parts off: no plan block in the record
(``plan_record`` replaced by a no-op) and no server. The browser stand-in runs in its own
process (as a browser would) and, after every cycle, fetches what the overview and plan
pages fetch. Cycles run back to back, so its requests overlap the next cycle: a worst case
(a real period leaves the engine idle between cycles). Results: benchmarks/results/console.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.cycle import serve

RESULTS = Path(__file__).resolve().parent / "results"


def browser(url: str, stop: Any) -> None:
    """A page left open on the overview, switching to the plan: SSE, then the API calls."""
    seen, last = 0, 0
    while not stop.is_set():
        try:
            with urllib.request.urlopen(url + "/api/events", timeout=60) as events:
                for raw in events:
                    if stop.is_set():
                        return
                    if not raw.startswith(b"event: status"):
                        continue
                    seen += 1
                    for path in ("/api/status", f"/api/cycles?limit=2000&after_id={last}"):
                        body = urllib.request.urlopen(url + path, timeout=60).read()
                    new = json.loads(body)
                    last = new[-1]["id"] if new else last
                    urllib.request.urlopen(url + "/api/plan", timeout=60).read()
                    if seen % 4 == 0:
                        urllib.request.urlopen(url + "/metrics", timeout=60).read()
        except OSError:
            time.sleep(0.2)


async def measure(
    endpoint: str, n_tags: int, units: int, periods: int, cycles: int, limit: float, console: bool
) -> dict[str, Any]:
    from models.plant_model import PlantModel
    from optimizer.console.access import Bind
    from optimizer.console.live import LiveFeed
    from optimizer.console.server import ConsoleServer
    from optimizer.cycle import record as record_module
    from optimizer.cycle.clock import SystemClock
    from optimizer.cycle.plan_record import plan_record
    from optimizer.cycle.record import Recorder
    from optimizer.cycle.runner import CycleParts, CycleRunner
    from optimizer.cycle.solve import SolveWorker
    from optimizer.decisions.store import DecisionLog
    from optimizer.interlocks import Interlocks
    from optimizer.plantio.opcua_client import OpcUaPlantIO
    from optimizer.sim import synthetic_config
    from optimizer.validation import InputValidator

    plan_s: list[float] = []

    def timed_plan(*a: Any) -> Any:
        t = time.perf_counter()
        out = plan_record(*a)
        plan_s.append(time.perf_counter() - t)
        return out

    record_module.plan_record = timed_plan if console else (lambda *a: None)  # type: ignore[assignment]
    cfg = synthetic_config(n_tags, n_units=units, horizon_steps=periods, step_minutes=15)
    cfg = cfg.model_copy(
        update={"connection": cfg.connection.model_copy(update={"endpoint": endpoint})}
    )
    db = Path(tempfile.mkdtemp()) / "b.sqlite"
    io = OpcUaPlantIO(cfg)
    await io.connect()
    solver = SolveWorker(PlantModel(cfg), time_limit_s=limit, mip_gap=cfg.cycle.mip_gap)
    recorder = Recorder(cfg, DecisionLog(db), config_hash="bench", advisory=False)
    runner = CycleRunner(
        CycleParts(
            cfg=cfg,
            io=io,
            solver=solver,
            validator=InputValidator(cfg),
            interlocks=Interlocks(cfg),
            recorder=recorder,
            clock=SystemClock(),
        )
    )
    feed = LiveFeed(
        plant=cfg.plant.name,
        advisory=False,
        period_s=None,
        state=lambda: "running",
        next_run=lambda: None,
    )
    server = client = stop = None
    if console:
        server = ConsoleServer(db, Bind(host="127.0.0.1", port=0, token=None), feed)
        await server.start()
        stop = mp.get_context("spawn").Event()
        client = mp.get_context("spawn").Process(
            target=browser, args=(f"http://127.0.0.1:{server.port}", stop), daemon=True
        )
        client.start()
    overheads, totals = [], []
    for _ in range(cycles):
        t0 = time.perf_counter()
        s = await runner.run_once()
        feed.cycle_ended(s)
        total = time.perf_counter() - t0
        ph = runner.last_phase_seconds
        overheads.append(total - (s.solve_time_s or 0.0) - ph.get("read", 0) - ph.get("write", 0))
        totals.append(total)
        await asyncio.sleep(0)  # let the server answer the page between cycles
    page_ms = 0.0
    if server is not None:
        page_ms = 1000 * _page_work(db, feed)
        assert stop is not None and client is not None
        stop.set()
        await server.stop()
        client.join(5)
        client.kill()
    await io.close()
    solver.close()
    await recorder.aclose()
    return {
        "console": console,
        "cycles": cycles,
        "overhead_ms": 1000 * statistics.median(overheads),
        "plan_record_ms": 1000 * statistics.median(plan_s) if plan_s else 0.0,
        "page_work_ms": page_ms,
        "total_ms": 1000 * statistics.median(totals),
        "log_bytes_per_cycle": db.stat().st_size / cycles,
    }


def _page_work(db: Path, feed: Any) -> float:
    """CPU the console spends after each cycle for one open page and a Prometheus scrape
    (median of 20): the same calls the routes make, timed directly (the server's own
    overhead, HTTP and JSON encoding, is not in it)."""
    from optimizer.console import views
    from optimizer.console.metrics import LogMetrics
    from optimizer.decisions import query

    metrics = LogMetrics(db, feed)
    last = query.last_id(db)
    runs = []
    for _ in range(20):
        t = time.process_time()
        views.status(db, feed)
        query.cycle_summaries(db, after_id=last - 1)
        views.plan_view(db, None)
        metrics._seen = last - 1  # one new cycle per scrape
        metrics.render()
        runs.append(time.process_time() - t)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=40, help="cycles per variant (40)")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--time-limit", type=float, default=2.0, help="solver limit (s)")
    args = ap.parse_args()
    n_tags, units, periods = (200, 5, 24) if args.quick else (1000, 20, 96)
    q: Any = mp.get_context("spawn").Queue()
    sim = mp.get_context("spawn").Process(
        target=serve, args=(n_tags, units, periods, q), daemon=True
    )
    sim.start()
    endpoint = q.get(timeout=120)
    out = []
    try:
        for console in (False, True, False, True):  # interleaved: drift hits both alike
            r = asyncio.run(
                measure(
                    endpoint, n_tags, units, periods, args.cycles // 2, args.time_limit, console
                )
            )
            print(json.dumps(r), flush=True)
            out.append(r)
    finally:
        sim.terminate()

    def med(on: bool, key: str) -> float:
        return statistics.median(r[key] for r in out if r["console"] is on)

    res = {
        "tags": n_tags,
        "units": units,
        "periods": periods,
        "cycles_per_variant": args.cycles,
        "overhead_off_ms": med(False, "overhead_ms"),
        "overhead_on_ms": med(True, "overhead_ms"),
        "plan_record_ms": med(True, "plan_record_ms"),
        "page_work_ms": med(True, "page_work_ms"),
        "log_bytes_per_cycle_off": med(False, "log_bytes_per_cycle"),
        "log_bytes_per_cycle_on": med(True, "log_bytes_per_cycle"),
        "runs": out,
    }
    res["overhead_added_ms"] = res["overhead_on_ms"] - res["overhead_off_ms"]
    print(
        f"{units} units x {periods} periods, {n_tags} tags: overhead besides HiGHS and OPC UA "
        f"{res['overhead_off_ms']:.1f} ms without the console, {res['overhead_on_ms']:.1f} ms "
        f"with it ({res['overhead_added_ms']:+.1f} ms); plan block for the log "
        f"{res['plan_record_ms']:.2f} ms a cycle; the console's work after each cycle "
        f"(one page, one scrape) {res['page_work_ms']:.1f} ms CPU"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "console.json").write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
