"""`plantloop check CONFIG` — validate a plant config and summarize it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from optimizer.cli._common import console, handle_errors, print_plain
from optimizer.config.connection import SecurityPolicy
from optimizer.config.loader import config_warnings, load_config
from optimizer.config.plant import ConverterUnit
from optimizer.config.schema import PlantConfig


def register(app: typer.Typer) -> None:
    @app.command("check")
    @handle_errors
    def check(config: Annotated[Path, typer.Argument(help="Plant config (YAML).")]) -> None:
        """Validate CONFIG; print a summary (exit 0) or every problem as FILE:LINE (exit 2)."""
        loaded = load_config(config)
        summarize(loaded.config)
        warnings = config_warnings(loaded)
        for w in warnings:
            print_plain(str(w), err=True)
        noted = f", {len(warnings)} warning{'s' if len(warnings) != 1 else ''}" if warnings else ""
        print_plain(f"✓ {config}: valid{noted} (sha256 {loaded.config_hash[:12]}…)")


def summarize(cfg: PlantConfig) -> None:
    t = Table(title=f"plant {cfg.plant.name}", show_header=False, title_justify="left")
    units = Counter(u.type for u in cfg.units.values())
    t.add_row("units", ", ".join(f"{n} {k}" for k, n in sorted(units.items())))
    for name, u in cfg.units.items():
        if isinstance(u, ConverterUnit):
            t.add_row("", f"{name}: {u.input} → {u.output} {u.min_load:g}..{u.max_load:g}")
    roles = Counter(tag.role.value for tag in cfg.tags.values())
    t.add_row("tags", ", ".join(f"{n} {r}" for r, n in sorted(roles.items())))
    t.add_row("carriers", ", ".join(cfg.carriers))
    t.add_row("demands", ", ".join(f"{n} ({d.carrier})" for n, d in cfg.demands.items()) or "-")
    comp = [f"{n}: {len(b.cvs)} CVs, {len(b.mvs)} MVs" for n, b in cfg.compensation.items()]
    t.add_row("compensation", "; ".join(comp) or "-")
    tiers: dict[int, list[str]] = {}
    for term in cfg.objectives.terms:
        tiers.setdefault(term.tier, []).append(f"{term.term.value}×{term.weight:g}")
    t.add_row(
        "objectives",
        "  >  ".join(f"tier {k}: {' + '.join(v)}" for k, v in sorted(tiers.items())),
    )
    il = cfg.interlocks
    t.add_row(
        "interlocks",
        f"permissive {il.permissive_tag or '-'}; watchdog "
        f"{il.watchdog.tag + f' ({il.watchdog.timeout_s:g} s)' if il.watchdog else '-'}; "
        + (f"sequence {il.sequence_tag}; " if il.sequence_tag else "")
        + f"{len(il.rules)} rules; shed after {il.max_solver_failures} solver failures / "
        f"{il.max_bad_reads} bad reads",
    )
    c = cfg.cycle
    when = f"cron '{c.cron}'" if c.cron else f"every {c.period_s:g} s"
    t.add_row(
        "cycle",
        f"{c.mode.value}; {when}; solver limit {c.solver_time_limit_s:g} s; "
        f"horizon {c.horizon_steps} × {c.step_minutes:g} min",
    )
    sec = cfg.connection.security
    if sec.policy is SecurityPolicy.NONE:
        t.add_row("security", "[bold red]policy None: unencrypted and unauthenticated[/]")
    else:
        t.add_row("security", f"{sec.policy.value} / {sec.mode.value}")
    console.print(t)
    # identifiers a reader copies: whole, on their own lines, never wrapped
    print_plain(f"endpoint      {cfg.connection.endpoint}")
    print_plain(f"decision log  {cfg.log.path}")
