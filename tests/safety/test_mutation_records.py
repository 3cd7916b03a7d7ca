"""What a cycle records, field by field: the decision, the write plan, the input issues and the
reasons an operator reads (docs/mutation-survivors.md lists the mutants each test kills).

The step tables check outcomes and writes; a wrong record (a held decision without its
``current``, a rule's reason under another rule's name, a shed without its cause) would
still pass them, and operators review the record, not the writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from optimizer.config.control import RuleAction
from optimizer.config.schema import PlantConfig
from optimizer.interlocks import Interlocks, SetpointDecision, WritePlan, limit_setpoint
from optimizer.interlocks.rules import FiredRule, RuleSet
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading, WriteOutcome, WriteReport
from optimizer.validation import InputIssue, InputValidator, IssueKind
from tests.safety.plantgen import plant
from tests.safety.test_interlock_steps import SP, T0, Plan, base

GO = Plan(setpoints={"sp0": 60.0})
B, U = Quality.BAD, Quality.UNCERTAIN
LIM = plant([SP], []).tags["sp0"].setpoint  # min 0, max 100, moves 5, deadband 0.5


def _snap(values: dict[str, Any], *, age: float = 0.0, stale: bool = False) -> Snapshot:
    readings = {}
    for tag, spec in values.items():
        value, q = spec if isinstance(spec, tuple) else (spec, Quality.GOOD)
        readings[tag] = TagReading(
            tag=tag,
            value=value,
            quality=q,
            status={Quality.GOOD: "Good", U: "UncertainLastUsableValue", B: "BadNoComm"}[q],
            source_ts=T0 - timedelta(seconds=age),
            server_ts=T0,
        )
    return Snapshot(read_at=T0, readings=readings, stale=stale)


class Loop:
    """Validator + interlocks of one plant, cycle after cycle, every write acknowledged."""

    def __init__(self, cfg: PlantConfig, *, preview: bool = False) -> None:
        self.validator, self.locks = InputValidator(cfg), Interlocks(cfg, preview=preview)
        self.cycle = 0

    def decide(self, inputs: dict[str, Any], plan: Plan | None, **kw: Any) -> WritePlan:
        self.cycle += 1
        v = self.validator.validate(_snap(inputs), T0)
        kw = {"eu_ranges": {}, "advisory": False, **kw}
        wp = self.locks.decide(validated=v, plan=plan, cycle=self.cycle, **kw)
        self.locks.finish(wp, _report(wp.writes), None)
        return wp


def _report(writes: Any, refuse: str | None = None) -> WriteReport:
    return WriteReport(
        outcomes=tuple(
            WriteOutcome(
                tag=t,
                requested=x,
                status=refuse or "Good",
                ok=refuse is None,
                read_back=x,
                read_back_matches=refuse is None,
            )
            for t, x in writes.items()
        )
    )


def _d(to_write: float | None, reason: str, **kw: Any) -> SetpointDecision:
    f = {"tag": "sp0", "current": 40.0, "proposed": 60.0, "clamped_to": 45.0, **kw}
    return SetpointDecision(to_write=to_write, reason=reason, **f)


# --- limit_setpoint: every field of the decision, every reason ----------------------------------
HELD = "current setpoint unknown (bad read); a bumpless move is impossible; held"


@pytest.mark.parametrize(
    ("kw", "want"),
    [
        # clamped and move-limited: both reasons, in this order
        (
            {"current": 40.0, "proposed": 120.0},
            (45.0, 45.0, "clamped to hard max 100; move limited to +5 from 40"),
        ),
        # exactly at a limit is not clamped
        ({"current": 2.0, "proposed": 0.0}, (0.0, 0.0, "")),
        ({"current": 98.0, "proposed": 100.0}, (100.0, 100.0, "")),
        ({"current": 3.0, "proposed": -10.0}, (0.0, 0.0, "clamped to hard min 0")),
        # clamped into the deadband: recorded, not written
        (
            {"current": 99.8, "proposed": 120.0},
            (100.0, None, "clamped to hard max 100; move +0.2 within deadband"),
        ),
        (
            {"current": 30.0, "proposed": 10.0, "operator_min": 28.0},
            (28.0, 28.0, "clamped to operator min 28"),
        ),
        (
            {"current": 30.0, "proposed": 10.0, "eu_range": (28.0, 90.0)},
            (28.0, 28.0, "clamped to EURange low 28"),
        ),
        (
            {"current": 88.0, "proposed": 95.0, "eu_range": (0.0, 90.0)},
            (90.0, 90.0, "clamped to EURange high 90"),
        ),
        # held: the decision keeps what was read and proposed
        ({"current": None, "proposed": 60.0}, (None, None, HELD)),
    ],
)
def test_limit_setpoint_records_every_field(kw: dict[str, Any], want: tuple[Any, ...]) -> None:
    assert LIM is not None
    d = limit_setpoint("sp0", LIM, **kw)
    assert d == SetpointDecision(
        tag="sp0",
        current=kw["current"],
        proposed=kw["proposed"],
        clamped_to=want[0],
        to_write=want[1],
        reason=want[2],
    )


def test_shadow_decision_records_what_would_be_written() -> None:
    lim = plant([{**SP, "mode": "shadow"}], []).tags["sp0"].setpoint
    assert lim is not None
    d = limit_setpoint("sp0", lim, current=40.0, proposed=42.0)
    want = SetpointDecision(
        tag="sp0",
        current=40.0,
        proposed=42.0,
        clamped_to=42.0,
        to_write=None,
        reason="shadow mode: computed, not written",
    )
    assert d == want
    clamped = limit_setpoint("sp0", lim, current=98.0, proposed=120.0)
    assert clamped.reason == "clamped to hard max 100; shadow mode: computed, not written"


# --- decide: the held, blocked and forced decisions ----------------------------------------------
def test_a_written_decision_and_the_write_plan_record_everything() -> None:
    loop = Loop(plant([SP], [], sequence=True))
    loop.cycle = 6
    wp = loop.decide({**base(), "seq": 0}, GO)
    assert wp == WritePlan(
        outcome=Outcome.WROTE,
        reasons=(),
        writes={"sp0": 45.0, "wd": 8, "seq": 7},
        decisions=(_d(45.0, "move limited to +5 from 40"),),
        watchdog=8,
        sequence=7,
    )
    assert loop.locks.last_written == {"sp0": 45.0, "wd": 8.0, "seq": 7.0}


def test_no_sequence_is_recorded_when_no_setpoint_is_written() -> None:
    wp = Loop(plant([SP], [], sequence=True)).decide({**base(enable=False), "seq": 0}, GO)
    assert wp.sequence is None and wp.writes == {"wd": 8}


def test_operator_limits_without_a_usable_value_hold_and_name_both() -> None:
    sp = {**SP, "operator_min_tag": "flow", "operator_max_tag": "op_hi"}
    wp = Loop(plant([sp], [])).decide(base(flow=(30.0, B), op_hi=(70.0, B)), GO)
    why = "operator limit flow, op_hi has no usable value; held"
    assert wp.decisions == (_d(None, why),)


def test_blocked_decision_record() -> None:
    rules = [{"name": "hot", "when": "temp > 55", "action": "block", "tags": ["sp0"]}]
    wp = Loop(plant([SP], rules)).decide(base(temp=56.0), GO)
    assert wp.decisions == (_d(None, "blocked by an interlock rule"),)
    assert wp.reasons == ("rule hot: temp > 55",)


def test_force_safe_without_a_safe_value_is_recorded_as_blocked() -> None:
    rules = [{"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]}]
    cfg = plant([{k: v for k, v in SP.items() if k != "safe_value"}], rules)
    wp = Loop(cfg).decide(base(flow=2.0), GO)
    assert wp.decisions == (_d(None, "blocked by an interlock rule"),)


def test_forced_decision_record() -> None:
    rules = [{"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]}]
    wp = Loop(plant([SP], rules)).decide(base(flow=2.0), GO)
    why = "safe value forced by a rule; move limited to -5 from 40"
    assert wp.decisions == (_d(35.0, why, proposed=20.0, clamped_to=35.0),)
    assert wp.writes == {"sp0": 35.0, "wd": 8}


def test_an_unsafe_plan_proposes_nothing() -> None:
    bad = Plan(False, "infeasible", setpoints={"sp0": 60.0})
    wp = Loop(plant([SP], [])).decide(base(), bad)
    assert wp.decisions == ()
    assert wp.reasons == ("no safe plan: infeasible", "holding the last written setpoints")


# --- decide: the reasons, exactly ----------------------------------------------------------------
def test_reasons_of_held_cycles() -> None:
    cfg = plant([SP], [])
    assert Loop(cfg).decide(base(), None).reasons == (
        "no safe plan: solve did not run",
        "holding the last written setpoints",
    )
    bad = base(enable=(True, B), temp=(50.0, B))
    assert Loop(cfg).decide(bad, GO).reasons == ("critical input bad: enable, temp",)
    assert Loop(cfg).decide(base(), GO, advisory=True).reasons == (
        "advisory: computed and logged, nothing written",
    )


def test_closed_loop_without_permissive_or_watchdog_says_which() -> None:
    cfg = plant([SP], [])
    for missing, why in (
        ({"permissive_tag": None}, "no permissive_tag configured"),
        ({"watchdog": None}, "no watchdog configured"),
    ):
        c = cfg.model_copy(update={"interlocks": cfg.interlocks.model_copy(update=missing)})
        wp = Interlocks(c).decide(
            validated=InputValidator(c).validate(_snap(base()), T0),
            plan=GO,
            eu_ranges={},
            advisory=False,
        )
        assert wp.reasons == (f"{why}: closed loop never writes setpoints without one",)


def test_a_cycle_without_data_evaluates_no_rule() -> None:
    rules = [{"name": "hot", "when": "temp > 55", "action": "hold"}]
    wp = Interlocks(plant([SP], rules)).decide(
        validated=None, plan=GO, eu_ranges={}, advisory=False
    )
    assert wp.reasons == ("no data: the read failed",)


def test_arming_names_the_beat() -> None:
    loop = Loop(plant([SP], [], arm_cycles=2))
    first = "arming the watchdog: beat 1 of 2 before the first setpoint write"
    assert loop.decide(base(), GO).reasons == (first,)
    assert loop.decide(base(wd=8), GO).reasons == (first.replace("beat 1", "beat 2"),)
    assert loop.decide(base(wd=9), GO).outcome is Outcome.WROTE


def test_a_preview_is_armed() -> None:
    wp = Loop(plant([SP], [], arm_cycles=2), preview=True).decide(base(), GO)
    assert wp.outcome is Outcome.WROTE and wp.writes == {"sp0": 45.0, "wd": 8}


@pytest.mark.parametrize(
    ("inputs", "plan", "cause"),
    [
        (base(), Plan(False, "infeasible"), "2 consecutive solver failures"),
        (base(temp=(50.0, B)), GO, "2 consecutive cycles with bad or missing data"),
    ],
)
def test_a_shed_names_its_cause_and_its_clearing(
    inputs: dict[str, Any], plan: Plan, cause: str
) -> None:
    loop = Loop(plant([SP], []))
    loop.decide(inputs, plan)
    shed = loop.decide(inputs, plan).reasons
    assert shed[-1] == f"shed to advisory ({cause}) until the permissive is cycled"
    loop.decide(base(enable=False), GO)
    assert loop.decide(base(), GO).reasons == (
        "permissive cycled: shed cleared, writing again (bumpless)",
    )


# --- finish: what a refusal says ----------------------------------------------------------------
def test_a_refused_write_names_each_tag_and_the_servers_status() -> None:
    locks = Interlocks(plant([SP], []))
    wp = WritePlan(outcome=Outcome.WROTE, reasons=(), writes={"sp0": 45.0, "wd": 8})
    outcome, reasons = locks.finish(wp, _report(wp.writes, "BadUserAccessDenied"), None)
    assert outcome is Outcome.WRITE_FAILED
    assert reasons == ("write rejected: sp0: BadUserAccessDenied; wd: BadUserAccessDenied",)


# --- rules ----------------------------------------------------------------------------------------
def test_a_fired_rule_carries_its_name() -> None:
    cfg = plant([SP], [{"name": "hot", "when": "temp > 55", "action": "hold"}])
    fired = RuleSet(cfg.interlocks.rules).fired({"temp": 60.0})
    assert fired == [
        FiredRule(name="hot", action=RuleAction.HOLD, tags=(), reason="rule hot: temp > 55")
    ]


# --- validation: the kind and message of every issue ----------------------------------------------
def _issue(cfg: PlantConfig, *snaps: Snapshot) -> InputIssue | None:
    v = InputValidator(cfg)
    for s in snaps[:-1]:
        v.validate(s, T0)
    return v.validate(snaps[-1], T0).issue_of("temp")


@pytest.mark.parametrize(
    ("snaps", "kind", "message"),
    [
        ([_snap({})], IssueKind.MISSING, "not in this cycle's read"),
        (
            [_snap({"temp": 50.0}, stale=True)],
            IssueKind.STALE,
            "connection was lost; value is stale",
        ),
        ([_snap({"temp": (50.0, B)})], IssueKind.BAD_QUALITY, "status BadNoComm"),
        (
            [_snap({"temp": (50.0, U)})],
            IssueKind.UNCERTAIN,
            "status UncertainLastUsableValue (tag does not accept Uncertain)",
        ),
        (
            [_snap({"temp": 50.0}, age=-10)],
            IssueKind.FUTURE,
            "source timestamp 10 s in the future (clock skew tolerance 5 s)",
        ),
        ([_snap({"temp": 50.0}, age=120)], IssueKind.STALE, "source timestamp 120 s old (max 60)"),
        (
            [_snap({"temp": 50.0}), _snap({"temp": 80.0})],
            IssueKind.RATE,
            "changed 30 in one cycle (max 20)",
        ),
        (
            [_snap({"temp": 250.0})],
            IssueKind.OUT_OF_RANGE,
            "250 outside validity limits [-50, 200]",
        ),
    ],
)
def test_issue_kind_and_message(snaps: list[Snapshot], kind: IssueKind, message: str) -> None:
    assert _issue(plant([SP], []), *snaps) == InputIssue(
        tag="temp", kind=kind, message=f"temp: {message}"
    )


def test_frozen_issue_kind() -> None:
    issue = _issue(plant([SP], [], frozen_cycles=2), _snap({"temp": 50.0}), _snap({"temp": 50.0}))
    assert issue == InputIssue(
        tag="temp", kind=IssueKind.FROZEN, message="temp: unchanged for 2 reads"
    )


def test_a_value_that_changes_every_read_is_not_frozen_by_one_repeat() -> None:
    v = InputValidator(plant([SP], [], frozen_cycles=3))
    usable = [("temp" in v.validate(_snap({"temp": t}), T0).values) for t in (50, 51, 52, 52)]
    assert usable == [True, True, True, True]


@pytest.mark.parametrize(
    ("over", "value", "limits"),
    [({"valid_min": None}, 250.0, "[-inf, 200]"), ({"valid_max": None}, -60.0, "[-50, inf]")],
)
def test_out_of_range_message_with_one_open_end(
    over: dict[str, Any], value: float, limits: str
) -> None:
    issue = _issue(plant([SP], [], tag_over={"temp": over}), _snap({"temp": value}))
    assert issue is not None
    assert issue.message == f"temp: {value:g} outside validity limits {limits}"


def test_a_forecast_as_long_as_the_horizon_is_used() -> None:
    cfg = plant([SP], [], tag_over={"op_hi": {"role": "forecast"}})
    v = InputValidator(cfg)
    n = cfg.cycle.horizon_steps
    good = Quality.GOOD
    assert v.validate(_snap({"op_hi": ((1.0,) * n, good)}), T0).values["op_hi"] == (1.0,) * n
    issue = v.validate(_snap({"op_hi": ((1.0,) * (n - 1), good)}), T0).issue_of("op_hi")
    assert issue is not None and issue.kind is IssueKind.WRONG_SHAPE
    limited = plant([SP], [], tag_over={"op_hi": {"role": "forecast", "valid_max": 100}})
    high = ((1.0, 1.0, 150.0) + (1.0,) * (n - 3), good)
    issue = InputValidator(limited).validate(_snap({"op_hi": high}), T0).issue_of("op_hi")
    assert issue == InputIssue(
        tag="op_hi",
        kind=IssueKind.OUT_OF_RANGE,
        message="op_hi: element 2 = 150 outside [-inf, 100]",
    )


def test_the_sequence_tag_is_never_substituted() -> None:
    v = InputValidator(plant([SP], [], sequence=True))
    v.validate(_snap({"seq": 3}), T0)
    r = v.validate(_snap({"seq": (3, B)}), T0)
    assert "seq" in r.dropped and "seq" not in r.values
