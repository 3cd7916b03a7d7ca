"""Config errors a process engineer can act on: every rule reports FILE:LINE: path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from optimizer.cli.schema import config_json_schema
from optimizer.config.loader import load_config, load_config_text
from optimizer.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "config" / "demo.yaml").read_text()
EXAMPLES = sorted((REPO / "config").glob("*.yaml"))


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_config_text(text, "plant.yaml")
    return [str(p) for p in e.value.problems]


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i + 1 for i, ln in enumerate(text.splitlines()) if needle in ln]
    return lines[nth]


def broken(old: str, new: str) -> str:
    assert old in DEMO, old
    return DEMO.replace(old, new, 1)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_configs_load(path: Path) -> None:
    loaded = load_config(path)
    assert loaded.config.units and len(loaded.config_hash) == 64


@pytest.mark.parametrize(
    ("old", "new", "needle", "expect"),
    [
        # unknown key, with a suggestion from the schema's own field names
        (
            "    startup_cost: 120\n",
            "    startup_cost: 120\n    max_lod: 3\n",
            "max_lod",
            "units.boiler1.max_lod: unknown key 'max_lod' (did you mean 'max_load'?)",
        ),
        # wrong type
        (
            "  horizon_steps: 24",
            "  horizon_steps: many",
            "horizon_steps: many",
            "cycle.horizon_steps: Input should be a valid integer",
        ),
        # min > max on a setpoint
        (
            "setpoint: {min: 0, max: 16,",
            "setpoint: {min: 20, max: 16,",
            "min: 20",
            "tags.boiler1_sp.setpoint.min: min must be <= max (got min 20.0 > max 16.0)",
        ),
        # min_load > max_load on a unit
        (
            "    min_load: 4\n",
            "    min_load: 40\n",
            "min_load: 40",
            "units.boiler1.min_load: min_load must be <= max_load",
        ),
        # curve not increasing in load
        (
            "{load: 10, input: 7.4}",
            "{load: 3, input: 7.4}",
            "{load: 3, input: 7.4}",
            "units.boiler1.curve: curve points must be strictly increasing in load",
        ),
        # solver limit must be < period
        (
            "  solver_time_limit_s: 4",
            "  solver_time_limit_s: 40",
            "solver_time_limit_s: 40",
            "cycle.solver_time_limit_s: solver_time_limit_s must be < period_s",
        ),
        # watchdog timeout 0 ("never shed") refused
        (
            "timeout_s: 30}",
            "timeout_s: 0}",
            "timeout_s: 0}",
            "interlocks.watchdog.timeout_s: Input should be greater than 0",
        ),
        # setpoint bounds inside validity limits
        (
            "    valid_max: 20\n    setpoint: {min: 0, max: 16,",
            "    valid_max: 12\n    setpoint: {min: 0, max: 16,",
            "max: 16, max_up: 4",
            "tags.boiler1_sp.setpoint.max: setpoint.max 16.0 lies above valid_max 12.0",
        ),
        # dangling tag reference
        (
            "setpoint_tag: chiller2_sp",
            "setpoint_tag: chiller3_sp",
            "setpoint_tag: chiller3_sp",
            "units.chiller2.setpoint_tag: tag 'chiller3_sp' is not defined under tags: "
            "(did you mean 'chiller2_sp'?)",
        ),
        # reference to a tag of the wrong role
        (
            "    availability_tag: boiler1_avail",
            "    availability_tag: boiler1_sp",
            "availability_tag: boiler1_sp",
            "units.boiler1.availability_tag: tag 'boiler1_sp' must have role measurement "
            "(it is setpoint)",
        ),
        # unknown carrier
        (
            "    output: steam\n    min_load: 4",
            "    output: stem\n    min_load: 4",
            "output: stem",
            "units.boiler1.output: carrier 'stem' is not defined under carriers:",
        ),
        # a demand nobody supplies
        (
            "  cooling:     {unit: MW}",
            "  cooling:     {unit: MW}\n  air: {unit: Nm3/h}",
            None,
            None,
        ),
        # interlock condition that does not parse
        (
            'when: "steam_header_p < 8.0"',
            'when: "steam_header_p << 8.0"',
            "<< 8.0",
            "interlocks.rules[0].when: condition does not parse",
        ),
        # condition names a tag that does not exist
        (
            'when: "product_temp > 95"',
            'when: "product_tmp > 95"',
            "product_tmp",
            "interlocks.rules[1].when: condition names tag 'product_tmp', which is not defined",
        ),
        # the command sequence tag is a counter the engine writes, not the watchdog itself
        (
            "  sequence_tag: plantloop_sequence",
            "  sequence_tag: plantloop_watchdog",
            "sequence_tag: plantloop_watchdog",
            "interlocks.sequence_tag: 'plantloop_watchdog' is already the watchdog",
        ),
        (
            "  sequence_tag: plantloop_sequence",
            "  sequence_tag: apc_enable",
            "sequence_tag: apc_enable",
            "interlocks.sequence_tag: tag 'apc_enable' must have role watchdog",
        ),
        # permissive must be a permissive tag
        (
            "  permissive_tag: apc_enable",
            "  permissive_tag: boiler1_avail",
            "permissive_tag: boiler1_avail",
            "interlocks.permissive_tag: tag 'boiler1_avail' must have role permissive",
        ),
        # security: policy None must be consistent; a secure policy needs certificates
        (
            "    policy: None        #",
            "    policy: Basic256Sha256  #",
            "policy: Basic256Sha256",
            "connection.security.policy: policy Basic256Sha256 needs mode Sign or SignAndEncrypt",
        ),
        # unknown unit type lists the allowed ones
        (
            "    type: chp\n",
            "    type: turbine\n",
            "type: turbine",
            "units.chp.type: unknown type 'turbine'",
        ),
        # gains name an MV that does not exist
        (
            "{hx_steam_sp: 2.5,",
            "{hx_stem_sp: 2.5,",
            "hx_stem_sp",
            "compensation.steam_and_product.gains.product_temperature.hx_stem_sp: 'hx_stem_sp' is "
            "neither an MV nor a disturbance",
        ),
    ],
)
def test_each_rule_names_file_line_and_path(
    old: str, new: str, needle: str | None, expect: str | None
) -> None:
    text = broken(old, new)
    if needle is None:  # the unsupplied-demand case: add the demand too
        text = text.replace(
            "  site_cooling:", "  site_air: {carrier: air, forecast: {value: 3}}\n  site_cooling:"
        )
        needle, expect = "site_air", "demands.site_air.carrier: no unit supplies carrier 'air'"
    found = problems(text)
    line = line_of(text, needle)
    assert any(p.startswith(f"plant.yaml:{line}: {expect}") for p in found), (line, found)


def test_three_mistakes_three_lines() -> None:
    text = broken("    startup_cost: 120\n", "    startup_cost: 120\n    max_lod: 3\n")
    text = text.replace("setpoint: {min: 0, max: 16,", "setpoint: {min: 20, max: 16,", 1)
    text = text.replace("setpoint_tag: chiller2_sp", "setpoint_tag: chiller3_sp", 1)
    found = problems(text)
    assert len(found) == 3, found
    assert [p.split(":")[1] for p in found] == [
        str(line_of(text, "min: 20")),
        str(line_of(text, "max_lod")),
        str(line_of(text, "chiller3_sp")),
    ]


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("plant: [1, 2\n", "plant.yaml:2: YAML:"),
        ("a: 1\na: 2\n", "plant.yaml:2: YAML: "),
        ("", "plant.yaml:1: the file is empty"),
        ("- 1\n- 2\n", "plant.yaml:1: the top level must be a mapping"),
    ],
)
def test_malformed_yaml(text: str, expect: str) -> None:
    found = problems(text)
    assert found[0].startswith(expect), found


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "optimizer", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_cli_check_exit_codes(tmp_path: Path) -> None:
    ok = run_cli("check", "config/demo.yaml")
    assert ok.returncode == 0 and "valid" in ok.stdout and "policy None" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(broken("setpoint_tag: chiller2_sp", "setpoint_tag: chiller3_sp"))
    r = run_cli("check", str(bad))
    assert r.returncode == 2 and f"{bad}:" in r.stderr and "Traceback" not in r.stderr
    missing = run_cli("check", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "file not found" in missing.stderr
    usage = run_cli("check")
    assert usage.returncode == 2


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_schema_round_trips_the_examples(path: Path, tmp_path: Path) -> None:
    out = tmp_path / "schema.json"
    assert run_cli("schema", "-o", str(out)).returncode == 0
    schema = json.loads(out.read_text())
    assert schema == config_json_schema()
    jsonschema.validate(YAML(typ="safe").load(path.read_text()), schema)


def test_config_reference_is_current() -> None:
    from optimizer.config.reference import TARGET, document

    assert TARGET == REPO / "docs" / "config-reference.md"
    assert TARGET.read_text() == document(), "stale docs: python -m optimizer.config.reference"
