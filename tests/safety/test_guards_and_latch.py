"""Issue 9 step tables: the shed latch only the operator clears, guard tags never substituted
and used only fresh and Good, future timestamps, refusals that escalate, watchdog arming,
and the boundaries a mutation run showed untested."""

from __future__ import annotations

from typing import Any

import pytest

from optimizer.config.control import WatchdogConfig
from optimizer.config.loader import load_config_text
from optimizer.errors import ConfigError
from optimizer.interlocks import Interlocks, WritePlan
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading, WriteOutcome, WriteReport
from optimizer.validation import InputValidator
from tests.loop.test_cycle_steps import PLANT
from tests.safety.plantgen import plant
from tests.safety.test_interlock_steps import SP, T0, Plan, Step, base, run_steps

B, U = Quality.BAD, Quality.UNCERTAIN
GO = Plan(setpoints={"sp0": 60.0})
FAIL = Plan(False, "infeasible")
W1 = {"sp0": 45.0, "wd": 8}  # the first move from base(): +5 (max_up), watchdog 7 -> 8


def shed_by_solver() -> list[Step]:
    """Two solver failures (max_solver_failures 2): the loop sheds on the second."""
    return [Step(base(), FAIL, Outcome.HELD_SOLVER, {}), Step(base(), FAIL, Outcome.SHED, {})]


# --- item 1: only the operator clears a shed ----------------------------------------------
def test_bad_permissive_is_no_edge_for_the_shed_latch() -> None:
    """Issue 9.1 as reported: a Bad permissive (value still True), then Good True."""
    run_steps(
        [
            *shed_by_solver(),
            Step(base(enable=(True, B)), GO, Outcome.SHED, {}),
            Step(base(), GO, Outcome.SHED, {}),
            Step(base(enable=(False, U)), GO, Outcome.SHED, {}),  # Uncertain False: no edge
            Step(base(), GO, Outcome.SHED, {}),
            Step(base(enable=False), GO, Outcome.SHED, {}),  # Good False ...
            Step(base(enable=(True, B)), GO, Outcome.SHED, {}),  # ... Bad between: forgotten
            Step(base(), GO, Outcome.SHED, {}),
            Step(base(enable=False), GO, Outcome.SHED, {}),  # Good False, then Good True
            Step(base(), GO, Outcome.WROTE, W1),
        ],
        plant([SP], []),
    )


def test_comms_returning_after_an_outage_clear_nothing() -> None:
    """Every tag Bad (gateway outage) until the loop sheds; Good again: still shed."""
    outage = {k: (v, B) for k, v in base().items()}
    run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1),
            Step(outage, GO, Outcome.HELD_BAD_DATA, {}),
            Step(outage, GO, Outcome.SHED, {}),  # max_bad_reads 2
            Step(base(sp0=45.0), GO, Outcome.SHED, {}),
            Step(base(sp0=45.0), GO, Outcome.SHED, {}),
            Step(base(sp0=45.0, enable=False), GO, Outcome.SHED, {}),
            Step(base(sp0=45.0), GO, Outcome.WROTE, {"sp0": 50.0, "wd": 8}),
        ],
        plant([SP], []),
    )


def test_a_missing_permissive_is_no_edge() -> None:
    missing = base()
    del missing["enable"]
    run_steps(
        [
            *shed_by_solver(),
            Step(base(enable=False), GO, Outcome.SHED, {}),
            Step(missing, GO, Outcome.SHED, {}),
            Step(base(), GO, Outcome.SHED, {}),
        ],
        plant([SP], []),
    )


def test_a_good_false_before_the_shed_does_not_arm_the_latch() -> None:
    run_steps(
        [
            Step(base(enable=False), FAIL, Outcome.HELD_NO_PERMISSIVE, {}),
            Step(base(enable=False), FAIL, Outcome.SHED, {}),  # shed while off
            Step(base(), GO, Outcome.SHED, {}),  # the operator has not cycled it since
        ],
        plant([SP], []),
    )


# --- item 3 / 5: guard tags are never substituted, used only fresh and Good ---------------
PERMISSIVE_SUBSTITUTABLE = {"enable": {"critical": False, "max_bad_reads": 5}}


def test_permissive_is_never_substituted_whatever_the_config_says() -> None:
    cfg = plant([SP], [], tag_over=PERMISSIVE_SUBSTITUTABLE)
    locks = run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1),
            Step(base(sp0=45.0, enable=(True, B)), GO, Outcome.HELD_NO_PERMISSIVE, {"wd": 8}),
        ],
        cfg,
    )
    assert not locks.shed
    v = InputValidator(cfg)
    snap = _snapshot({"enable": True}, T0)
    v.validate(snap, T0)
    bad = v.validate(_snapshot({"enable": (True, B)}, T0), T0)
    assert "enable" not in bad.substituted and "enable" not in bad.values


def test_uncertain_permissive_counts_as_off_even_where_uncertain_is_accepted() -> None:
    cfg = plant([SP], [], tag_over={"enable": {"accept_uncertain": True}})
    run_steps(
        [
            Step(
                base(enable=(True, U)),
                GO,
                Outcome.HELD_NO_PERMISSIVE,
                {"wd": 8},
                why="permissive enable has no fresh Good reading",
            )
        ],
        cfg,
    )


def test_watchdog_read_bad_holds_setpoints_and_is_not_substituted() -> None:
    cfg = plant([SP], [], tag_over={"wd": {"max_bad_reads": 5}})
    run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1),
            Step(base(sp0=45.0, wd=(8, B)), GO, Outcome.HELD_BAD_DATA, {}),
            Step(base(sp0=45.0, wd=8), GO, Outcome.WROTE, {"sp0": 50.0, "wd": 9}),
        ],
        cfg,
    )


def test_operator_limit_read_bad_holds_the_setpoint_not_last_cycles_limit() -> None:
    """Issue 9.5: op_hi (max_bad_reads 3 in the config) reads Bad: sp0 holds."""
    sp = {**SP, "operator_max_tag": "op_hi"}
    cfg = plant([sp], [], tag_over={"op_hi": {"max_bad_reads": 3, "accept_uncertain": True}})
    run_steps(
        [
            Step(base(op_hi=70.0), GO, Outcome.WROTE, W1),
            Step(base(sp0=45.0, op_hi=(70.0, B)), GO, Outcome.NO_CHANGE, {"wd": 8}),
            Step(base(sp0=45.0, op_hi=(70.0, U)), GO, Outcome.NO_CHANGE, {"wd": 8}),
            Step(base(sp0=45.0, op_hi=70.0), GO, Outcome.WROTE, {"sp0": 50.0, "wd": 8}),
        ],
        cfg,
    )


def test_rule_whose_input_reads_bad_fires_fail_safe() -> None:
    """Issue 9.5: flow (substitutable for 2 reads) reads Bad: the rule on it fires."""
    rules = [{"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]}]
    cfg = plant([SP], rules)
    run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1),
            # safe value 20, move-limited from 45
            Step(base(sp0=45.0, flow=(50.0, B)), GO, Outcome.WROTE, {"sp0": 40.0, "wd": 8}),
            Step(base(sp0=40.0), GO, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
        ],
        cfg,
    )


# --- item 4: closed loop needs a permissive and a watchdog --------------------------------
@pytest.mark.parametrize(
    ("drop", "rule"),
    [
        ("permissive_tag: enable, ", "safety rule 2"),
        ("watchdog: {tag: wd, timeout_s: 30},", "rule 1"),
    ],
)
def test_closed_loop_without_permissive_or_watchdog_is_a_config_error(drop: str, rule: str) -> None:
    text = PLANT.replace("CAP", "1e6").replace("MR", "false")
    assert drop in text
    broken = text.replace(drop, "")
    with pytest.raises(ConfigError, match=rule) as e:
        load_config_text(broken, "p.yaml")
    assert "p.yaml:" in str(e.value)
    advisory = broken.replace("step_minutes: 60}", "step_minutes: 60, mode: advisory}")
    assert load_config_text(advisory, "p.yaml").cycle.mode.value == "advisory"


def test_closed_loop_without_a_permissive_tag_never_writes_setpoints() -> None:
    """Defence in depth for a config built without the loader's checks."""
    cfg = plant([SP], [])
    cfg = cfg.model_copy(
        update={"interlocks": cfg.interlocks.model_copy(update={"permissive_tag": None})}
    )
    why = "no permissive_tag configured"
    run_steps([Step(base(), GO, Outcome.HELD_NO_PERMISSIVE, {"wd": 8}, why=why)], cfg)
    nowd = cfg.model_copy(
        update={"interlocks": cfg.interlocks.model_copy(update={"watchdog": None})}
    )
    nowd = nowd.model_copy(
        update={"interlocks": nowd.interlocks.model_copy(update={"permissive_tag": "enable"})}
    )
    why = "no watchdog configured"
    run_steps([Step(base(), GO, Outcome.HELD_NO_PERMISSIVE, {}, why=why)], nowd)
    off = "permissive enable is off"
    run_steps(
        [Step(base(enable=False), GO, Outcome.HELD_NO_PERMISSIVE, {"wd": 8}, why=off)],
        plant([SP], []),
    )


# --- item 14: source timestamps in the future --------------------------------------------
def test_source_timestamp_beyond_the_clock_skew_tolerance_is_bad() -> None:
    run_steps(
        [
            Step(base(temp=(50.0, None, -3)), GO, Outcome.WROTE, W1),  # 3 s ahead: tolerated
            Step(base(sp0=45.0, temp=(50.0, None, -10)), GO, Outcome.HELD_BAD_DATA, {}),
        ],
        plant([SP], []),
    )
    lenient = plant([SP], [], interlocks_over={"max_clock_skew_s": 20})
    run_steps([Step(base(temp=(50.0, None, -10)), GO, Outcome.WROTE, W1)], lenient)


# --- item 15: refusals escalate ------------------------------------------------------------
def test_refused_writes_stop_the_watchdog_and_shed() -> None:
    """The DCS refuses every setpoint (shed on its side) but takes the watchdog."""
    no = {"sp0": "BadUserAccessDenied"}
    fail = Outcome.WRITE_FAILED
    locks = run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1, refuse=no, final=fail),
            Step(base(wd=8), GO, Outcome.WROTE, {"sp0": 45.0}, refuse=no, final=fail),
            Step(
                base(wd=8),
                GO,
                Outcome.WROTE,
                {"sp0": 45.0},
                refuse=no,
                final=fail,
                why="shed to advisory: 3 consecutive failed write cycles",
            ),
            Step(base(wd=8), GO, Outcome.SHED, {}),  # max_write_failures 3
        ],
        plant([SP], []),
    )
    assert locks.shed and "3 consecutive failed write cycles" in locks.shed_reason


def test_one_refused_write_then_success_resumes_the_heartbeat() -> None:
    no = {"sp0": "BadOutOfRange"}
    run_steps(
        [
            Step(base(), GO, Outcome.WROTE, W1, refuse=no, final=Outcome.WRITE_FAILED),
            Step(base(wd=8), GO, Outcome.WROTE, {"sp0": 45.0}),  # no beat after a failure
            Step(base(sp0=45.0, wd=8), GO, Outcome.WROTE, {"sp0": 50.0, "wd": 9}),
        ],
        plant([SP], [], max_write_failures=2),
    )


# --- item 16: watchdog arming ---------------------------------------------------------------
def test_watchdog_arms_before_the_first_setpoint_write_and_again_after_a_shed() -> None:
    arm = Outcome.ARMING
    run_steps(
        [
            Step(base(), GO, arm, {"wd": 8}),
            Step(
                base(wd=8),
                GO,
                arm,
                {"wd": 9},
                refuse={"wd": "BadTimeout"},
                final=Outcome.WRITE_FAILED,
            ),
            Step(base(wd=8), GO, arm, {}),  # a failed write: the heartbeat stops
            Step(base(wd=8), FAIL, Outcome.HELD_SOLVER, {}),
            Step(base(wd=8), FAIL, Outcome.SHED, {}),
            Step(base(wd=8, enable=False), GO, Outcome.SHED, {}),
            Step(base(wd=8), GO, arm, {"wd": 9}),  # cleared: arm again
            Step(base(wd=9), GO, arm, {"wd": 10}),
            Step(base(wd=10), GO, Outcome.WROTE, {"sp0": 45.0, "wd": 11}),
        ],
        plant([SP], [], arm_cycles=2),
    )


def test_arm_cycles_default_is_one_beat() -> None:
    assert WatchdogConfig(tag="wd", timeout_s=30).arm_cycles == 1


# --- boundaries a mutation run left untested ----------------------------------------------
def test_shed_exactly_at_max_bad_reads() -> None:
    bad = base(temp=(50.0, B))
    run_steps(
        [Step(bad, GO, Outcome.HELD_BAD_DATA, {}), Step(bad, GO, Outcome.SHED, {})],
        plant([SP], [], max_bad_reads=2),
    )


def test_substitution_stops_exactly_after_max_bad_reads() -> None:
    """flow: max_bad_reads 2 -> substituted on bad reads 1 and 2, dropped on the 3rd."""
    cfg = plant([SP], [])
    v = InputValidator(cfg)
    v.validate(_snapshot({"flow": 30.0}, T0), T0)
    seen = []
    for _ in range(3):
        r = v.validate(_snapshot({"flow": (30.0, B)}, T0), T0)
        seen.append(("flow" in r.substituted, r.values.get("flow")))
    assert seen == [(True, 30.0), (True, 30.0), (False, None)]


def test_acknowledged_write_that_reads_back_different_is_not_written() -> None:
    cfg = plant([SP], [])
    locks = Interlocks(cfg)
    wp = WritePlan(outcome=Outcome.WROTE, reasons=(), writes={"sp0": 45.0, "wd": 8})
    report = WriteReport(
        outcomes=(
            WriteOutcome(
                tag="sp0",
                requested=45.0,
                status="Good",
                ok=True,
                read_back=44.0,
                read_back_matches=False,
            ),
            WriteOutcome(
                tag="wd", requested=8, status="Good", ok=True, read_back=8, read_back_matches=True
            ),
        )
    )
    outcome, reasons = locks.finish(wp, report, None)
    assert outcome is Outcome.WRITE_FAILED
    assert any("sp0: read back 44.0" in r for r in reasons)
    assert "sp0" not in locks.last_written and locks.write_failures == 1


def _snapshot(spec: dict[str, Any], now: Any) -> Snapshot:
    readings = {}
    for tag, s in spec.items():
        value, q = s if isinstance(s, tuple) else (s, Quality.GOOD)
        readings[tag] = TagReading(
            tag=tag, value=value, quality=q, status=q.value, source_ts=now, server_ts=now
        )
    return Snapshot(read_at=now, readings=readings)
