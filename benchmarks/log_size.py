"""Decision-log size: bytes per cycle and GB per year, this tree against an older revision.

    python benchmarks/log_size.py                     # demo plant and 1,000 tags x 96 steps
    python benchmarks/log_size.py --old-rev 40ca549   # compare with the log of that commit
    python benchmarks/log_size.py --quick

Real records: a few cycles of the real loop against the simulator (the demo config, and the
synthetic 1,000-tag plant with 20 units and a 96-step horizon) are captured, then appended
over and over (cycle numbers counting up) to a fresh log by each store under test, in a
subprocess each; the size is measured after a WAL checkpoint, and the bytes per cycle are
the growth between the half-way point and the end (no fixed overhead). Each writing cycle
also appends an intent record in this tree; it is counted. Results go to
benchmarks/results/log_size.json.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = Path(__file__).resolve().parent / "results"
CYCLES_PER_YEAR = 365 * 24 * 60  # a 1-minute period

MEASURE = r"""
import dataclasses, os, pickle, sqlite3, sys, tempfile
from pathlib import Path
from optimizer.decisions.store import DecisionLog
records = pickle.load(open(sys.argv[1], "rb"))
n = int(sys.argv[2])
path = Path(tempfile.mkdtemp()) / "size.sqlite"
log = DecisionLog(path)
intent = None
try:
    from optimizer.decisions.store import Intent
    intent = Intent
except ImportError:
    pass
def size():
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return sum(os.path.getsize(f"{path}{s}") for s in ("", "-wal") if os.path.exists(f"{path}{s}"))
half = 0
for k in range(n):
    rec = dataclasses.replace(records[k % len(records)], cycle=k + 1)
    if intent is not None and rec.outcome in ("wrote", "no_change", "write_failed"):
        log.append_intent(intent(run_id=rec.run_id, cycle=k + 1, at=rec.started,
            config_hash=rec.config_hash, mode=rec.mode, outcome=rec.outcome,
            writes={s.tag: s.clamped_to for s in rec.setpoints if s.clamped_to is not None},
            sequence=rec.sequence, watchdog=rec.watchdog))
    log.append(rec)
    if k + 1 == n // 2:
        half = size()
end = size()
print((end - half) / (n - n // 2), end)
"""


async def capture(cfg: Any, cycles: int) -> list[Any]:
    from models.plant_model import PlantModel
    from optimizer.cycle.clock import SystemClock
    from optimizer.cycle.record import Recorder
    from optimizer.cycle.runner import CycleParts, CycleRunner
    from optimizer.cycle.solve import SolveWorker
    from optimizer.decisions.store import DecisionLog
    from optimizer.interlocks import Interlocks
    from optimizer.plantio.opcua_client import OpcUaPlantIO
    from optimizer.sim import SimulatedPlant
    from optimizer.validation import InputValidator

    got: list[Any] = []

    class Keep(Recorder):
        def build(self, *a: Any, **k: Any) -> Any:
            rec = super().build(*a, **k)
            got.append(rec)
            return rec

    async with SimulatedPlant(cfg, port=0, speed=0, seed=1) as sim:
        cfg = cfg.model_copy(
            update={"connection": cfg.connection.model_copy(update={"endpoint": sim.endpoint})}
        )
        io = OpcUaPlantIO(cfg)
        await io.connect()
        solver = SolveWorker(PlantModel(cfg), time_limit_s=3.0, mip_gap=cfg.cycle.mip_gap)
        rec = Keep(
            cfg, DecisionLog(Path(tempfile.mkdtemp()) / "c.sqlite"), config_hash="b", advisory=False
        )
        runner = CycleRunner(
            CycleParts(
                cfg=cfg,
                io=io,
                solver=solver,
                validator=InputValidator(cfg),
                interlocks=Interlocks(cfg),
                recorder=rec,
                clock=SystemClock(),
                plan_clock=sim,
            )
        )
        for _ in range(cycles):
            await sim.advance(600)
            await runner.run_once()
        await io.close()
        solver.close()
        await rec.aclose()
    return got


def measure(tree: Path, records: Path, n: int) -> tuple[float, int]:
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, str(records), str(n)],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return float(out[0]), int(out[1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old-rev", default=None, help="also measure the log of this git revision")
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    from optimizer.config.loader import load_config
    from optimizer.sim import synthetic_config

    demo = load_config(ROOT / "config" / "demo.yaml").config
    plants = {
        "demo": (demo, 400),
        "1000 tags x 96 steps": (
            synthetic_config(1000, n_units=20, horizon_steps=96, step_minutes=15),
            60,
        ),
    }
    if args.quick:
        plants = {"demo": (demo, 100)}
    trees = {"this tree": ROOT}
    tmp = Path(tempfile.mkdtemp())
    if args.old_rev:
        old = tmp / "old"
        old.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.old_rev], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
        trees[args.old_rev] = old
    results: dict[str, Any] = {}
    for name, (cfg, n) in plants.items():
        records = asyncio.run(capture(cfg, 3))
        outcomes = [r.outcome for r in records]
        path = tmp / f"{len(results)}.pickle"
        path.write_bytes(pickle.dumps([dataclasses.replace(r) for r in records]))
        for tree_name, tree in trees.items():
            per, total = measure(tree, path, n)
            results[f"{name} / {tree_name}"] = {
                "tags": len(cfg.tags),
                "horizon": cfg.cycle.horizon_steps,
                "outcomes": outcomes,
                "bytes_per_cycle": round(per),
                "gb_per_year_1min": round(per * CYCLES_PER_YEAR / 1e9, 2),
                "file_bytes": total,
                "cycles": n,
            }
            print(
                f"{name:>22} | {tree_name:>10} | {per:>10,.0f} B/cycle | "
                f"{per * CYCLES_PER_YEAR / 1e9:>7.2f} GB/year at 1 min",
                flush=True,
            )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "log_size.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
