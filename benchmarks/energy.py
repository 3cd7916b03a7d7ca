"""Energy-allocation MILP speed: plantloop (Pyomo, persistent HiGHS) vs the same MILP given
to highspy directly, measured in the same run.

    python benchmarks/energy.py            # (5,24) (20,96) (50,288), 7 cycles each
    python benchmarks/energy.py --quick    # (5,24) (20,96), 3 cycles

Per size (units x periods) four variants are built and their cycles interleaved (cycle 1 of
each, then cycle 2 of each, ...) so that they share the machine's load; medians per variant:
base, +comp (a compensation block, deviation in the cost tier), +comp ranked (deviation tier 1,
cost tier 2: two HiGHS runs per cycle), warm start (the pre-planner path: one MIP per tier,
the last plan offered unshifted as MIP start). base and +comp run the planner (docs/planner.md).
- build: Pyomo model build + first hand-over to HiGHS (cold start of a cycle service);
- overhead: one cycle's time outside HiGHS's own run time (parameter update, hand-over of
  changed values, solution extraction into the PlanResult) — the figure that matters every
  cycle; the reference is the same for highspy fed the MILP directly (read once from the MPS
  file Pyomo writes; per cycle: change the demand row bounds, run, read the solution);
- HiGHS: HiGHS's own run time; objective and gap at a fixed 2 s limit.
Results go to benchmarks/results/energy.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import highspy
from rich.console import Console
from rich.table import Table

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.schema import PlantConfig

RESULTS = Path(__file__).resolve().parent / "results"


def synthetic(
    n_units: int, periods: int, *, compensation: bool = False, ranked: bool = False
) -> PlantConfig:
    return PlantConfig.model_validate(
        synthetic_data(n_units, periods, compensation=compensation, ranked=ranked)
    )


def synthetic_data(
    n_units: int, periods: int, *, compensation: bool = False, ranked: bool = False
) -> dict[str, Any]:
    """The config of :func:`synthetic` as plain data: n converters (boilers and CHPs on
    heat and electricity), a battery, a TOU grid.

    ``compensation`` adds one CV/MV block coupled to heat, its deviation weighted in the
    same tier as cost; ``ranked`` puts deviation in tier 1 and cost in tier 2 (two HiGHS
    runs per cycle: the lexicographic order quality > cost).
    """
    tags: dict[str, Any] = {
        "heat_fc": {"node": "s=hf", "role": "forecast"},
        "elec_fc": {"node": "s=ef", "role": "forecast"},
    }
    units: dict[str, Any] = {}
    for i in range(n_units):
        chp = i % 4 == 3
        lo, hi = 2 + i % 3, 10 + (i % 5) * 2
        eff = 1.05 + 0.03 * (i % 7)
        mid = (lo + hi) / 2
        units[f"u{i:02d}"] = {
            "type": "chp" if chp else "boiler",
            "input": "gas",
            "output": "electricity" if chp else "heat",
            **({"coproducts": {"heat": 1.4}} if chp else {}),
            "min_load": lo,
            "max_load": hi,
            "curve": [
                {"load": lo, "input": lo * eff * 1.1},
                {"load": mid, "input": mid * eff},
                {"load": hi, "input": hi * eff * 1.04},
            ],
            "startup_cost": 50 + 10 * (i % 5),
            "min_up_steps": 1 + i % 3,
            "min_down_steps": 1 + i % 2,
            "ramp_up": hi / 2,
            "ramp_down": hi / 2,
        }
    units["battery"] = {
        "type": "storage",
        "carrier": "electricity",
        "capacity": 2 * n_units,
        "max_charge": n_units,
        "max_discharge": n_units,
        "initial_soc": 0.5,
    }
    units["grid"] = {
        "type": "grid",
        "carrier": "electricity",
        "max_import": 10 * n_units,
        "max_export": n_units,
        "import_price": {
            "tou": [
                {"start": "00:00", "value": 90},
                {"start": "07:00", "value": 210},
                {"start": "20:00", "value": 120},
            ]
        },
        "export_price": {"value": 40},
        "peak_charge": 5000,
    }
    data: dict[str, Any] = {
        "plant": {"name": f"bench{n_units}x{periods}"},
        "connection": {
            "endpoint": "opc.tcp://127.0.0.1:1",
            "namespace_uri": "urn:b",
            "security": {"policy": "None", "mode": "None"},
        },
        "cycle": {
            "period_s": 600,
            "solver_time_limit_s": 2,
            "horizon_steps": periods,
            "step_minutes": 24 * 60 / periods,
            "mip_gap": 1e-4,
        },
        "tags": tags,
        "carriers": {"heat": {"unit": "MW"}, "electricity": {"unit": "MW"}, "gas": {"unit": "MW"}},
        "demands": {
            "h": {"carrier": "heat", "forecast": {"tag": "heat_fc"}},
            "e": {"carrier": "electricity", "forecast": {"tag": "elec_fc"}},
        },
        "units": units,
        "tariffs": {"fuels": {"gas": {"price": {"value": 38}}}},
        "objectives": {"terms": [{"term": "cost"}, {"term": "plan_change", "weight": 0.1}]},
        "interlocks": {},
    }
    if compensation:
        data["tags"].update(
            {
                "cv": {"node": "s=cv", "role": "measurement"},
                "mv": {
                    "node": "s=mv",
                    "role": "setpoint",
                    "setpoint": {"min": 0, "max": 10, "max_up": 1, "max_down": 1},
                },
            }
        )
        data["compensation"] = {
            "q": {
                "cvs": {"t": {"tag": "cv", "low": 80, "high": 90}},
                "mvs": {
                    "m": {
                        "tag": "mv",
                        "move_cost": 1,
                        "energy": [{"carrier": "heat", "per_unit": 0.5}],
                    }
                },
                "gains": {"t": {"m": 2.0}},
            }
        }
        terms = data["objectives"]["terms"]
        terms.append({"term": "deviation", "tier": 1})
        if ranked:
            for t in terms[:-1]:
                t["tier"] = 2
    return data


def inputs(cfg: PlantConfig, k: int) -> ModelInputs:
    n = cfg.cycle.horizon_steps
    cap = sum(u.max_load for u in cfg.units.values() if hasattr(u, "max_load"))
    heat = [0.35 * cap * (1 + 0.2 * ((t + k) % 7) / 7) for t in range(n)]
    elec = [0.15 * cap * (1 + 0.3 * ((t * 3 + k) % 5) / 5) for t in range(n)]
    return ModelInputs(
        start=datetime(2026, 11, 25, tzinfo=UTC),
        values={"cv": 85.0, "mv": 5.0},
        forecasts={"heat_fc": heat, "elec_fc": elec},
    )


def _med(xs: list[float | None]) -> float | None:
    vals = [x for x in xs if x is not None]
    return statistics.median(vals) if vals else None


VARIANTS: dict[str, dict[str, bool]] = {
    "base": {},
    "+comp": {"compensation": True},
    "+comp ranked": {"compensation": True, "ranked": True},
    "warm start": {"warm": True},
}


def bench_variants(n: int, periods: int, runs: int) -> dict[str, dict[str, Any]]:
    """Every variant's cycles interleaved (base, +comp, ... for cycle 1, then cycle 2, ...)
    so that each sees the same load on a shared machine; medians per variant."""
    models: dict[str, PlantModel] = {}
    out: dict[str, dict[str, Any]] = {}
    for name, opts in VARIANTS.items():
        warm = opts.get("warm", False)
        cfg = synthetic(
            n,
            periods,
            compensation=opts.get("compensation", False),
            ranked=opts.get("ranked", False),
        )
        t0 = time.perf_counter()
        pm = PlantModel(cfg)
        out[name] = {"build_s": time.perf_counter() - t0, "tiers": len(pm.tiers)}
        if warm:  # the old warm start: one MIP per tier, last plan offered unshifted
            pm.planner = None
            pm.warm_start = True
        pm.update(inputs(cfg, 0))
        pm.solve(time_limit_s=2.0)  # the first cycle of a service
        models[name] = pm
    samples: dict[str, dict[str, list[Any]]] = {
        v: {"over": [], "highs": [], "obj": [], "gap": [], "found": []} for v in VARIANTS
    }
    for k in range(1, runs + 1):
        for name, pm in models.items():
            t = time.perf_counter()
            pm.update(inputs(pm.cfg, k))
            r = pm.solve(time_limit_s=2.0)
            wall = time.perf_counter() - t
            s = samples[name]
            s["over"].append(wall - r.solve_time_s)
            s["highs"].append(r.solve_time_s)
            s["obj"].append(r.objective)
            s["gap"].append(r.gap)
            s["found"].append(r.has_safe_plan)
    for name, s in samples.items():
        out[name].update(
            overhead_ms=1000 * statistics.median(s["over"]),
            overhead_samples_ms=[round(1000 * x, 2) for x in s["over"]],
            highs_s=statistics.median(s["highs"]),
            objective=_med(s["obj"]),
            gap=_med(s["gap"]),
            plans=f"{sum(s['found'])}/{runs}",
        )
    out["base"]["model"] = models["base"]
    return out


def bench_highspy(pm: PlantModel, cfg: PlantConfig, runs: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        path = str(Path(d) / "model.mps")
        pm.m.write(path, io_options={"symbolic_solver_labels": True})
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        t0 = time.perf_counter()
        h.readModel(path)
        load = time.perf_counter() - t0
    h.setOptionValue("time_limit", 2.0)
    h.setOptionValue("mip_rel_gap", 1e-4)
    h.setOptionValue("threads", 1)
    lp = h.getLp()
    rows = [i for i, name in enumerate(lp.row_names_) if name.startswith("c_e_c_balance")]
    h.run()
    over, highs, objs = [], [], []
    run_before = h.getRunTime()
    for k in range(1, runs + 1):
        dem = inputs(cfg, k)
        t = time.perf_counter()
        vals = list(dem.forecasts["heat_fc"]) + list(dem.forecasts["elec_fc"])
        for i, r in enumerate(rows):
            v = vals[i % len(vals)]
            h.changeRowBounds(r, v, v)
        h.run()
        sol = list(h.getSolution().col_value)
        wall = time.perf_counter() - t
        run = h.getRunTime() - run_before
        run_before = h.getRunTime()
        over.append(wall - run)
        highs.append(run)
        objs.append(h.getInfo().objective_function_value)
        assert sol
    return {
        "load_s": load,
        "overhead_ms": 1000 * statistics.median(over),
        "highs_s": statistics.median(highs),
        "objective": statistics.median(objs),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--runs", type=int, default=None)
    args = ap.parse_args()
    sizes = [(5, 24), (20, 96)] if args.quick else [(5, 24), (20, 96), (50, 288)]
    runs = args.runs or (3 if args.quick else 7)
    con = Console(width=140)
    rows = []
    for n, t in sizes:
        res = bench_variants(n, t, runs)
        pm = res["base"].pop("model")
        ref = bench_highspy(pm, pm.cfg, runs)
        rows.append({"units": n, "periods": t, "highspy": ref, **res})
        base = res["base"]["overhead_ms"]
        con.print(
            f"{n}x{t}: overhead {base:.1f} ms (highspy {ref['overhead_ms']:.1f} ms); "
            + ", ".join(
                f"{v} {res[v]['overhead_ms'] / base - 1:+.0%}" for v in VARIANTS if v != "base"
            )
        )
    tab = Table(title=f"energy MILP, medians of {runs} interleaved cycles")
    for c in (
        "size",
        "variant",
        "build+hand-over",
        "overhead/cycle",
        "vs base",
        "HiGHS run",
        "objective @2 s (plans)",
        "gap",
    ):
        tab.add_column(c, justify="right")
    for r in rows:
        base = r["base"]["overhead_ms"]
        d = r["highspy"]
        tab.add_row(
            f"{r['units']}x{r['periods']}",
            "highspy direct",
            f"{d['load_s']:.2f} s (read)",
            f"{d['overhead_ms']:.1f} ms",
            f"base {base / d['overhead_ms']:.0f}x this",
            f"{d['highs_s']:.2f} s",
            f"{d['objective']:,.0f}",
            "",
        )
        for v in VARIANTS:
            p = r[v]
            o = p["objective"]
            tab.add_row(
                "",
                v,
                f"{p['build_s']:.2f} s",
                f"{p['overhead_ms']:.1f} ms",
                "" if v == "base" else f"{p['overhead_ms'] / base - 1:+.0%}",
                f"{p['highs_s']:.2f} s",
                (f"{o:,.0f}" if o is not None else "none") + f" ({p['plans']})",
                f"{p['gap']:.2%}" if p["gap"] is not None else "—",
            )
    con.print(tab)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "energy.json").write_text(json.dumps(rows, indent=2, default=float))
    con.print(f"wrote {RESULTS / 'energy.json'}")


if __name__ == "__main__":
    main()
