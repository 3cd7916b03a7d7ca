"""``plantloop solve`` reads its state file as ``run`` reads the plant: the same validation,
every problem at once, and the interlocks' verdict next to the raw plan (issue 11)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from optimizer.config.loader import load_config
from optimizer.plantio.types import Quality, Snapshot, TagReading
from optimizer.validation import InputValidator, IssueKind
from tests.cli.conftest import REPO, Cli

CONFIG = REPO / "config" / "first-plant.yaml"
STATE = json.loads((REPO / "config" / "first-plant-state.json").read_text())


def state_file(tmp_path: Path, **change: object) -> Path:
    data = {**STATE, **change}
    p = tmp_path / "state.json"
    p.write_text(json.dumps(data, indent=1))
    return p


def test_every_state_problem_is_reported_at_once(tmp_path: Path, cli: Cli) -> None:
    demo = json.loads((REPO / "config" / "demo-state.json").read_text())
    demo["battery_soc"] = 1.7  # validity limits [0, 1]
    demo["steam_demand_fc"] = [-3.0, *demo["steam_demand_fc"][1:]]  # a negative demand
    del demo["boiler1_load"]
    demo["boiler_9_load"] = 3
    p = tmp_path / "state.json"
    p.write_text(json.dumps(demo, indent=1))
    r = cli("solve", "config/demo.yaml", "--state", str(p))
    assert r.code == 2, r
    lines = r.err.splitlines()
    assert any(ln.endswith("battery_soc: 1.7 outside validity limits [0, 1]") for ln in lines)
    assert any(ln.endswith("steam_demand_fc: element 0 = -3 outside [0, 60]") for ln in lines), (
        lines
    )
    assert any(ln.endswith("boiler1_load: missing (the model needs it)") for ln in lines)
    assert any("boiler_9_load: not a tag of this config" in ln for ln in lines)
    assert all(ln.startswith(f"{p}:") for ln in lines), lines
    assert r.out == ""


def test_a_forecast_of_the_wrong_length_is_refused(tmp_path: Path, cli: Cli) -> None:
    r = cli("solve", str(CONFIG), "--state", str(state_file(tmp_path, steam_fc=[15] * 6)))
    assert r.code == 2
    assert r.err.strip().endswith("steam_fc: forecast has 6 values; the horizon has 12 steps")


def test_an_online_forecast_of_the_wrong_length_is_bad_data() -> None:
    cfg = load_config(CONFIG).config
    now = datetime(2026, 11, 25, 6, tzinfo=UTC)
    reading = TagReading(tag="steam_fc", value=(15.0,) * 6, quality=Quality.GOOD, source_ts=now)
    v = InputValidator(cfg).validate(Snapshot(read_at=now, readings={"steam_fc": reading}), now)
    issue = v.issue_of("steam_fc")
    assert issue is not None and issue.kind is IssueKind.WRONG_SHAPE
    assert "steam_fc" not in v.values


def test_a_naive_start_is_refused_and_names_the_plant_zone(tmp_path: Path, cli: Cli) -> None:
    r = cli("solve", str(CONFIG), "--state", str(state_file(tmp_path, _start="2026-11-25T06:00")))
    assert r.code == 2
    assert r.err.strip() == (
        f"{tmp_path / 'state.json'}:2: _start: '2026-11-25T06:00' has no UTC offset: write it "
        "with one, e.g. '2026-11-25T06:00+01:00' or '2026-11-25T06:00Z' (the plant's time "
        "zone is Europe/Berlin)"
    )


def test_solve_shows_what_the_interlocks_would_write(tmp_path: Path, cli: Cli) -> None:
    r = cli("solve", str(CONFIG), "--state", str(state_file(tmp_path)), "--json")
    assert r.code == 0, r.err
    out = json.loads(r.out)
    assert out["interlocks"]["outcome"] == "wrote"
    assert out["interlocks"]["writes"]["b1_sp"] == pytest.approx(out["setpoints"]["b1_sp"])
    # the operator's permissive is off: the same plan, nothing written, and why
    off = state_file(tmp_path, apc_enable=False)
    out = json.loads(cli("solve", str(CONFIG), "--state", str(off), "--json").out)
    assert out["interlocks"]["outcome"] == "held_no_permissive"
    assert not set(out["interlocks"]["writes"]) & {"b1_sp", "b2_sp"}
    r = cli("solve", str(CONFIG), "--state", str(off))
    row = next(ln for ln in r.out.splitlines() if ln.startswith("│ b1_sp"))
    cells = [c.strip() for c in row.split("│")[1:-1]]
    assert cells[2] == "-" and cells[4] == "not written: held_no_permissive", cells
    assert "interlocks: held_no_permissive — permissive apc_enable is off" in r.out


@pytest.mark.parametrize("value", ['"high"', "null", '[1, "x"]'])
def test_a_value_that_is_no_number_names_its_line(tmp_path: Path, cli: Cli, value: str) -> None:
    p = tmp_path / "state.json"
    p.write_text(
        (REPO / "config" / "first-plant-state.json")
        .read_text()
        .replace('"b1_running": true', f'"b1_running": {value}')
    )
    r = cli("solve", str(CONFIG), "--state", str(p))
    assert r.code == 2 and r.err.startswith(f"{p}:4: b1_running: "), r.err
