"""Per-cycle overhead of two source trees, measured in the same run: issue 10's budget
("the benchmark's per-cycle overhead does not grow by more than 10 %").

    git worktree add /tmp/d25 d25d2a0        # the code before issue 10
    python benchmarks/overhead_compare.py --old /tmp/d25 --size 20x96 --rounds 4
    python benchmarks/overhead_compare.py --old /tmp/d25 --size 5x24 --planner off

The cycle is `benchmarks/energy.py`'s "base" variant (its synthetic plant, its inputs for
cycle k, a 2 s limit), each tree in its own process (the two trees' modules have the same
names), the processes alternating old/new/new/old/... so that both see the same load. One
process builds the model, runs a first cycle (not counted: a service's first cycle) and
then ``--cycles`` cycles; overhead = wall time of update + solve minus the solve time the
result reports as HiGHS's (``solve_time_s``). Reported: the median of the per-process
medians and the pooled median; results go to benchmarks/results/overhead-compare-<size>.json.
``--planner off`` runs the new tree with ``PlantModel.planner = None`` (one MIP per tier,
as before the planner existed), so only the model's own changes differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NEW = HERE.parent
RESULTS = HERE / "results"

# runs inside the tree measured (cwd and sys.path[0]); only energy.py's stable functions
_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, ".")
from benchmarks.energy import inputs, synthetic
from models.plant_model import PlantModel
n, p, cycles, planner = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cfg = synthetic(n, p)
pm = PlantModel(cfg)
if planner == "off" and hasattr(pm, "planner"):
    pm.planner = None
pm.update(inputs(cfg, 0))
pm.solve(time_limit_s=2.0)
over = []
for k in range(1, cycles + 1):
    t = time.perf_counter()
    pm.update(inputs(cfg, k))
    r = pm.solve(time_limit_s=2.0)
    over.append(time.perf_counter() - t - r.solve_time_s)
print(json.dumps(over))
"""


def one_process(tree: Path, size: tuple[int, int], cycles: int, planner: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(size[0]), str(size[1]), str(cycles), planner],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    samples: list[float] = json.loads(out.stdout.strip().splitlines()[-1])
    return samples


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="the older tree (a git worktree)")
    ap.add_argument("--new", type=Path, default=NEW, help="the newer tree (default: this one)")
    ap.add_argument("--size", default="20x96")
    ap.add_argument("--rounds", type=int, default=4, help="processes per tree")
    ap.add_argument("--cycles", type=int, default=9, help="counted cycles per process")
    ap.add_argument("--planner", choices=("on", "off"), default="on", help="in the new tree")
    args = ap.parse_args()
    n, p = (int(x) for x in args.size.split("x"))
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    per: dict[str, list[list[float]]] = {k: [] for k in trees}
    loads: list[str] = []
    for i in range(args.rounds):
        order = ["old", "new"] if i % 2 == 0 else ["new", "old"]
        for name in order:
            loads.append(load())
            planner = args.planner if name == "new" else "on"
            s = one_process(trees[name], (n, p), args.cycles, planner)
            per[name].append(s)
            print(
                f"round {i} {name}: median {1000 * statistics.median(s):.1f} ms (load {loads[-1]})",
                flush=True,
            )
    res: dict[str, Any] = {"size": args.size, "planner_in_new": args.planner, "loads": loads}
    for name, runs in per.items():
        res[name] = {
            "median_of_process_medians_ms": 1000
            * statistics.median(statistics.median(r) for r in runs),
            "pooled_median_ms": 1000 * statistics.median(x for r in runs for x in r),
            "process_medians_ms": [round(1000 * statistics.median(r), 2) for r in runs],
        }
    res["ratio_new_over_old"] = (
        res["new"]["median_of_process_medians_ms"] / res["old"]["median_of_process_medians_ms"]
    )
    print(json.dumps(res, indent=2))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"overhead-compare-{args.size}-planner-{args.planner}.json"
    path.write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
