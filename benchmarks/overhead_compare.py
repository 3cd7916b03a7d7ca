"""Per-cycle overhead outside HiGHS of two source trees, measured in the same run: the
budgets of issue 10 ("the benchmark's per-cycle overhead does not grow by more than 10 %")
and issue 12 ("overhead outside HiGHS within 10 % of today's when the previous plan is
optimal anyway"); both were filed against d25d2a0.

    git worktree add /tmp/d25 d25d2a0        # the code before issues 10 and 12
    python benchmarks/overhead_compare.py --old /tmp/d25 --scenario same --rounds 4
    python benchmarks/overhead_compare.py --old /tmp/d25 --scenario energy --size 5x24

Scenarios:
- ``energy``: `benchmarks/energy.py`'s "base" cycles (its synthetic plant, its inputs for
  cycle k); no plan is carried from cycle to cycle.
- ``same``: `benchmarks/quality.py`'s closed-loop plant, the same cycle solved again from
  its own plan, cycle after cycle: the previous plan is as good as it gets, so whatever a
  tree does beyond one MIP is overhead. Both trees solve the identical case (the config and
  the inputs are written once, by this tree, and read by both).

Each tree runs in its own process (the trees' modules have the same names), old/new/new/old/...
so that both see the same load; a process builds the model, solves a first cycle (not
counted) and then ``--cycles`` cycles with a 2 s limit. Two figures per cycle:
- ``in_highs`` (the budget): wall time of ``update`` + ``solve`` minus the wall time spent
  inside ``highspy.Highs.run()``, with the Python deadline callbacks HiGHS calls from
  there counted as ours. HiGHS spends ~0.6-1 ms of each ``run()`` before its own clock
  starts (its set-up and the MIP start's check, measured at 20 x 96): HiGHS's work, not
  the engine's, and a planner making several runs a cycle pays it each time.
- ``cpu``: the same, in the main thread's CPU time (``time.thread_time``): what the
  engine's own Python costs, unmoved by other processes taking the CPU away (the wall
  figures of one process spread 8-35 ms a cycle while three others computed).
- ``highs_clock``: the same wall time minus the HiGHS time each tree reports
  (``solve_time_s``, from HiGHS's own clock): what earlier notes quoted.
Reported: the median of the per-process medians and the ratio new/old for both; results
go to ``benchmarks/results/overhead-compare-<scenario>-<size>-planner-<on|off>.json``.
``--planner off`` runs the new tree with ``PlantModel.planner = None`` (one MIP per tier, as
before the planner existed), so only the model's own changes differ.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NEW = HERE.parent
RESULTS = HERE / "results"
LIMIT_S = 2.0

# runs inside the tree measured (cwd and sys.path[0]); only APIs both trees have. The
# highspy patches are measurement only: the wall time of Highs.run() and of the Python
# callback dispatch inside it (a name-mangled highspy method: None where it does not exist)
_CHILD = """
import json, statistics, sys, time
from datetime import datetime
sys.path.insert(0, ".")
import highspy
clock = {"run": 0.0, "callback": 0.0, "run_cpu": 0.0, "callback_cpu": 0.0}
_run = highspy.Highs.run
def run(self):
    t, c = time.perf_counter(), time.thread_time()
    try:
        return _run(self)
    finally:
        clock["run"] += time.perf_counter() - t
        clock["run_cpu"] += time.thread_time() - c
highspy.Highs.run = run
_cb = getattr(highspy.Highs, "_Highs__internal_callback", None)
if _cb is not None:
    def callback(self, *a, **k):
        t, c = time.perf_counter(), time.thread_time()
        try:
            return _cb(self, *a, **k)
        finally:
            clock["callback"] += time.perf_counter() - t
            clock["callback_cpu"] += time.thread_time() - c
    highspy.Highs._Highs__internal_callback = callback
from models.plant_model import PlantModel
scenario, size, cycles, planner, case, limit = sys.argv[1:7]
limit = float(limit)
n, p = (int(x) for x in size.split("x"))
cycles = int(cycles)
if scenario == "energy":
    from benchmarks.energy import inputs, synthetic
    cfg = synthetic(n, p)
    def cycle_inputs(k, previous):
        return inputs(cfg, k)
else:
    from models.inputs import ModelInputs
    from optimizer.config.schema import PlantConfig
    data = json.loads(open(case).read())
    cfg = PlantConfig.model_validate(data["config"])
    def cycle_inputs(k, previous):
        return ModelInputs(
            start=datetime.fromisoformat(data["start"]),
            values=data["values"],
            forecasts=data["forecasts"],
            previous_plan=previous,
        )
pm = PlantModel(cfg)
if planner == "off" and hasattr(pm, "planner"):
    pm.planner = None
pm.update(cycle_inputs(0, None))
last = pm.solve(time_limit_s=limit)
in_highs, highs_clock, cpu = [], [], []
for k in range(1, cycles + 1):
    for key in clock:
        clock[key] = 0.0
    t, c = time.perf_counter(), time.thread_time()
    pm.update(cycle_inputs(k, last))
    last = pm.solve(time_limit_s=limit)
    wall, own = time.perf_counter() - t, time.thread_time() - c
    in_highs.append(wall - clock["run"] + clock["callback"])
    highs_clock.append(wall - last.solve_time_s)
    cpu.append(own - clock["run_cpu"] + clock["callback_cpu"])
print(json.dumps({"in_highs": in_highs, "highs_clock": highs_clock, "cpu": cpu}))
"""


def write_case(size: tuple[int, int], path: Path) -> None:
    """The ``same`` scenario's case (config and inputs of cycle 0), from this tree."""
    sys.path.insert(0, str(NEW))
    from benchmarks.quality import Loop, looped_config

    cfg = looped_config(*size)
    inp = Loop(cfg, 1, 0.0, 0).inputs(0, None)
    case = {
        "config": cfg.model_dump(mode="json", exclude_unset=True),
        "start": inp.start.isoformat(),
        "values": inp.values,
        "forecasts": inp.forecasts,
    }
    path.write_text(json.dumps(case))


def one_process(
    tree: Path, scenario: str, size: str, cycles: int, planner: str, case: Path
) -> dict[str, Any]:
    args = [scenario, size, str(cycles), planner, str(case), str(LIMIT_S)]
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, *args],
        cwd=tree,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(tree)},
    )
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"overhead_compare: error: the run in {tree} failed: {tail}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--old", type=Path, required=True, help="the older tree (a git worktree)")
    ap.add_argument("--new", type=Path, default=NEW, help="the newer tree (default: this one)")
    ap.add_argument("--scenario", choices=("same", "energy"), default="same")
    ap.add_argument("--size", default="20x96")
    ap.add_argument("--rounds", type=int, default=4, help="processes per tree")
    ap.add_argument("--cycles", type=int, default=9, help="counted cycles per process")
    ap.add_argument("--planner", choices=("on", "off"), default="on", help="in the new tree")
    args = ap.parse_args()
    for tree in (args.old, args.new):
        if not (tree / "models" / "plant_model.py").is_file():
            ap.error(f"--old/--new: {tree} is not a plantloop tree (no models/plant_model.py)")
    n, p = (int(x) for x in args.size.split("x"))
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    figures = ("in_highs", "cpu", "highs_clock")
    per: dict[str, dict[str, list[list[float]]]] = {k: {f: [] for f in figures} for k in trees}
    loads: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        case = Path(tmp) / "case.json"
        if args.scenario == "same":
            write_case((n, p), case)
        for i in range(args.rounds):
            for name in ["old", "new"] if i % 2 == 0 else ["new", "old"]:
                loads.append(load())
                planner = args.planner if name == "new" else "on"
                got = one_process(trees[name], args.scenario, args.size, args.cycles, planner, case)
                for f in figures:
                    per[name][f].append(got[f])
                print(
                    f"round {i} {name}: in_highs {1000 * statistics.median(got['in_highs']):.1f}"
                    f" ms, cpu {1000 * statistics.median(got['cpu']):.1f} ms,"
                    f" highs_clock {1000 * statistics.median(got['highs_clock']):.1f} ms"
                    f" (load {loads[-1]})",
                    flush=True,
                )
    res: dict[str, Any] = {
        "scenario": args.scenario,
        "size": args.size,
        "planner_in_new": args.planner,
        "loads": loads,
    }
    for name, by in per.items():
        res[name] = {
            f: {
                "median_of_process_medians_ms": 1000
                * statistics.median(statistics.median(r) for r in runs),
                "process_medians_ms": [round(1000 * statistics.median(r), 2) for r in runs],
            }
            for f, runs in by.items()
        }
    res["ratio_new_over_old"] = {
        f: res["new"][f]["median_of_process_medians_ms"]
        / res["old"][f]["median_of_process_medians_ms"]
        for f in figures
    }
    print(json.dumps(res, indent=2))
    RESULTS.mkdir(exist_ok=True)
    name = f"overhead-compare-{args.scenario}-{args.size}-planner-{args.planner}.json"
    (RESULTS / name).write_text(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
