"""`plantloop log DB` — review and export the decision log; `plantloop log verify DB`."""

from __future__ import annotations

import json
import math
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.table import Table

from optimizer.cli._common import EXIT_FAILED, console, fail, handle_errors, print_plain
from optimizer.decisions.chain import verify
from optimizer.decisions.export import export_frame
from optimizer.decisions.migrate import migrate
from optimizer.decisions.query import open_log, parse_time, read_log, read_records
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
        db: Annotated[
            Path, typer.Argument(help="Decision log (SQLite file), or `verify` then the file.")
        ],
        target: Annotated[
            Path | None, typer.Argument(help="With `verify`: the decision log to check.")
        ] = None,
        since: Annotated[
            str | None, typer.Option(help="From this time (ISO; naive = UTC).")
        ] = None,
        until: Annotated[
            str | None, typer.Option(help="Before this time (ISO; naive = UTC).")
        ] = None,
        tag: Annotated[str | None, typer.Option(help="Show this tag's values per cycle.")] = None,
        outcome: Annotated[str | None, typer.Option(help="Only cycles with this outcome.")] = None,
        fmt: Annotated[Format, typer.Option("--format", help="Output format.")] = Format.TABLE,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to FILE (csv/json/parquet).")
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Overwrite an existing -o FILE.")
        ] = False,
        last: Annotated[int | None, typer.Option("--last", min=1, help="Only the last N.")] = None,
        migrate_to: Annotated[
            Path | None,
            typer.Option(help="Convert a log of an earlier plantloop into this new file."),
        ] = None,
    ) -> None:
        """Show the cycles in a decision log, filtered, as a table or a full export.

        Exports (csv, json, parquet) carry every field of each record with exact values;
        `plantloop log verify DB` checks the record chain and names the first broken record.
        """
        if target is not None:
            if str(db) != "verify":
                raise fail(f"unexpected argument {target} (did you mean `log verify {target}`?)")
            _verify(target)
            return
        if str(db) == "verify" and not db.exists():
            raise fail("log verify needs the decision log: plantloop log verify DB")
        if migrate_to is not None:
            n = migrate(db, migrate_to)
            console.print(f"migrated {n} records from {db} to {migrate_to} (chained from now)")
            return
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            raise fail(
                f"--outcome {outcome}: unknown outcome (one of "
                f"{', '.join(o.value for o in Outcome)})"
            )
        if output is not None and output.exists() and not force:
            raise fail(f"{output}: exists; pass --force to overwrite it")
        if fmt is Format.TABLE and output is not None:
            raise fail("--output needs --format csv, json or parquet")
        if fmt is Format.PARQUET and output is None:
            raise fail("--format parquet needs --output FILE")
        filters: dict[str, Any] = {
            "since": parse_time(since, "--since") if since else None,
            "until": parse_time(until, "--until") if until else None,
            "outcome": outcome,
            "limit": last,
        }
        if fmt is Format.TABLE:
            _table(read_log(db, tag=tag, **filters), tag)
            return
        if tag is not None:  # one tag's columns per cycle, exact
            frame = read_log(db, tag=tag, **filters)
            _export(frame, None, fmt, output)
        else:
            records = read_records(db, **filters)
            _export(export_frame(records), records, fmt, output)


def _verify(path: Path) -> None:
    db = open_log(path)
    try:
        v = verify(db)
    finally:
        db.close()
    if not v.ok:
        raise fail(f"{path}: {v.problem} ({v.records} records before it verified)", EXIT_FAILED)
    console.print(f"{path}: {v.records} records verified; head {v.head}", soft_wrap=True)


def _export(
    df: pd.DataFrame, records: list[dict[str, Any]] | None, fmt: Format, output: Path | None
) -> None:
    n = len(df)
    try:
        if fmt is Format.CSV:
            text = df.to_csv(index=False)
        elif fmt is Format.JSON:  # the records as stored: nested, every field
            data = records if records is not None else df.to_dict(orient="records")
            text = json.dumps(data, indent=2, default=str) + "\n"
        else:
            assert output is not None
            try:
                df.to_parquet(output, index=False)
            except ImportError:
                raise fail(
                    "parquet export needs pyarrow: pip install 'plantloop[parquet]'"
                ) from None
            print_plain(f"wrote {n} cycles to {output}")
            return
        if output is None:
            print(text, end="" if text.endswith("\n") else "\n")
        else:
            output.write_text(text)
            print_plain(f"wrote {n} cycles to {output}")
    except OSError as e:
        raise fail(f"{output}: cannot write ({e.strerror})") from None


def _table(df: pd.DataFrame, tag: str | None) -> None:
    runs = df["run_id"].nunique() if len(df) else 0
    title = (
        f"{len(df)} cycles" + (f" — {tag}" if tag else "") + (f" ({runs} runs)" if runs > 1 else "")
    )
    t = Table(title=title, caption="times in UTC; values rounded (exports are exact)")
    cols = ["cycle", "started", "outcome", "objective", "gap", "solve_time_s"]
    extra = [
        c
        for c in ("current", "proposed", "sent", "written", "read_back", "value", "quality")
        if c in df.columns
    ]
    for c in [*cols, *extra, "reasons"]:
        t.add_column("started (UTC)" if c == "started" else c, overflow="fold")
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
