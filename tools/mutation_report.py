"""The mutation report: every surviving mutant of the safety core with its reason.

    python tools/mutation_report.py run AREA        # mutmut on one area, then collect
    python tools/mutation_report.py render [--check]  # docs/mutation-survivors.md

The areas (``AREAS`` below) split the core so each runs only against the tests that matter
for it (a pure-core mutant never waits for the simulator). ``run`` copies the checkout
(tracked and new files) to ``build/mutation/AREA``, narrows ``[tool.mutmut]`` there to the
area's files and tests, runs ``mutmut run --max-children 1`` in the copy (the committed
config stays the whole-core default) and saves the counts and each survivor's change in
``docs/mutation/AREA.json``. ``render`` joins those with the hand-kept reasons in
``docs/mutation/reasons.txt`` (one line per mutant: ``NAME | CATEGORY | reason``) and writes
the table. A survivor without a reason is listed as UNEXPLAINED; ``--check`` then exits 1.
A reason whose mutant no longer survives is reported as stale (delete it; or its function
changed and mutmut renumbered the mutants: look at the new survivors).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "docs" / "mutation"
REASONS = DATA / "reasons.txt"
OUT = REPO / "docs" / "mutation-survivors.md"


@dataclass(frozen=True)
class Area:
    files: tuple[str, ...]  # only_mutate globs
    tests: tuple[str, ...]  # pytest_add_cli_args_test_selection
    names: tuple[str, ...] = ()  # only mutants matching these globs are run (default: all)
    not_run: str = ""  # what the name globs leave out, and why


NO_CHILD = ("-k", "not sigterm and not bad_arguments")  # tests that start the CLI as a child


SAFETY_TESTS = (
    "tests/safety/test_interlock_steps.py",
    "tests/safety/test_guards_and_latch.py",
    "tests/safety/test_mutation_kills.py",
    "tests/safety/test_mutation_records.py",
)
WRITE_TESTS = (
    "tests/plantio/test_value_boundaries.py",
    "tests/plantio/test_readings.py",
    "tests/plantio/test_write_values.py",
    "tests/loop/test_write_path.py",
    "tests/loop/test_short_answers.py",
    "tests/loop/test_write_deadline.py",
    "tests/loop/test_connection_epoch.py",
)
AREAS = {
    "pure-core": Area(
        ("optimizer/interlocks/*", "optimizer/validation.py", "optimizer/guards.py"),
        SAFETY_TESTS,
    ),
    "write-path": Area(
        (
            "optimizer/plantio/opcua_client.py",
            "optimizer/plantio/ua_values.py",
            "optimizer/cycle/write.py",
            "optimizer/cycle/read.py",
        ),
        WRITE_TESTS,
        names=(
            "optimizer.plantio.ua_values.*",
            "optimizer.cycle.write.*",
            "optimizer.cycle.read.*",
            "optimizer.plantio.opcua_client.x__finite__mutmut_*",
            "optimizer.plantio.opcua_client.x__count__mutmut_*",
            *(
                f"optimizer.plantio.opcua_client.xǁOpcUaPlantIOǁ{m}__mutmut_*"
                for m in ("write", "_request", "_fits", "_ready", "_batches_now")
            ),
        ),
        not_run="OpcUaPlantIO.read and its helpers (area read-path), and the connection "
        "handling (connect, close, _open, _resolve, _eu_ranges, reconnect, state listeners: "
        "tested by tests/plantio and tests/interop, not mutated)",
    ),
    "read-path": Area(
        ("optimizer/plantio/opcua_client.py",),
        WRITE_TESTS,
        names=tuple(
            f"optimizer.plantio.opcua_client.{f}__mutmut_*"
            for f in ("xǁOpcUaPlantIOǁread", "x__reading", "x__aware")
        ),
        not_run="everything else in opcua_client.py (area write-path; connection handling)",
    ),
    "cycle-update": Area(("optimizer/cycle/update.py",), ("tests/loop/test_update_inputs.py",)),
    "cycle": Area(
        (
            "optimizer/cycle/runner.py",
            "optimizer/cycle/solve.py",
            "optimizer/cycle/image.py",
            "optimizer/cycle/clock.py",
        ),
        (
            "tests/loop/test_record_before_write.py",
            "tests/loop/test_write_deadline.py",
            "tests/loop/test_update_inputs.py",
            "tests/loop/test_solve_worker.py",
            "tests/loop/test_record_fields.py",
            "tests/loop/test_runner_phases.py",
        ),
        not_run="the simulator cycle tests (test_cycle_steps, test_cycle_faults) are left out "
        "for time: these run the cycle on a FakePlantIO with real HiGHS and SQLite",
    ),
    "record": Area(
        ("optimizer/cycle/record.py",),
        ("tests/loop/test_record_fields.py",),
        not_run="Recorder.intent/record/maintain (the log writer thread, covered by "
        "tests/loop/test_record_before_write.py and tests/decision_log) and "
        "cycle/plan_record.py (the plan as a picture for people: no write depends on it); "
        "the mutants of lines no "
        "selected test runs are not generated (mutate_only_covered_lines)",
    ),
}
CATEGORIES = {
    "text": "wording of a message or log line only; the facts in it are asserted elsewhere",
    "equivalent": "the mutant behaves like the original in every reachable state",
    "defence": "a second check behind an earlier one that already refuses the same case",
    "covered": "killed by a test outside the area's selection (named in the reason)",
    "cosmetic": "changes nothing anyone reads or the DCS receives (a default no caller uses)",
    "open": "a test is missing and was not written this run: the reason says which, and why "
    "what is written stays safe meanwhile",
}
# mutmut's exit codes (mutmut.stats.status_by_exit_code)
STATUS = {0: "survived", 1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout"}
STATUS |= {152: "timeout", 255: "timeout", 5: "no tests", 33: "no tests", 34: "skipped"}
STATUS |= {37: "type check", None: "not checked"}  # type: ignore[dict-item]


def run(area: str) -> None:
    dest = REPO / "build" / "mutation" / area
    shutil.rmtree(dest, ignore_errors=True)
    _copy_checkout(area, dest)
    t0 = time.monotonic()
    _mutmut(dest, AREAS[area].names)
    collect(area, dest, (time.monotonic() - t0) / 60)


def _files(area: str, where: Path) -> list[str]:
    return sorted(
        str(m.relative_to(where / "mutants"))[: -len(".meta")]
        for g in AREAS[area].files
        for m in (where / "mutants").glob(g + ".meta")
    )


def _selected(area: str, name: str) -> bool:
    names = AREAS[area].names
    return not names or any(fnmatch(name, g) for g in names)


def _copy_checkout(area: str, dest: Path) -> None:
    a = AREAS[area]
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    for f in listed:
        if (REPO / f).is_file():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / f, dest / f)
    pyproject = dest / "pyproject.toml"
    text = pyproject.read_text()
    for key, values in (("only_mutate", a.files), ("pytest_add_cli_args_test_selection", a.tests)):
        new = f"{key} = {json.dumps(list(values))}"
        text, n = re.subn(rf"^{key} = \[.*?^\]", new, text, count=1, flags=re.M | re.S)
        assert n == 1, key
    pyproject.write_text(text)


def _mutmut(dest: Path, names: tuple[str, ...]) -> None:
    mutmut = Path(sys.executable).with_name("mutmut")
    subprocess.run([mutmut, "run", "--max-children", "1", *names], cwd=dest, check=True)


def collect(area: str, where: Path, minutes: float) -> None:
    from mutmut.mutation.diff_apply import get_diff_for_mutant  # dev extra

    os.chdir(where)
    files = _files(area, where)
    counts: Counter[str] = Counter()
    survivors: dict[str, list[str]] = {}
    for f in files:
        meta = json.loads((where / "mutants" / (f + ".meta")).read_text())
        for name, code in sorted(meta["exit_code_by_key"].items()):
            if not _selected(area, name):
                continue
            status = STATUS.get(code, "suspicious")
            counts[status] += 1
            if status == "survived":
                diff = get_diff_for_mutant(name, path=f)  # reads mutants/ from the cwd
                survivors[name] = _changed_lines(diff)
    data = {
        "area": area,
        "files": files,
        "tests": list(AREAS[area].tests),
        "command": f"python tools/mutation_report.py run {area}",
        "not_run": AREAS[area].not_run,
        "ran": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "minutes": round(minutes, 1),
        "counts": dict(sorted(counts.items())),
        "survivors": survivors,
    }
    DATA.mkdir(exist_ok=True)
    (DATA / f"{area}.json").write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    print(f"{area}: {sum(counts.values())} mutants, {dict(counts)}, {minutes:.1f} min")


def _changed_lines(diff: str) -> list[str]:
    out = []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")) or not line.startswith(("-", "+")):
            continue
        out.append(line[0] + " " + line[1:].strip())
    return out


def load_reasons() -> dict[str, tuple[str, str]]:
    reasons: dict[str, tuple[str, str]] = {}
    for n, line in enumerate(REASONS.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        name, category, why = (p.strip() for p in line.split("|", 2))
        if category not in CATEGORIES:
            sys.exit(f"{REASONS}:{n}: unknown category {category!r} (one of {sorted(CATEGORIES)})")
        if name in reasons:
            sys.exit(f"{REASONS}:{n}: {name} has a reason already")
        reasons[name] = (category, why)
    return reasons


def report() -> tuple[str, list[str], list[str]]:
    """The table's text, the survivors without a reason, the reasons without a survivor."""
    reasons = load_reasons()
    areas = [json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))]
    lines = [
        "# Surviving mutants of the safety core, one by one",
        "",
        "Generated by `python tools/mutation_report.py render` from mutmut's results",
        "(`docs/mutation/*.json`, saved by `run AREA`) and the hand-kept reasons in",
        "`docs/mutation/reasons.txt`. How to run it and what the numbers mean:",
        "[docs/safety.md, Development: mutation testing](safety.md#development-mutation-testing).",
        "",
        "| Area | Mutants | Killed | Timeout | Survived | Explained | Unexplained | Not run |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    unexplained: list[str] = []
    seen: set[str] = set()
    for a in areas:
        c, names = a["counts"], a["survivors"]
        ok = sum(1 for n in names if n in reasons)
        unexplained += [n for n in names if n not in reasons]
        seen.update(names)
        lines.append(
            f"| [{a['area']}](#{a['area']}) | {sum(c.values())} | {c.get('killed', 0)} "
            f"| {c.get('timeout', 0)} | {c.get('survived', 0)} | {ok} | {len(names) - ok} "
            f"| {c.get('not checked', 0)} |"
        )
    lines += ["", "Reason categories:", ""]
    lines += [f"- **{k}**: {v}" for k, v in CATEGORIES.items()]
    for a in areas:
        lines += ["", f"## {a['area']}", ""]
        lines += [f"Files: {', '.join(f'`{f}`' for f in a['files'])}.  "]
        lines += [f"Command: `{a['command']}` ({a['ran']}, {a['minutes']} min).  "]
        lines += [f"Tests: {', '.join(f'`{t}`' for t in a['tests'])}.  ", ""]
        if a.get("not_run"):
            lines[-1:] = [f"Not run: {a['not_run']}.", ""]
        if not a["survivors"]:
            lines += ["No survivor."]
            continue
        lines += ["| Mutant | Change | Category | Reason |", "| --- | --- | --- | --- |"]
        for name, change in a["survivors"].items():
            category, why = reasons.get(name, ("**UNEXPLAINED**", ""))
            lines.append(
                f"| `{name}` | {'<br>'.join(_code(x) for x in change)} | {category} | {why} |"
            )
    return "\n".join(lines) + "\n", unexplained, sorted(set(reasons) - seen)


def render(check: bool) -> int:
    text, unexplained, stale = report()
    OUT.write_text(text)
    for name in stale:
        print(f"stale reason (not a survivor): {name}", file=sys.stderr)
    print(f"{OUT.relative_to(REPO)}: {len(unexplained)} unexplained survivor(s)")
    return 1 if check and (unexplained or stale) else 0


def _code(line: str) -> str:
    return "`" + line.replace("|", "\\|").replace("`", "'")[:150] + "`"


def main() -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("run", help="mutmut on one area (in build/mutation/AREA), then collect")
    c.add_argument("area", choices=sorted(AREAS))
    c = sub.add_parser("collect", help="save an area's results from an earlier run")
    c.add_argument("area", choices=sorted(AREAS))
    c.add_argument("--minutes", type=float, default=0.0, help="how long that run took")
    r = sub.add_parser("render", help="write docs/mutation-survivors.md")
    r.add_argument("--check", action="store_true", help="exit 1 on an unexplained survivor")
    args = p.parse_args()
    if args.cmd == "run":
        run(args.area)
        return 0
    if args.cmd == "collect":
        collect(args.area, REPO / "build" / "mutation" / args.area, args.minutes)
        return 0
    return render(args.check)


if __name__ == "__main__":
    sys.exit(main())
