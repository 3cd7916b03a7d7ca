"""Tests written for survivors of a mutation run on the safety core (docs/safety.md,
"Development"): limits that bind inside ``decide``, exact boundaries of every check, and the
paths the step tables did not reach."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from optimizer.interlocks import Interlocks, WritePlan, limit_setpoint
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading
from optimizer.validation import InputValidator, IssueKind
from tests.safety.plantgen import plant
from tests.safety.test_interlock_steps import SP, T0, Plan, Step, base, run_steps

B = Quality.BAD
GO = Plan(setpoints={"sp0": 60.0})


# --- limits that bind inside decide ----------------------------------------------------------
def test_operator_max_and_min_bind_inside_decide() -> None:
    hi = plant([{**SP, "operator_max_tag": "op_hi"}], [])
    run_steps([Step(base(op_hi=43.0), GO, Outcome.WROTE, {"sp0": 43.0, "wd": 8})], hi)
    lo = plant([{**SP, "operator_min_tag": "op_hi"}], [])
    down = Plan(setpoints={"sp0": 10.0})
    run_steps([Step(base(op_hi=38.0), down, Outcome.WROTE, {"sp0": 38.0, "wd": 8})], lo)


def test_eu_range_binds_inside_decide() -> None:
    cfg = plant([SP], [])
    v = InputValidator(cfg).validate(_snap(base()), T0)
    wp = Interlocks(cfg).decide(
        validated=v, plan=GO, eu_ranges={"sp0": (0.0, 42.5)}, advisory=False, cycle=1
    )
    assert wp.writes == {"sp0": 42.5, "wd": 8}


def test_integer_permissive_from_the_dcs() -> None:
    cfg = plant([SP], [])
    run_steps(
        [
            Step(base(enable=1), GO, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
            Step(base(sp0=45.0, enable=0), GO, Outcome.HELD_NO_PERMISSIVE, {"wd": 8}),
        ],
        cfg,
    )


def test_a_substituted_setpoint_reading_is_never_the_current_value() -> None:
    cfg = plant([SP], [], tag_over={"sp0": {"max_bad_reads": 3}})
    run_steps(
        [
            Step(base(), GO, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
            Step(base(sp0=(45.0, B)), GO, Outcome.NO_CHANGE, {"wd": 8}),
        ],
        cfg,
    )


def test_no_read_at_all_holds_and_says_so() -> None:
    cfg = plant([SP], [])
    wp = Interlocks(cfg).decide(validated=None, plan=GO, eu_ranges={}, advisory=False)
    assert wp.outcome is Outcome.HELD_BAD_DATA and not wp.writes
    assert "no data: the read failed" in wp.reasons


# --- rules ------------------------------------------------------------------------------------
def test_untagged_block_rule_is_not_a_hold_and_two_block_rules_both_count() -> None:
    rules = [
        {"name": "b0", "when": "temp > 55", "action": "block", "tags": ["sp0"]},
        {"name": "b1", "when": "temp > 55", "action": "block", "tags": ["sp1"]},
        {"name": "ball", "when": "flow < 5", "action": "block"},
    ]
    cfg = plant([SP, SP], rules)
    both = Plan(setpoints={"sp0": 60.0, "sp1": 60.0})
    run_steps(
        [
            Step(base(temp=56.0, sp1=40.0), both, Outcome.NO_CHANGE, {"wd": 8}),
            Step(base(flow=2.0, sp1=40.0), both, Outcome.NO_CHANGE, {"wd": 8}),
        ],
        cfg,
    )


def test_force_safe_on_a_tag_without_safe_value_holds_it() -> None:
    rules = [{"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]}]
    cfg = plant([{k: v for k, v in SP.items() if k != "safe_value"}], rules)
    run_steps([Step(base(flow=2.0), GO, Outcome.NO_CHANGE, {"wd": 8})], cfg)


def test_forced_safe_value_is_not_written_while_the_permissive_is_off() -> None:
    rules = [{"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]}]
    cfg = plant([SP], rules)
    run_steps([Step(base(flow=2.0, enable=False), GO, Outcome.HELD_NO_PERMISSIVE, {"wd": 8})], cfg)


# --- write results ------------------------------------------------------------------------------
def test_no_report_and_no_error_is_still_a_failed_write() -> None:
    cfg = plant([SP], [])
    wp = WritePlan(outcome=Outcome.WROTE, reasons=(), writes={"sp0": 45.0, "wd": 8})
    outcome, reasons = Interlocks(cfg).finish(wp, None, None)
    assert outcome is Outcome.WRITE_FAILED and "not replayed" in reasons[-1]


def test_failures_after_a_success_count_from_zero_again() -> None:
    no = {"sp0": "BadOutOfRange"}
    fail = Outcome.WRITE_FAILED
    locks = run_steps(
        [
            Step(base(), GO, Outcome.WROTE, {"sp0": 45.0, "wd": 8}, refuse=no, final=fail),
            Step(base(wd=8), GO, Outcome.WROTE, {"sp0": 45.0}),
            Step(
                base(sp0=45.0, wd=8),
                GO,
                Outcome.WROTE,
                {"sp0": 50.0, "wd": 9},
                refuse=no,
                final=fail,
            ),
        ],
        plant([SP], [], max_write_failures=2),
    )
    assert locks.write_failures == 1 and not locks.shed


# --- validation: exact boundaries and the paths around them -------------------------------------
def _snap(
    values: dict[str, Any], *, age: dict[str, float] | None = None, stale: bool = False
) -> Snapshot:
    readings = {}
    for tag, spec in values.items():
        value, q = spec if isinstance(spec, tuple) else (spec, Quality.GOOD)
        ts = T0 - timedelta(seconds=(age or {}).get(tag, 0.0))
        readings[tag] = TagReading(
            tag=tag, value=value, quality=q, status=q.value, source_ts=ts, server_ts=T0
        )
    return Snapshot(read_at=T0, readings=readings, stale=stale)


@pytest.mark.parametrize(
    ("spec", "age", "usable"),
    [
        (200.0, 0.0, True),  # temp valid_max 200: the limit itself is valid
        (200.5, 0.0, False),
        (-50.0, 0.0, True),  # valid_min -50
        (-50.5, 0.0, False),
        (50.0, 60.0, True),  # max_age_s 60: exactly 60 s old is still fresh
        (50.0, 60.5, False),
        (50.0, -5.0, True),  # 5 s ahead: exactly the skew tolerance
        (50.0, -5.5, False),
    ],
)
def test_validity_boundaries(spec: float, age: float, usable: bool) -> None:
    cfg = plant([SP], [])
    v = InputValidator(cfg).validate(_snap({"temp": spec}, age={"temp": age}), T0)
    assert ("temp" in v.values) is usable, v.issues


def test_max_change_boundary_and_a_bad_reading_is_no_reference() -> None:
    cfg = plant([SP], [])  # temp max_change 20
    v = InputValidator(cfg)
    assert "temp" in v.validate(_snap({"temp": 50.0}), T0).values
    assert "temp" in v.validate(_snap({"temp": 70.0}), T0).values  # exactly 20
    r = v.validate(_snap({"temp": (150.0, B)}), T0)  # Bad: its value is not a reference
    assert r.issue_of("temp") is not None and r.issue_of("temp").kind is IssueKind.BAD_QUALITY  # type: ignore[union-attr]
    assert "temp" in v.validate(_snap({"temp": 71.0}), T0).values


def test_frozen_counts_exactly() -> None:
    cfg = plant([SP], [], frozen_cycles=3)
    v = InputValidator(cfg)
    seen = [("temp" in v.validate(_snap({"temp": 50.0}), T0).values) for _ in range(4)]
    assert seen == [True, True, False, False]
    issue = v.validate(_snap({"temp": 50.0}), T0).issue_of("temp")
    assert issue is not None and issue.message == "temp: unchanged for 5 reads"


def test_a_stale_image_makes_every_tag_stale_and_drops_what_cannot_be_substituted() -> None:
    cfg = plant([SP], [])
    v = InputValidator(cfg)
    v.validate(_snap(base()), T0)
    r = v.validate(_snap(base(), stale=True), T0)
    assert {i.tag: i.kind for i in r.issues if i.tag in base()} == dict.fromkeys(
        base(), IssueKind.STALE
    )
    assert "wd" in r.dropped and "flow" in r.substituted and "temp" in r.critical_bad


# --- limit_setpoint: exact boundaries -----------------------------------------------------------
def test_limit_setpoint_boundaries() -> None:
    lim = plant([{**SP, "max_up": 5, "deadband": 0.5}], []).tags["sp0"].setpoint
    assert lim is not None
    assert limit_setpoint("sp0", lim, current=50.0, proposed=50.5).to_write == 50.5  # = deadband
    held = limit_setpoint("sp0", lim, current=50.0, proposed=float("nan"))
    assert held.current == 50.0 and held.tag == "sp0" and held.to_write is None
    # operator min == max: the one value allowed is written
    d = limit_setpoint("sp0", lim, current=50.0, proposed=60.0, operator_min=52, operator_max=52)
    assert d.to_write == 52.0
    # exactly one move outside the limits: still reachable
    d = limit_setpoint("sp0", lim, current=105.0, proposed=60.0)
    assert d.to_write == 100.0
    assert (
        "clamped to hard max 100" in limit_setpoint("sp0", lim, current=99.0, proposed=150).reason
    )
    ramped = plant([{**SP, "operator_max_tag": "op_hi", "operator_limit_ramp": 2}], [])
    rl = ramped.tags["sp0"].setpoint
    assert rl is not None
    # exactly one ramp above the operator max: the limit applies as it is
    d = limit_setpoint("sp0", rl, current=62.0, proposed=90.0, operator_max=60.0)
    assert d.to_write == 60.0 and "ramping" not in d.reason


def test_the_tightest_low_wins_whatever_its_name() -> None:
    lim = plant([{**SP, "max_down": 50}], []).tags["sp0"].setpoint
    assert lim is not None
    # an operator min below the hard min never loosens the hard min
    d = limit_setpoint("sp0", lim, current=5.0, proposed=-20.0, operator_min=-10.0)
    assert d.to_write == 0.0 and "hard min" in d.reason
    # an EURange with only a finite low end still bounds from below
    d = limit_setpoint("sp0", lim, current=45.0, proposed=30.0, eu_range=(47.0, float("inf")))
    assert d.to_write == 47.0


def test_operator_min_ramp_boundary() -> None:
    cfg = plant([{**SP, "operator_min_tag": "op_hi", "operator_limit_ramp": 2}], [])
    lim = cfg.tags["sp0"].setpoint
    assert lim is not None
    # exactly one ramp below the operator min: the limit applies as it is
    d = limit_setpoint("sp0", lim, current=38.0, proposed=0.0, operator_min=40.0)
    assert d.to_write == 40.0 and "ramping" not in d.reason
    d = limit_setpoint("sp0", lim, current=37.0, proposed=0.0, operator_min=40.0)
    assert d.to_write == 39.0 and "ramping" in d.reason


def test_a_good_reading_has_no_issue() -> None:
    v = InputValidator(plant([SP], [])).validate(_snap({"temp": 50.0}), T0)
    assert v.issue_of("temp") is None
