"""Interlocks stepped through cycles: per step the inputs, and the expected outcome/writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from optimizer.interlocks import Interlocks, limit_setpoint
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading, WriteOutcome, WriteReport
from optimizer.validation import InputValidator
from tests.safety.plantgen import plant

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
SP = {"min": 0, "max": 100, "max_up": 5, "max_down": 5, "deadband": 0.5, "safe_value": 20}


@dataclass
class Plan:
    has_safe_plan: bool = True
    message: str = "ok"
    setpoints: dict[str, float] = field(default_factory=dict)


@dataclass
class Step:
    inputs: dict[str, Any]  # tag -> value, or (value, quality) / (value, quality, age_s)
    plan: Plan | None
    outcome: Outcome
    writes: dict[str, float | int]
    advisory: bool = False
    refuse: dict[str, str] = field(default_factory=dict)  # tag -> write status from the DCS
    final: Outcome | None = None  # outcome after the write (default: ``outcome``)
    why: str = ""  # a text the cycle's final reasons must contain


def run_steps(steps: list[Step], cfg: Any) -> Interlocks:
    """Cycle i (from 1) of the table is decided as cycle number i; the DCS acknowledges
    every write (read back equal) except the statuses in ``refuse``."""
    validator, locks = InputValidator(cfg), Interlocks(cfg)
    now = T0
    for i, step in enumerate(steps):
        now += timedelta(seconds=10)
        readings = {}
        for tag, spec in step.inputs.items():
            value, quality, age = ((spec if isinstance(spec, tuple) else (spec,)) + (None, None))[
                :3
            ]
            q = quality or Quality.GOOD
            readings[tag] = TagReading(
                tag=tag,
                value=value,
                quality=q,
                status="Good" if q is Quality.GOOD else "Bad",
                source_ts=now - timedelta(seconds=age or 0),
                server_ts=now,
            )
        v = validator.validate(Snapshot(read_at=now, readings=readings), now)
        wp = locks.decide(
            validated=v, plan=step.plan, eu_ranges={}, advisory=step.advisory, cycle=i + 1
        )
        assert (i, wp.outcome) == (i, step.outcome), wp.reasons
        assert (i, dict(wp.writes)) == (i, step.writes), wp.reasons
        report = WriteReport(
            outcomes=tuple(
                WriteOutcome(
                    tag=t,
                    requested=x,
                    status=step.refuse.get(t, "Good"),
                    ok=t not in step.refuse,
                    read_back=x,
                    read_back_matches=t not in step.refuse,
                )
                for t, x in wp.writes.items()
            )
        )
        final, reasons = locks.finish(wp, report, None)
        assert (i, final) == (i, step.final or step.outcome), reasons
        assert step.why in " | ".join(reasons), reasons
    return locks


def base(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {"enable": True, "wd": 7, "temp": 50.0, "flow": 50.0, "sp0": 40.0}
    d.update(over)
    return d


def test_move_limit_from_current_then_deadband_then_permissive() -> None:
    cfg = plant([SP], [])
    go = Plan(setpoints={"sp0": 60.0})
    run_steps(
        [
            Step(base(), go, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),  # +5 max move
            Step(base(sp0=45.0, wd=8), go, Outcome.WROTE, {"sp0": 50.0, "wd": 9}),
            Step(base(sp0=59.8, wd=9), go, Outcome.NO_CHANGE, {"wd": 10}),  # 0.2 < deadband
            Step(base(sp0=59.8, wd=10, enable=False), go, Outcome.HELD_NO_PERMISSIVE, {"wd": 11}),
            # bumpless on enable: from the setpoint as it is now (the DCS moved it to 30)
            Step(base(sp0=30.0, wd=11), go, Outcome.WROTE, {"sp0": 35.0, "wd": 12}),
        ],
        cfg,
    )


def test_solver_failures_hold_then_shed_until_permissive_cycled() -> None:
    cfg = plant([SP], [], max_solver_failures=2)
    bad, good = Plan(False, "infeasible"), Plan(setpoints={"sp0": 60.0})
    run_steps(
        [
            Step(base(), bad, Outcome.HELD_SOLVER, {}),  # watchdog stops too
            Step(base(), bad, Outcome.SHED, {}),
            Step(base(), good, Outcome.SHED, {}),  # latched: a good plan is not enough
            Step(base(enable=False), good, Outcome.SHED, {}),
            Step(base(enable=True), good, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
        ],
        cfg,
    )


def test_bad_critical_input_holds_and_noncritical_is_substituted() -> None:
    cfg = plant([SP], [], max_bad_reads=3)
    go = Plan(setpoints={"sp0": 60.0})
    run_steps(
        [
            Step(base(), go, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
            # flow (non-critical, max_bad_reads 2) goes Bad: last good value substituted
            Step(
                base(sp0=45.0, flow=(0.0, Quality.BAD)), go, Outcome.WROTE, {"sp0": 50.0, "wd": 8}
            ),
            # temp is critical: Uncertain -> no writes, watchdog stops
            Step(base(sp0=50.0, temp=(50.0, Quality.UNCERTAIN)), go, Outcome.HELD_BAD_DATA, {}),
            # temp stale (source timestamp 120 s old, max 60 s)
            Step(base(sp0=50.0, temp=(50.0, None, 120)), go, Outcome.HELD_BAD_DATA, {}),
            Step(base(sp0=50.0, temp=51.0), go, Outcome.WROTE, {"sp0": 55.0, "wd": 8}),
        ],
        cfg,
    )


def test_rules_hold_force_safe_and_block() -> None:
    rules = [
        {"name": "hot", "when": "temp > 55", "action": "hold"},
        {"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]},
        {"name": "blk", "when": "temp < 45", "action": "block", "tags": ["sp1"]},
    ]
    cfg = plant([SP, SP], rules)
    go = Plan(setpoints={"sp0": 60.0, "sp1": 60.0})
    both = {"sp1": 40.0}
    run_steps(
        [
            Step(base(temp=56.0, **both), go, Outcome.HELD_RULE, {"wd": 8}),
            Step(
                base(flow=2.0, **both), go, Outcome.WROTE, {"sp0": 35.0, "sp1": 45.0, "wd": 8}
            ),  # safe value 20, move-limited
            Step(base(temp=44.0, **both), go, Outcome.WROTE, {"sp0": 45.0, "wd": 8}),
            # no plan, but a force_safe rule still drives sp0 toward its safe value
            Step(
                base(flow=2.0, **both), Plan(False, "timeout"), Outcome.HELD_SOLVER, {"sp0": 35.0}
            ),
        ],
        cfg,
    )


def test_advisory_writes_nothing_not_even_the_watchdog() -> None:
    cfg = plant([SP], [])
    run_steps(
        [Step(base(), Plan(setpoints={"sp0": 60.0}), Outcome.ADVISORY, {}, advisory=True)], cfg
    )


def test_frozen_and_rate_checks_on_a_critical_input() -> None:
    cfg = plant([SP], [], max_bad_reads=10, frozen_cycles=5)
    go = Plan(setpoints={"sp0": 40.0})
    steps = [Step(base(temp=50.0), go, Outcome.NO_CHANGE, {"wd": 8}) for _ in range(4)]
    steps.append(Step(base(temp=50.0), go, Outcome.HELD_BAD_DATA, {}))  # 5 equal reads
    steps.append(Step(base(temp=51.0), go, Outcome.NO_CHANGE, {"wd": 8}))  # moving again
    steps.append(Step(base(temp=81.0), go, Outcome.HELD_BAD_DATA, {}))  # +30 > max_change 20
    steps.append(Step(base(temp=82.0), go, Outcome.NO_CHANGE, {"wd": 8}))  # a real step
    run_steps(steps, cfg)


@pytest.mark.parametrize(
    ("current", "proposed", "expect", "why"),
    [
        (50.0, 200.0, 55.0, "move limited"),
        (50.0, float("nan"), None, "not a finite"),
        (None, 60.0, None, "current setpoint unknown"),
        (130.0, 60.0, None, "outside"),  # more than one move outside [0, 100]
        (103.0, 60.0, 98.0, "move limited"),  # back inside within one move
    ],
)
def test_limit_setpoint_cases(
    current: float | None, proposed: float, expect: float | None, why: str
) -> None:
    cfg = plant([SP], [])
    lim = cfg.tags["sp0"].setpoint
    assert lim is not None
    d = limit_setpoint("sp0", lim, current=current, proposed=proposed)
    assert d.to_write == expect
    assert why in d.reason


def test_tightest_limit_wins_and_is_named() -> None:
    cfg = plant([{"min": 0, "max": 100}], [])
    lim = cfg.tags["sp0"].setpoint
    assert lim is not None
    d = limit_setpoint(
        "sp0", lim, current=50.0, proposed=95.0, eu_range=(0.0, 90.0), operator_max=80.0
    )
    assert d.to_write == 80.0 and "operator max 80" in d.reason


def test_tightened_operator_limit_is_approached_at_the_ramp_rate() -> None:
    """Operator drops the max to 60 while the setpoint sits at 75 (max_down 5, ramp 2).

    Without a ramp the setpoint is held (more than one move outside); with it, the limit in
    force is the setpoint minus 2 each cycle, whatever the optimizer asks, until 60 holds.
    """
    base_lim = {"min": 0, "max": 100, "max_up": 5, "max_down": 5, "operator_max_tag": "op_hi"}
    held = plant([base_lim], []).tags["sp0"].setpoint
    ramped = plant([{**base_lim, "operator_limit_ramp": 2}], []).tags["sp0"].setpoint
    assert held is not None and ramped is not None
    d = limit_setpoint("sp0", held, current=75.0, proposed=90.0, operator_max=60.0)
    assert d.to_write is None and "outside" in d.reason
    current, written = 75.0, []
    for _ in range(10):
        d = limit_setpoint("sp0", ramped, current=current, proposed=90.0, operator_max=60.0)
        if d.to_write is None:
            break
        written.append(d.to_write)
        current = d.to_write
    # 61 is within one ramp of 60: the operator limit then applies as it is; at 60 it stays
    assert written == [73, 71, 69, 67, 65, 63, 61, 60]
    assert d.clamped_to == 60.0 and "within deadband" in d.reason
    assert (
        "operator max 60 ramping"
        in limit_setpoint("sp0", ramped, current=75.0, proposed=90.0, operator_max=60.0).reason
    )
    # the optimizer may still go lower than the ramp, within the move limit
    d = limit_setpoint("sp0", ramped, current=75.0, proposed=10.0, operator_max=60.0)
    assert d.to_write == 70.0
    # a tightened min ramps the other way
    lo = (
        plant(
            [
                {
                    **base_lim,
                    "operator_max_tag": None,
                    "operator_min_tag": "op_hi",
                    "operator_limit_ramp": 2,
                }
            ],
            [],
        )
        .tags["sp0"]
        .setpoint
    )
    assert lo is not None
    d = limit_setpoint("sp0", lo, current=20.0, proposed=0.0, operator_min=40.0)
    assert d.to_write == 22.0


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"operator_limit_ramp": 2}, "needs operator_min_tag or operator_max_tag"),
        (
            {"operator_max_tag": "op_hi", "max_down": 1, "operator_limit_ramp": 2},
            "exceeds max_down 1",
        ),
    ],
)
def test_operator_limit_ramp_config_errors(extra: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plant([{"min": 0, "max": 100, **extra}], [])


def test_sequence_number_goes_with_every_setpoint_batch_and_only_with_one() -> None:
    cfg = plant([SP], [], sequence=True)
    go, far = Plan(setpoints={"sp0": 42.0}), Plan(setpoints={"sp0": 60.0})
    steps = [
        Step(base(), go, Outcome.WROTE, {"sp0": 42.0, "wd": 8, "seq": 1}),
        Step(base(sp0=42.0), go, Outcome.NO_CHANGE, {"wd": 8}),  # watchdog only: no seq
        # permissive off: the engine is healthy, so the heartbeat goes on, but no setpoints
        Step(base(sp0=42.0, enable=False), far, Outcome.HELD_NO_PERMISSIVE, {"wd": 8}),
        Step(base(sp0=42.0), far, Outcome.WROTE, {"sp0": 47.0, "wd": 8, "seq": 4}),
    ]
    run_steps(steps, cfg)
