"""`plantloop solve CONFIG --state STATE.json` — one offline solve from a snapshot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from optimizer.cli._common import EXIT_FAILED, console, handle_errors
from optimizer.config.loader import load_config

if TYPE_CHECKING:
    from models.result import PlanResult
    from optimizer.config.schema import PlantConfig
    from optimizer.interlocks.plant import WritePlan


def register(app: typer.Typer) -> None:
    @app.command("solve")
    @handle_errors
    def solve(
        config: Annotated[Path, typer.Argument(help="Plant config (YAML).")],
        state: Annotated[
            Path, typer.Option("--state", help="JSON snapshot: tag -> value or [forecast].")
        ],
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
        time_limit: Annotated[
            float | None, typer.Option("--time-limit", min=0.1, help="Seconds (default: config).")
        ] = None,
    ) -> None:
        """Solve the plant's MILP once and print the decisions, what the interlocks would
        write, and why."""
        from models.plant_model import PlantModel
        from optimizer.interlocks.plant import Interlocks
        from optimizer.state_file import read_state_file

        cfg = load_config(config).config
        snapshot = read_state_file(state, cfg)  # validated exactly as run validates a read
        model = PlantModel(cfg)
        model.update(snapshot.inputs)
        result = model.solve(time_limit_s=time_limit or cfg.cycle.solver_time_limit_s)
        would = Interlocks(cfg, preview=True).decide(
            validated=snapshot.validated, plan=result, eu_ranges={}, advisory=False
        )
        if as_json:
            print(json.dumps({**result.to_dict(), "interlocks": would.to_dict()}, indent=2))
        else:
            show(cfg, result, would)
        if not result.has_safe_plan:
            raise typer.Exit(EXIT_FAILED)


def show(cfg: PlantConfig, r: PlanResult, would: WritePlan | None = None) -> None:
    style = {"ok": "green", "warning": "yellow", "error": "red"}[r.status.value]
    console.print(
        f"[{style}]{r.status.value}[/] {r.termination} — {r.message}; attempt: {r.attempt}; "
        f"HiGHS {r.solve_time_s:.2f} s, wall {r.wall_time_s:.2f} s"
    )
    if r.report is not None:
        console.print(planner_line(r))
    if not r.has_safe_plan:
        return
    t = Table(title="decisions (first period)")
    decided = {d.tag: d for d in would.decisions} if would is not None else {}
    for c in ("setpoint", "plan", "would write", "unit", "why different"):
        t.add_column(c)
    writes = would.writes if would is not None else {}
    for tag, v in sorted(r.setpoints.items()):
        d = decided.get(tag)
        why = d.reason if d is not None else ""
        if would is not None and tag not in writes and d is not None and d.to_write is not None:
            why = f"not written: {would.outcome.value}"
        written = f"{writes[tag]:.4g}" if tag in writes else "-"
        t.add_row(tag, f"{v:.4g}", written, cfg.tags[tag].unit, why)
    console.print(t)
    if would is not None:
        console.print(
            f"interlocks: {would.outcome.value}"
            + (f" — {'; '.join(would.reasons)}" if would.reasons else ""),
            markup=False,
            soft_wrap=True,
        )
    o = Table(title=f"objective {r.objective:,.2f}" + (f" (gap {r.gap:.2%})" if r.gap else ""))
    o.add_column("term")
    o.add_column("value", justify="right")
    for name, v in r.terms.items():
        o.add_row(name, f"{v:,.3f}")
    for tier, v in sorted(r.tiers.items()):
        o.add_row(f"tier {tier}", f"{v:,.3f}")
    console.print(o)
    if r.marginal_prices:
        mp = Table(title=f"marginal prices ({cfg.tariffs.currency} per unit·h)")
        for col in ("carrier", "now", "min", "max"):
            mp.add_column(col, justify="left" if col == "carrier" else "right")
        for c, ps in r.marginal_prices.items():
            mp.add_row(
                f"{c} ({cfg.carriers[c].unit})", *(f"{x:,.4g}" for x in (ps[0], min(ps), max(ps)))
            )
        console.print(mp)
    if r.cv_predictions:
        comp = Table(title="compensation")
        for col in ("variable", "predicted / move"):
            comp.add_column(col)
        for k, v in r.cv_predictions.items():
            comp.add_row(f"CV {k}", f"{v:.4g}")
        for k, v in r.mv_moves.items():
            comp.add_row(f"MV {k}", f"{v:+.4g}")
        console.print(comp)
    for rl in r.relaxed:
        console.print(
            f"[yellow]relaxed[/] {rl.cv} {rl.limit} limit by {rl.by:.4g} (rank {rl.rank})"
        )
    for w in r.why:
        console.print(f"[dim]why:[/] {w}")


def planner_line(r: PlanResult) -> str:
    """How the plan was found: start, winning candidate, times, gap, overrun."""
    p = r.report
    assert p is not None

    def secs(x: float | None) -> str:
        return "—" if x is None else f"{x:.2f} s"

    gap = "unknown (no bound)" if r.gap is None else f"{r.gap:.2%}"
    over = f"; time limit overran by {p.overran_s:.2f} s" if p.overran_s > 0.05 else ""
    return (
        f"[dim]planner:[/] {p.start}; plan from {p.candidate}; first plan {secs(p.first_plan_s)}, "
        f"chosen {secs(p.chosen_plan_s)}; gap to best bound {gap}{over}"
    )
