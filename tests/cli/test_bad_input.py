"""The bad-input table (issue 11): one row per kind of bad input a newcomer produced, the
exit code and the message it must give. Every command keeps one contract: bad input is
``FILE:LINE: path: message`` or ``plantloop: error: …`` lines and exit 2, an operational
failure one line and exit 1, a warning leaves exit 0; never a traceback, never typer's
framed box, never "internal error" for input.

``python -m tests.cli.test_bad_input`` prints the table (exit code and message per case).
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.cli.conftest import REPO, Cli, Ran

FIRST = (REPO / "config" / "first-plant.yaml").read_text()
DEMO = (REPO / "config" / "demo.yaml").read_text()
FIRST_STATE = json.loads((REPO / "config" / "first-plant-state.json").read_text())
DEMO_STATE = json.loads((REPO / "config" / "demo-state.json").read_text())
RULE = "  watchdog: {tag: heartbeat, timeout_s: 120}\n"


def edited(base: str, *pairs: tuple[str, str]) -> str:
    for old, new in pairs:
        assert old in base, old
        base = base.replace(old, new, 1)
    return base


def rule(when: str) -> str:
    return edited(FIRST, (RULE, f"{RULE}  rules: [{{name: r, when: '{when}', action: hold}}]\n"))


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]  # {cfg} and {state} are the files written below
    code: int
    expect: str  # a fragment of the output's last line (stderr, else stdout)
    config: str = FIRST
    state: dict[str, object] | str = field(default_factory=lambda: dict(FIRST_STATE))


def check(name: str, config: str, code: int, expect: str) -> Case:
    return Case(name, ("check", "{cfg}"), code, expect, config=config)


def solve(name: str, code: int, expect: str, **kw: object) -> Case:
    return Case(name, ("solve", "{cfg}", "--state", "{state}"), code, expect, **kw)  # type: ignore[arg-type]


BIG_TAGS = "".join(
    f'  m{i}: {{node: "s=M.{i}", role: measurement, unit: MW, valid_min: 0, valid_max: 10}}\n'
    for i in range(60_000)
)

CASES: list[Case] = [
    # --- inputs that used to give a wrong plan reported as ok ---------------------------
    check(
        "NaN compensation gain",
        edited(DEMO, ("header_p_sp: 1.0,", "header_p_sp: .nan,")),
        2,
        "gains.header_pressure.header_p_sp: Input should be a finite number (got nan)",
    ),
    check(
        "infinite fuel price",
        edited(FIRST, ("{value: 38}", "{value: .inf}")),
        2,
        "tariffs.fuels.gas.price.value: Input should be a finite number (got inf)",
    ),
    check(
        "two units share a setpoint tag",
        edited(FIRST, ("setpoint_tag: b2_sp", "setpoint_tag: b1_sp")),
        2,
        "units.boiler2.setpoint_tag: setpoint tag 'b1_sp' is already written by units.boiler1",
    ),
    check(
        "a unit and an MV share a setpoint tag",
        edited(
            DEMO,
            (
                "      header_p_sp:\n        tag: header_p_sp",
                "      header_p_sp:\n        tag: boiler1_sp",
            ),
        ),
        2,
        "tag 'boiler1_sp' is already written by units.boiler1",
    ),
    check(
        "two setpoint tags on one node",
        edited(FIRST, ('"s=Boiler2.LoadSP"', '"s=Boiler1.LoadSP"')),
        2,
        "a setpoint node must belong to one tag",
    ),
    check(
        "two measurement tags on one node",
        edited(FIRST, ('"s=Boiler2.Running"', '"s=Boiler1.Running"')),
        0,
        "warning: node 's=Boiler1.Running' is also read as tag 'b1_running'",
    ),
    solve(
        "forecast of 6 values for 12 steps",
        2,
        "steam_fc: forecast has 6 values; the horizon has 12 steps",
        state={**FIRST_STATE, "steam_fc": [15] * 6},
    ),
    solve(
        "state of charge 1.7",
        2,
        "battery_soc: 1.7 outside validity limits [0, 1]",
        config=DEMO,
        state={**DEMO_STATE, "battery_soc": 1.7},
    ),
    solve(
        "negative demand forecast",
        2,
        "steam_demand_fc: element 0 = -3 outside [0, 60]",
        config=DEMO,
        state={**DEMO_STATE, "steam_demand_fc": [-3, *DEMO_STATE["steam_demand_fc"][1:]]},
    ),  # type: ignore[index]
    solve(
        "several state problems at once",
        2,
        "boiler1_load: missing (the model needs it)",
        config=DEMO,
        state={k: v for k, v in {**DEMO_STATE, "battery_soc": 1.7}.items() if k != "boiler1_load"},
    ),
    solve(
        "naive _start",
        2,
        "'2026-11-25T06:00' has no UTC offset",
        state={**FIRST_STATE, "_start": "2026-11-25T06:00"},
    ),
    # --- what check catches ---------------------------------------------------------------
    check(
        "cron 61 * * * *",
        edited(FIRST, ("  period_s: 30\n", "  cron: '61 * * * *'\n")),
        2,
        "cycle.cron: cron minute field '61': 61 is outside 0-59",
    ),
    check(
        "cron and period_s together",
        edited(FIRST, ("  period_s: 30\n", "  cron: '*/5 * * * *'\n  period_s: 30\n")),
        2,
        "cycle.period_s: period_s and cron are both given",
    ),
    check(
        "unknown time zone",
        edited(FIRST, ("Europe/Berlin", "Europe/Berln")),
        2,
        "plant.timezone: unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)",
    ),
    solve(
        "unknown time zone in solve",
        2,
        "unknown time zone 'Mars/Olympus'",
        config=edited(FIRST, ("Europe/Berlin", "Mars/Olympus")),
    ),
    check(
        "forecast tag in a condition",
        rule("steam_fc > 30"),
        2,
        "condition names forecast tag 'steam_fc'",
    ),
    check(
        "constant condition 1 < 2",
        rule("1 < 2"),
        0,
        "warning: condition names no tag: it is always true",
    ),
    check(
        "boiler at 300 % efficiency",
        edited(
            FIRST,
            ("steam: {unit: t/h}", "steam: {unit: MW}"),
            (
                "{load: 4, input: 3.2}, {load: 16, input: 11.9}",
                "{load: 4, input: 1.3}, {load: 16, input: 5.3}",
            ),
        ),
        0,
        "units.boiler1.curve: warning: 308% efficiency at load 4",
    ),
    check(
        "non-monotone curve",
        edited(
            FIRST,
            (
                "{load: 3, input: 2.6}, {load: 12, input: 9.6}",
                "{load: 3, input: 3.6}, {load: 12, input: 3.0}",
            ),
        ),
        0,
        "warning: input falls from 3.6 to 3 while the load rises",
    ),
    check(
        "period_s longer than the watchdog timeout",
        edited(FIRST, ("timeout_s: 120", "timeout_s: 20")),
        0,
        "warning: the watchdog times out after 20 s but a cycle runs every 30 s",
    ),
    check(
        "critical tag without max_age_s",
        edited(
            FIRST,
            (
                "role: measurement}\n  b2_running",
                "role: measurement, critical: true}\n  b2_running",
            ),
        ),
        0,
        "tags.b1_running.critical: warning: critical tag without max_age_s",
    ),
    check(
        "no pydantic internal names (terminal_soc 1.5)",
        edited(DEMO, ("terminal_soc: initial", "terminal_soc: 1.5")),
        2,
        "units.battery.terminal_soc: Input should be less than or equal to 1, or 'initial'",
    ),
    check(
        "cascade error after its causes",
        edited(
            FIRST,
            ("    min_load: 4\n", "    min_load: 4\n    foo: 1\n"),
            ("    min_load: 3\n", "    min_load: 3\n    bar: 1\n"),
        ),
        2,
        "no unit supplies carrier 'steam'; units boiler1, boiler2 have errors reported above",
    ),
    check(
        "600 k-line config",
        edited(FIRST, ("tags:\n", "tags:\n" + BIG_TAGS)),
        2,
        "plantloop reads at most 4 MB (about 20,000 tags)",
    ),
    check(
        "200 nested parentheses",
        rule("(" * 200 + "b1_sp > 1" + ")" * 200),
        2,
        "nested more than 32 levels deep",
    ),
    check(
        "a 2 kB condition",
        rule("b1_sp > 1" + " or b1_sp > 1" * 200),
        2,
        "characters long; at most 2000 are accepted",
    ),
    check(
        "unknown key",
        edited(FIRST, ("    min_load: 4\n", "    min_lod: 4\n")),
        2,
        "units.boiler1.min_lod: unknown key 'min_lod' (did you mean 'min_load'?)",
    ),
    check("YAML syntax", FIRST + "units: [\n", 2, "YAML:"),
    check(
        "secure policy without certificates",
        edited(FIRST, ("{policy: None, mode: None}", "{policy: Basic256Sha256}")),
        2,
        "a secure policy needs client_certificate and client_private_key",
    ),
    Case("config file not found", ("check", "nosuch.yaml"), 2, "nosuch.yaml: file not found"),
    # --- state files ------------------------------------------------------------------------
    Case(
        "state file not found",
        ("solve", "{cfg}", "--state", "nosuch.json"),
        2,
        "nosuch.json: state file not found",
    ),
    solve("state file not JSON", 2, "not valid JSON", state='{"b1_sp": 1,}'),
    solve(
        "state names an unknown tag",
        2,
        "b1sp: not a tag of this config (did you mean",
        state={**FIRST_STATE, "b1sp": 3},
    ),
    solve(
        "state value not a number",
        2,
        "b1_running: expected a number, true/false or a list",
        state={**FIRST_STATE, "b1_running": "yes"},
    ),
    # --- the command line -------------------------------------------------------------------
    Case(
        "sim --port 99999",
        ("sim", "{cfg}", "--port", "99999"),
        2,
        "sim: Invalid value for '--port': Input should be less than or equal to 65535",
    ),
    Case(
        "sim --speed -5",
        ("sim", "{cfg}", "--speed", "-5"),
        2,
        "--speed must be > 0 simulated seconds per second (got -5)",
    ),
    Case(
        "sim --fault on an unknown tag",
        ("sim", "{cfg}", "--fault", "nosuch=bad"),
        2,
        "--fault: unknown tag 'nosuch'",
    ),
    Case("unknown command", ("nosuch",), 2, "No such command 'nosuch'"),
    Case("missing argument", ("check",), 2, "check: Missing argument 'config'"),
    Case(
        "bad option value",
        ("run", "{cfg}", "--cycles", "0"),
        2,
        "run: Invalid value for '--cycles'",
    ),
    Case("unknown option", ("check", "{cfg}", "--verbose"), 2, "check: No such option: --verbose"),
    Case("log --since garbage", ("log", "{log}", "--since", "yesterday"), 2, "--since"),
    Case(
        "log --outcome unknown",
        ("log", "{log}", "--outcome", "great"),
        2,
        "--outcome great: unknown outcome",
    ),
    Case(
        "demo --config missing",
        ("demo", "--config", "nosuch.yaml"),
        2,
        "nosuch.yaml: demo config not found",
    ),
    Case("--debug on check", ("check", "{cfg}", "--debug"), 0, "valid"),
    Case(
        "sim on a port another program holds",
        ("sim", "{cfg}", "--port", "{busy_port}"),
        1,
        "cannot serve on 127.0.0.1:",
    ),
]


HELD: list[socket.socket] = []


@pytest.fixture(autouse=True)
def _close_held() -> Iterator[None]:
    yield
    while HELD:
        HELD.pop().close()


def materialize(case: Case, tmp: Path) -> list[str]:
    cfg = tmp / "plant.yaml"
    cfg.write_text(case.config)
    state = tmp / "state.json"
    state.write_text(
        case.state if isinstance(case.state, str) else json.dumps(case.state, indent=1)
    )
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    HELD.append(busy)  # closed after the test
    names = {
        "cfg": cfg,
        "state": state,
        "log": tmp / "decisions.sqlite",
        "busy_port": busy.getsockname()[1],
    }
    return [a.format(**{k: str(v) for k, v in names.items()}) for a in case.argv]


def outcome(r: Ran, expect: str = "") -> str:
    """The line that says it: the one with the expected fragment, else the last."""
    lines = (r.err.strip() or r.out.strip()).splitlines() + r.out.strip().splitlines()
    return next((ln for ln in lines if expect and expect in ln), lines[-1] if lines else "")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bad_input(case: Case, cli: Cli, tmp_path: Path) -> None:
    argv = materialize(case, tmp_path)
    r = cli(*argv, cwd=tmp_path)
    everything = r.out + r.err
    assert r.code == case.code, everything
    assert case.expect in outcome(r, case.expect), everything
    for never in ("Traceback", "╭", "internal error"):
        assert never not in everything
    if case.code == 2:  # one line per problem, each naming its place or saying plantloop
        for line in r.err.strip().splitlines():
            assert re.match(r"^(plantloop: error: |\S+:\d+: |\S+: )", line), line
    if case.code == 1:  # an operational failure: one line at the end
        assert r.err.strip().splitlines()[-1].startswith("plantloop: error: ")


def test_there_are_at_least_42_cases() -> None:
    assert len(CASES) >= 42 and len({c.name for c in CASES}) == len(CASES)


def table(run: Callable[..., Ran], tmp: Path) -> str:
    rows = ["| # | case | exit | message (last line) |", "|---:|---|---:|---|"]
    for i, case in enumerate(CASES, 1):
        d = tmp / f"case{i}"
        d.mkdir()
        r = run(*materialize(case, d), cwd=d)
        msg = outcome(r, case.expect).replace(str(d) + "/", "").replace("|", "\\|")
        msg = msg if len(msg) < 180 else msg[:177] + "…"
        rows.append(f"| {i} | {case.name} | {r.code} | `{msg}` |")
    return "\n".join(rows)
