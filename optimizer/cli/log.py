"""`plantloop log DB` — review and export the decision log."""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from optimizer.cli._common import console, fail, handle_errors
from optimizer.decisions.query import parse_time, read_log
from optimizer.outcomes import Outcome


class Format(StrEnum):
    TABLE = "table"
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"


def register(app: typer.Typer) -> None:
    @app.command("log")
    @handle_errors
    def log(
        db: Annotated[Path, typer.Argument(help="Decision log (SQLite file).")],
        since: Annotated[str | None, typer.Option(help="From this UTC time (ISO).")] = None,
        until: Annotated[str | None, typer.Option(help="Before this UTC time (ISO).")] = None,
        tag: Annotated[str | None, typer.Option(help="Show this tag's values per cycle.")] = None,
        outcome: Annotated[str | None, typer.Option(help="Only cycles with this outcome.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to FILE (csv/json/parquet).")
        ] = None,
        last: Annotated[int | None, typer.Option("--last", min=1, help="Only the last N.")] = None,
    ) -> None:
        """Show the cycles in a decision log, filtered, as a table or an export."""
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            raise fail(
                f"--outcome {outcome}: unknown outcome (one of "
                f"{', '.join(o.value for o in Outcome)})"
            )
        df = read_log(
            db,
            since=parse_time(since, "--since") if since else None,
            until=parse_time(until, "--until") if until else None,
            tag=tag,
            outcome=outcome,
            limit=last,
        )
        if fmt is Format.TABLE:
            if output is not None:
                raise fail("--output needs --format csv, json or parquet")
            _table(df, tag)
            return
        if fmt is Format.PARQUET and output is None:
            raise fail("--format parquet needs --output FILE")
        _export(df, fmt, output)


def _export(df: pd.DataFrame, fmt: Format, output: Path | None) -> None:
    try:
        if fmt is Format.CSV:
            text = df.to_csv(index=False)
        elif fmt is Format.JSON:
            text = df.to_json(orient="records", indent=2)
        else:
            assert output is not None
            try:
                df.to_parquet(output, index=False)
            except ImportError:
                raise fail(
                    "parquet export needs pyarrow: pip install 'plantloop[parquet]'"
                ) from None
            console.print(f"wrote {len(df)} cycles to {output}")
            return
        if output is None:
            print(text, end="" if text.endswith("\n") else "\n")
        else:
            output.write_text(text)
            console.print(f"wrote {len(df)} cycles to {output}")
    except OSError as e:
        raise fail(f"{output}: cannot write ({e.strerror})") from None


def _table(df: pd.DataFrame, tag: str | None) -> None:
    t = Table(title=f"{len(df)} cycles" + (f" — {tag}" if tag else ""))
    cols = ["cycle", "started", "outcome", "objective", "gap", "solve_time_s"]
    extra = [
        c
        for c in ("current", "proposed", "written", "read_back", "value", "quality")
        if c in df.columns
    ]
    for c in [*cols, *extra, "reasons"]:
        t.add_column(c, overflow="fold")
    for r in df.to_dict(orient="records"):
        t.add_row(*[_fmt(r[c], c) for c in [*cols, *extra, "reasons"]])
    console.print(t)


def _fmt(v: object, col: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if col == "started":
        return str(v)[:19].replace("T", " ")
    if isinstance(v, float):
        return f"{v:.4g}" if col in ("gap",) else f"{v:,.3f}".rstrip("0").rstrip(".")
    return str(v)
