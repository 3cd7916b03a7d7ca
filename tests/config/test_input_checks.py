"""Inputs that used to give a wrong plan reported as ok, or a message nobody could act on:
each is now an error (or a warning) naming its line (issue 11)."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from optimizer import conditions
from optimizer.conditions import ConditionError, parse_condition
from optimizer.config.cron import cron_problem
from optimizer.config.loader import config_warnings, load_config, load_config_text
from optimizer.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
FIRST = (REPO / "config" / "first-plant.yaml").read_text()
DEMO = (REPO / "config" / "demo.yaml").read_text()


def edit(base: str, old: str, new: str) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as e:
        load_config_text(text, "plant.yaml")
    return [str(p) for p in e.value.problems]


def warnings(text: str, tmp_path: Path) -> list[str]:
    f = tmp_path / "plant.yaml"
    f.write_text(text)
    return [str(w) for w in config_warnings(load_config(f))]


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("min_load: 4", "min_load: .nan", "units.boiler1.min_load"),
        ("{load: 4, input: 3.2}", "{load: 4, input: .inf}", "units.boiler1.curve[0].input"),
        ("safe_value: 8", "safe_value: .nan", "tags.b1_sp.setpoint.safe_value"),
        ("price: {value: 38}", "price: {value: -.inf}", "tariffs.fuels.gas.price.value"),
        ("weight: 20}", "weight: .nan}", "objectives.terms[1].weight"),
    ],
)
def test_every_number_in_a_config_is_finite(old: str, new: str, where: str) -> None:
    found = problems(edit(FIRST, old, new))
    assert len(found) == 1 and f"{where}: Input should be a finite number" in found[0]


def test_a_nan_compensation_gain_is_an_error() -> None:
    text = edit(DEMO, "header_p_sp: 1.0, hx_steam_sp: -0.05", "header_p_sp: .nan, hx_steam_sp: 0")
    found = problems(text)
    assert any(
        "gains.header_pressure.header_p_sp: Input should be a finite number" in p for p in found
    )


def test_no_pydantic_internal_names_in_messages() -> None:
    found = problems(edit(DEMO, "terminal_soc: initial", "terminal_soc: 1.5"))
    assert found == [
        f"plant.yaml:{DEMO.splitlines().index('    terminal_soc: initial') + 1}: "
        "units.battery.terminal_soc: Input should be less than or equal to 1, or 'initial' "
        "(got 1.5)"
    ]


def test_two_units_cannot_share_a_setpoint_tag() -> None:
    found = problems(edit(FIRST, "setpoint_tag: b2_sp", "setpoint_tag: b1_sp"))
    assert found == [
        "plant.yaml:61: units.boiler2.setpoint_tag: setpoint tag 'b1_sp' is already written "
        "by units.boiler1"
    ]


def test_a_unit_and_an_mv_cannot_share_a_setpoint_tag() -> None:
    found = problems(
        edit(
            DEMO,
            "      header_p_sp:\n        tag: header_p_sp",
            "      header_p_sp:\n        tag: boiler1_sp",
        )
    )
    assert any("tag 'boiler1_sp' is already written by units.boiler1" in p for p in found)


def test_two_setpoint_tags_on_one_node_is_an_error() -> None:
    found = problems(edit(FIRST, '"s=Boiler2.LoadSP"', '"s=Boiler1.LoadSP"'))
    assert found == [
        "plant.yaml:32: tags.b2_sp.node: node 's=Boiler1.LoadSP' is also tag 'b1_sp'; a "
        "setpoint node must belong to one tag"
    ]


def test_two_measurement_tags_on_one_node_is_a_warning(tmp_path: Path) -> None:
    text = edit(FIRST, '"s=Boiler2.Running"', '"s=Boiler1.Running"')
    assert warnings(text, tmp_path) == [
        f"{tmp_path / 'plant.yaml'}:23: tags.b2_running.node: warning: node "
        "'s=Boiler1.Running' is also read as tag 'b1_running'"
    ]


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("61 * * * *", "cron minute field '61': 61 is outside 0-59"),
        ("0 24 * * *", "cron hour field '24': 24 is outside 0-23"),
        ("0 0 0 * *", "cron day of month field '0': 0 is outside 1-31"),
        ("0 0 * 13 *", "cron month field '13': 13 is outside 1-12"),
        ("0 0 * * 7", "cron day of week field '7': 7 is outside 0-6"),
        ("*/0 * * * *", "a step must be at least 1"),
        ("5-1 * * * *", "range '5-1' runs backwards"),
        ("0 0 L * *", "'l' is not a day of month"),
        ("0 7 * *", "cron needs 5 fields"),
    ],
)
def test_an_invalid_cron_is_an_error(cron: str, message: str) -> None:
    text = edit(FIRST, "  period_s: 30\n", f"  cron: '{cron}'\n")
    found = problems(text)
    assert len(found) == 1 and "cycle.cron: " in found[0] and message in found[0], found


@pytest.mark.parametrize(
    "cron",
    [
        "61 * * * *",
        "*/5 * * * *",
        "0 7 * * mon-fri",
        "0 0 1 jan *",
        "0 0 * * 7",
        "0 0 * * 0",
        "* * 32 * *",
        "*/0 * * * *",
        "5-1 * * * *",
        "1,2,3 * * * *",
        "0 24 * * *",
        "0 0 0 * *",
        "1-5/2 * * * *",
        "0 6-18/3 * * sat,sun",
        "x * * * *",
        "0 0 * dec-jan *",
        "*/15 8-17 * * 1-5",
    ],
)
def test_cron_check_agrees_with_the_scheduler(cron: str) -> None:
    try:
        CronTrigger.from_crontab(cron)
        scheduler_ok = True
    except ValueError:
        scheduler_ok = False
    assert (cron_problem(cron) is None) == scheduler_ok, cron


def test_cron_and_period_together_is_an_error() -> None:
    found = problems(edit(FIRST, "  period_s: 30\n", "  cron: '*/5 * * * *'\n  period_s: 30\n"))
    assert found == [
        "plant.yaml:12: cycle.period_s: period_s and cron are both given; keep one (the "
        "scheduler would use only one of them)"
    ]


def test_an_unknown_time_zone_is_an_error_with_a_suggestion() -> None:
    found = problems(edit(FIRST, "Europe/Berlin", "Europe/Berln"))
    assert found == [
        "plant.yaml:3: plant.timezone: unknown time zone 'Europe/Berln' (did you mean "
        "'Europe/Berlin'?); use an IANA name"
    ]


RULE = "  watchdog: {tag: heartbeat, timeout_s: 120}\n"


def with_rule(when: str) -> str:
    return edit(FIRST, RULE, f"{RULE}  rules: [{{name: r, when: '{when}', action: hold}}]\n")


def test_a_forecast_tag_in_a_condition_is_an_error() -> None:
    found = problems(with_rule("steam_fc > 30"))
    assert len(found) == 1 and "condition names forecast tag 'steam_fc'" in found[0]


def test_a_constant_condition_is_a_warning(tmp_path: Path) -> None:
    found = warnings(with_rule("1 < 2"), tmp_path)
    assert len(found) == 1
    assert (
        "interlocks.rules[0].when: warning: condition names no tag: it is always true" in found[0]
    )


@pytest.mark.parametrize("depth", [33, 200, 900])
def test_deeply_nested_conditions_are_a_config_error(depth: int) -> None:
    found = problems(with_rule("(" * depth + "b1_sp > 1" + ")" * depth))
    assert len(found) == 1
    assert "interlocks.rules[0].when: condition does not parse: nested more than 32" in found[0]
    with pytest.raises(ConditionError, match="nested more than 32"):
        parse_condition("not " * min(depth, 400) + "b1_sp")


def test_a_long_condition_is_a_config_error() -> None:
    found = problems(with_rule("b1_sp > 1" + " or b1_sp > 1" * 200))
    assert len(found) == 1 and "characters long; at most 2000" in found[0]


def test_the_condition_tokenizer_is_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(conditions, "MAX_LENGTH", 10**8)

    def seconds(n: int) -> float:
        text = "a < 1" + " or a < 1" * n
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            conditions._tokens(text)
            runs.append(time.perf_counter() - t0)
        return statistics.median(runs)

    small, large = seconds(5_000), seconds(40_000)
    assert large / small < 24, (small, large)  # 8x the text; quadratic would be ~64x


def test_curve_warnings(tmp_path: Path) -> None:
    # a boiler in MW out of MW of gas at 300 % efficiency, and a falling input
    text = edit(FIRST, "steam: {unit: t/h}", "steam: {unit: MW}")
    text = edit(
        text,
        "[{load: 4, input: 3.2}, {load: 16, input: 11.9}]",
        "[{load: 4, input: 1.2}, {load: 16, input: 5.3}]",
    )
    text = edit(
        text,
        "[{load: 3, input: 2.6}, {load: 12, input: 9.6}]",
        "[{load: 3, input: 3.6}, {load: 12, input: 3.0}]",
    )
    found = warnings(text, tmp_path)
    assert any("units.boiler1.curve: warning: 333% efficiency at load 4" in w for w in found), found
    assert any("units.boiler2.curve: warning: input falls from 3.6 to 3" in w for w in found), found


def test_a_cycle_longer_than_the_watchdog_timeout_is_a_warning(tmp_path: Path) -> None:
    found = warnings(edit(FIRST, "timeout_s: 120", "timeout_s: 20"), tmp_path)
    assert len(found) == 1
    assert (
        "interlocks.watchdog.timeout_s: warning: the watchdog times out after 20 s but a "
        "cycle runs every 30 s" in found[0]
    )


def test_a_critical_tag_without_max_age_is_a_warning(tmp_path: Path) -> None:
    text = edit(
        FIRST,
        "role: measurement}\n  b2_running",
        "role: measurement, critical: true}\n  b2_running",
    )
    found = warnings(text, tmp_path)
    assert (
        len(found) == 1
        and "tags.b1_running.critical: warning: critical tag without max_age_s" in found[0]
    )


def test_the_bundled_configs_have_no_warnings(tmp_path: Path) -> None:
    for path in sorted((REPO / "config").glob("*.yaml")):
        assert config_warnings(load_config(path)) == [], path


def test_a_cascade_error_comes_after_its_causes() -> None:
    text = edit(FIRST, "    min_load: 4\n", "    min_load: 4\n    foo: 1\n")
    text = edit(text, "    min_load: 3\n", "    min_load: 3\n    bar: 1\n")
    found = problems(text)
    assert [p.split(": ")[1] for p in found] == [
        "units.boiler1.foo",
        "units.boiler2.bar",
        "demands.site_steam.carrier",
    ]
    assert found[-1].endswith(
        "no unit supplies carrier 'steam'; units boiler1, boiler2 have errors reported above"
    )


def test_a_huge_config_is_refused_at_once() -> None:
    tag = '  m{}: {{node: "s=M.{}", role: measurement, unit: MW, valid_min: 0, valid_max: 10}}\n'
    extra = "".join(tag.format(i, i) for i in range(60_000))
    t0 = time.perf_counter()
    found = problems(edit(FIRST, "tags:\n", "tags:\n" + extra))
    assert time.perf_counter() - t0 < 2
    assert len(found) == 1 and "plantloop reads at most 4 MB (about 20,000 tags)" in found[0]
