"""Plan quality in a rolling closed loop: the planner against cold solves, the old warm
start and each planner step alone, every cycle against a long reference solve.

    python benchmarks/quality.py                      # 20x96 @ 2 s, 20 cycles, 3 % and 10 %
    python benchmarks/quality.py --size 50x288 --limit 10 --variants cold,planner
    python benchmarks/quality.py --cycles 4 --reference 6 --noise 0.03   # a quick look

The loop: the plant's state (on/off, load, time in state, battery SoC, the month's peak)
is carried from the applied plan's first period to the next cycle, the horizon moves one
step a cycle, and the demand forecast is revised every cycle (the truth times 1 + noise x a
fresh normal draw per period). Every variant solves the same cycle (same state, same
forecast, the same previous plan to start from and for the plan-change term) with its own
model; the planner's plan is the one applied. The reference is a long
solve of the same cycle (the planner with ``--reference`` seconds, from the best plan any
variant found); the gap of a variant is (objective - best known) / |best known|.
    python benchmarks/quality.py --overhead --cycles 15     # time outside HiGHS, plan optimal
    python benchmarks/quality.py --cold-utility 5          # cold `plantloop solve`, utility plant

Results go to benchmarks/results/quality-<size>.json (overhead-<size>.json, cold-utility.json).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from rich.console import Console
from rich.table import Table

from benchmarks.energy import synthetic_data
from models.inputs import ModelInputs
from models.planner import PlannerOptions
from models.plant_model import PlantModel
from models.result import PlanResult, PlanVector
from optimizer.config.schema import PlantConfig

RESULTS = Path(__file__).resolve().parent / "results"

# variant -> planner options (None: today's single MIP, no start)
VARIANTS: dict[str, PlannerOptions | None] = {
    "cold": PlannerOptions(repair=False, neighbourhood=False, cold_heuristic=False),
    "old warm start": PlannerOptions(
        repair=False, neighbourhood=False, cold_heuristic=False, shift=False
    ),
    "shift+repair": PlannerOptions(neighbourhood=False, full_mip=False),
    "+neighbourhood": PlannerOptions(full_mip=False),
    "shift+repair+full MIP": PlannerOptions(neighbourhood=False),
    "planner": PlannerOptions(),
}
DRIVER = "planner"


def looped_config(n_units: int, periods: int) -> PlantConfig:
    """The energy benchmark's plant with the state a closed loop carries: status, load and
    time in state of every unit, the battery's SoC and the month's import peak as tags."""
    data = synthetic_data(n_units, periods)
    tags = data["tags"]
    for name, u in data["units"].items():
        if u["type"] in ("boiler", "chp"):
            for what in ("status", "load", "time_in_state"):
                tags[f"{name}_{what}"] = {"node": f"s={name}.{what}", "role": "measurement"}
            u["status_tag"] = f"{name}_status"
            u["load_tag"] = f"{name}_load"
            u["time_in_state_tag"] = f"{name}_time_in_state"
    tags["soc"] = {"node": "s=soc", "role": "measurement"}
    tags["peak"] = {"node": "s=peak", "role": "measurement"}
    data["units"]["battery"]["soc_tag"] = "soc"
    data["units"]["grid"]["peak_so_far_tag"] = "peak"
    return PlantConfig.model_validate(data)


class Loop:
    """The plant in the loop: truth profiles, forecasts revised each cycle, carried state."""

    def __init__(self, cfg: PlantConfig, cycles: int, noise: float, seed: int) -> None:
        self.cfg = cfg
        self.n = cfg.cycle.horizon_steps
        self.dh = cfg.cycle.step_minutes / 60.0
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        cap = sum(u.max_load for u in cfg.units.values() if hasattr(u, "max_load"))
        k = np.arange(cycles + self.n)
        day = 24.0 / self.dh
        shape = 1.0 + 0.25 * np.sin(2 * np.pi * (k / day - 0.3)) + 0.1 * np.sin(6 * np.pi * k / day)
        self.heat = 0.33 * cap * shape
        self.elec = 0.14 * cap * (1.0 + 0.35 * np.sin(2 * np.pi * (k / day - 0.25)))
        self.t0 = datetime(2026, 11, 25, tzinfo=UTC)
        self.state: dict[str, float] = {"soc": 0.5, "peak": 0.0}
        for name, u in cfg.units.items():
            if hasattr(u, "status_tag") and u.status_tag:
                self.state[f"{name}_status"] = 0.0
                self.state[f"{name}_load"] = 0.0
                self.state[f"{name}_time_in_state"] = 24.0

    def inputs(self, c: int, previous: PlanResult | None) -> ModelInputs:
        sl = slice(c, c + self.n)
        rev = self.rng.normal(size=(2, self.n)) * self.noise
        heat = np.maximum(0.0, self.heat[sl] * (1 + rev[0]))
        elec = np.maximum(0.0, self.elec[sl] * (1 + rev[1]))
        return ModelInputs(
            start=self.t0 + timedelta(minutes=self.cfg.cycle.step_minutes * c),
            values=dict(self.state),
            forecasts={"heat_fc": heat.tolist(), "elec_fc": elec.tolist()},
            previous_plan=previous,
        )

    def apply(self, plan: PlanResult) -> None:
        """The plan's first period happens: the next cycle's state."""
        row = plan.schedule.iloc[0]
        for name, u in self.cfg.units.items():
            if hasattr(u, "status_tag") and u.status_tag:
                on = float(row[f"{name}.on"])
                same = on == self.state[f"{name}_status"]
                tis = self.state[f"{name}_time_in_state"]
                self.state[f"{name}_time_in_state"] = (tis if same else 0.0) + self.dh
                self.state[f"{name}_status"] = on
                self.state[f"{name}_load"] = float(row[f"{name}.load"]) if on else 0.0
        cap = self.cfg.units["battery"].capacity  # type: ignore[union-attr]
        self.state["soc"] = float(row["battery.soc"]) / cap
        self.state["peak"] = max(self.state["peak"], float(row["grid.import"]))


def _with_start(plan: PlanResult | None, model: PlantModel, own: PlanVector | None) -> Any:
    """The applied plan (plan-change term) with ``model``'s own previous columns."""
    if plan is None:
        return None
    vec = None if own is None else dataclasses.replace(own, model=model.token)
    return dataclasses.replace(plan, columns=vec)


def run(
    size: tuple[int, int],
    limit: float,
    ref_limit: float,
    cycles: int,
    noise: float,
    variants: list[str],
    seed: int,
) -> dict[str, Any]:
    cfg = looped_config(*size)
    loop = Loop(cfg, cycles, noise, seed)
    models: dict[str, PlantModel] = {}
    for v in [*variants, "reference"]:
        pm = PlantModel(cfg)
        opts = VARIANTS.get(v, PlannerOptions())
        assert pm.planner is not None and opts is not None
        pm.planner.options = opts
        models[v] = pm
    hm = models["reference"].solver.opt._solver_model
    dims = {"rows": hm.getNumRow(), "cols": hm.getNumCol(), "nonzeros": hm.getNumNz()}
    applied: PlanResult | None = None
    rows: list[dict[str, Any]] = []
    con = Console(width=150)
    for c in range(cycles):
        inp = loop.inputs(c, applied)
        res: dict[str, PlanResult] = {}
        for v in variants:
            pm = models[v]
            # every variant starts from the applied plan (the same start each cycle: the
            # gain of each step is visible, not the drift of its own trajectory)
            vec = applied.columns if applied is not None else None
            pm.update(dataclasses.replace(inp, previous_plan=_with_start(applied, pm, vec)))
            r = pm.solve(time_limit_s=limit)
            res[v] = r
        # the reference: a long solve from the best plan any variant found
        found = [r for r in res.values() if r.has_safe_plan and r.columns is not None]
        seed_plan = min(found, key=lambda r: r.objective or 0.0) if found else None
        ref_pm = models["reference"]
        start = seed_plan.columns if seed_plan is not None else None
        ref_pm.update(dataclasses.replace(inp, previous_plan=_with_start(applied, ref_pm, start)))
        if start is not None:  # the reference starts from that plan as it is, unshifted
            ref_pm._start_x = start.x.copy()
        ref = ref_pm.solve(time_limit_s=ref_limit)
        objs = [r.objective for r in [*res.values(), ref] if r.objective is not None]
        best = min(objs) if objs else None
        row: dict[str, Any] = {
            "cycle": c,
            "best": best,
            "reference_gap": ref.gap,
            "reference_unmet": sum(ref.unmet.values()),
        }
        for v, r in res.items():
            rep = r.report
            row[v] = {
                "objective": r.objective,
                "gap_to_best": (
                    None
                    if r.objective is None or best is None
                    else (r.objective - best) / max(abs(best), 1e-9)
                ),
                "unmet": sum(r.unmet.values()),
                "first_plan_s": rep.first_plan_s if rep else None,
                "chosen_plan_s": rep.chosen_plan_s if rep else None,
                "candidate": rep.candidate if rep else None,
                "proven_gap": r.gap,
                "wall_s": r.wall_time_s,
                "highs_s": r.solve_time_s,
            }
        rows.append(row)
        driver = res.get(DRIVER) or next(iter(res.values()))
        if not driver.has_safe_plan:
            driver = ref
        loop.apply(driver)
        applied = driver
        con.print(
            f"cycle {c:2d}: "
            + ", ".join(
                f"{v} {_pct(row[v]['gap_to_best'])}" + (" UNMET" if row[v]["unmet"] > 1e-6 else "")
                for v in variants
            )
        )
    return {
        "size": f"{size[0]}x{size[1]}",
        "limit_s": limit,
        "reference_s": ref_limit,
        "noise": noise,
        "cycles": cycles,
        "model": dims,
        "rows": rows,
        "summary": summarize(rows, variants),
    }


def overhead(size: tuple[int, int], limit: float, cycles: int) -> dict[str, Any]:
    """Per-cycle time outside HiGHS (wall - HiGHS run time) when the previous plan is
    optimal anyway (the same cycle again): today's single MIP against the planner,
    interleaved; medians."""
    cfg = looped_config(*size)
    loop = Loop(cfg, 1, 0.0, 0)
    models = {"today": PlantModel(cfg), "planner": PlantModel(cfg)}
    models["today"].planner = None
    last: dict[str, PlanResult | None] = dict.fromkeys(models)
    over: dict[str, list[float]] = {k: [] for k in models}
    runs: dict[str, list[int]] = {k: [] for k in models}
    inp = loop.inputs(0, None)
    for c in range(cycles + 1):
        for name, pm in models.items():
            t = time.perf_counter()
            pm.update(dataclasses.replace(inp, previous_plan=last[name]))
            r = pm.solve(time_limit_s=limit)
            wall = time.perf_counter() - t
            last[name] = r
            if c:  # the first cycle of each is cold: not counted
                over[name].append(wall - r.solve_time_s)
                runs[name].append(len(r.report.candidates) if r.report else 1)
    out = {k: 1000 * statistics.median(v) for k, v in over.items()}
    return {
        "size": f"{size[0]}x{size[1]}",
        "overhead_ms": out,
        "samples_ms": {k: [round(1000 * x, 2) for x in v] for k, v in over.items()},
        "ratio": out["planner"] / out["today"],
    }


def cold_utility(runs: int, limit: float) -> dict[str, Any]:
    """``plantloop solve`` of config/utility.yaml (cold, ``limit`` s) against the plant's
    proven optimum (a long solve of the same snapshot)."""
    import subprocess

    from models.inputs import ModelInputs
    from optimizer.config.loader import load_config

    root = Path(__file__).resolve().parents[1]
    conf, state = root / "config" / "utility.yaml", root / "config" / "utility-state.json"
    cfg = load_config(conf).config
    pm = PlantModel(cfg)
    pm.update(ModelInputs.from_state_file(state, cfg))
    best = pm.solve(time_limit_s=600, mip_gap=1e-6)
    out = []
    for _ in range(runs):
        cmd = [sys.executable, "-m", "optimizer", "solve", str(conf), "--state", str(state)]
        cmd += ["--time-limit", str(limit), "--json"]
        got = subprocess.run(cmd, cwd=root, capture_output=True, text=True, check=False)
        d = json.loads(got.stdout)
        out.append(
            {
                "objective": d["objective"],
                "gap_to_optimum": (d["objective"] - best.objective) / abs(best.objective),
                "unmet": sum(d["unmet"].values()),
                "wall_s": d["wall_time_s"],
                "planner": d["planner"],
            }
        )
    return {
        "optimum": best.objective,
        "optimum_gap": best.gap,
        "optimum_termination": best.termination,
        "limit_s": limit,
        "runs": out,
    }


def summarize(rows: list[dict[str, Any]], variants: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in variants:
        gaps = [r[v]["gap_to_best"] for r in rows]
        have = [g for g in gaps if g is not None]
        firsts = [r[v]["first_plan_s"] for r in rows if r[v]["first_plan_s"] is not None]
        extra_unmet = sum(1 for r in rows if r[v]["unmet"] > 1e-6 and r["reference_unmet"] <= 1e-6)
        out[v] = {
            "plans": f"{len(have)}/{len(rows)}",
            "median_gap": statistics.median(have) if have else None,
            "worst_gap": max(have) if have else None,
            "within_0.5%": sum(1 for g in have if g <= 0.005),
            "first_plan_max_s": max(firsts) if firsts else None,
            "first_plan_median_s": statistics.median(firsts) if firsts else None,
            "unmet_where_reference_has_none": extra_unmet,
            "wall_median_s": statistics.median(r[v]["wall_s"] for r in rows),
        }
    return out


def _pct(x: float | None) -> str:
    return "none" if x is None else f"{100 * x:.2f}%"


def table(result: dict[str, Any]) -> Table:
    tab = Table(
        title=f"{result['size']} @ {result['limit_s']:g} s, noise {100 * result['noise']:g} %, "
        f"{result['cycles']} cycles (reference {result['reference_s']:g} s)"
    )
    for c in ("variant", "plans", "median", "worst", "≤0.5 %", "first plan", "unmet*"):
        tab.add_column(c, justify="right")
    for v, s in result["summary"].items():
        tab.add_row(
            v,
            s["plans"],
            _pct(s["median_gap"]),
            _pct(s["worst_gap"]),
            str(s["within_0.5%"]),
            "—" if s["first_plan_max_s"] is None else f"{s['first_plan_max_s']:.2f} s",
            str(s["unmet_where_reference_has_none"]),
        )
    return tab


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", default="20x96")
    ap.add_argument("--limit", type=float, default=2.0)
    ap.add_argument("--reference", type=float, default=20.0, help="reference solve, seconds")
    ap.add_argument("--cycles", type=int, default=20)
    ap.add_argument("--noise", default="0.03,0.10")
    ap.add_argument("--variants", default=",".join(VARIANTS))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--cold-utility", type=int, default=0, help="N cold `plantloop solve` of the utility plant"
    )
    ap.add_argument(
        "--overhead", action="store_true", help="only the time outside HiGHS, plan optimal"
    )
    args = ap.parse_args()
    n, p = (int(x) for x in args.size.split("x"))
    if args.cold_utility:
        res = cold_utility(args.cold_utility, args.limit)
        Console().print(res)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / "cold-utility.json").write_text(json.dumps(res, indent=2))
        return
    if args.overhead:
        res = overhead((n, p), args.limit, args.cycles)
        Console().print(res)
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"overhead-{args.size}.json").write_text(json.dumps(res, indent=2))
        return
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        ap.error(f"unknown variants {unknown}; known: {list(VARIANTS)}")
    con = Console(width=150)
    out = []
    for noise in (float(x) for x in args.noise.split(",")):
        res = run((n, p), args.limit, args.reference, args.cycles, noise, variants, args.seed)
        out.append(res)
        con.print(table(res))
        d = res["model"]
        con.print(
            f"model: {d['rows']} rows, {d['cols']} columns, {d['nonzeros']} nonzeros "
            f"({d['rows'] / p:.0f} / {d['cols'] / p:.0f} / {d['nonzeros'] / p:.0f} per period)"
        )
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"quality-{args.size}.json"
    path.write_text(json.dumps(out, indent=2, default=float))
    con.print(f"wrote {path}")


if __name__ == "__main__":
    main()
