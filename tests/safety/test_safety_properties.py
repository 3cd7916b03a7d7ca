"""Safety invariants under random cycles (hypothesis + a seeded driver per example).

Hypothesis draws a plant (setpoint limits, modes, rules, watchdog arming, whether the
permissive is critical) and a seed; a numpy generator then drives CYCLES_PER_EXAMPLE cycles
of random readings (NaN, inf, huge, Bad, Uncertain, stale, future), random plans (including
non-setpoint and unknown tags), EURanges, permissive and advisory states, reconnects
(connection epochs: the first snapshot after one is stale) and refused, failed or
mismatching writes through InputValidator + Interlocks. EXAMPLES x CYCLES_PER_EXAMPLE >=
100,000 cycles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optimizer.interlocks import Interlocks
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Quality, Snapshot, TagReading, WriteOutcome, WriteReport
from optimizer.validation import InputValidator
from tests.safety.plantgen import plant

EXAMPLES = 400
CYCLES_PER_EXAMPLE = 250
TOL = 1e-9

finite = st.floats(-1e3, 1e3, allow_nan=False)


@st.composite
def setpoint_limits(draw: st.DrawFn) -> dict[str, Any]:
    a, b = sorted((draw(finite), draw(finite)))
    down = draw(st.one_of(st.none(), st.floats(0.01, 100)))
    op = draw(st.sampled_from([None, "op_hi"]))
    ramp = None
    if op is not None and draw(st.booleans()):
        ramp = draw(st.floats(0.01, down if down is not None else 100))
    return {
        "min": a,
        "max": b,
        "max_up": draw(st.one_of(st.none(), st.floats(0.01, 100))),
        "max_down": down,
        "deadband": draw(st.sampled_from([0.0, 0.01, 1.0])),
        "mode": draw(st.sampled_from(["closed_loop", "closed_loop", "shadow"])),
        "safe_value": draw(st.one_of(st.none(), st.just((a + b) / 2))),
        "operator_max_tag": op,
        "operator_limit_ramp": ramp,
    }


RULES = [
    {"name": "hot", "when": "temp > 150", "action": "hold"},
    {"name": "lowflow", "when": "flow < 5", "action": "force_safe", "tags": ["sp0"]},
    {"name": "blk", "when": "temp < 0 or not enable", "action": "block", "tags": ["sp0"]},
]


@dataclass
class Driver:
    rng: np.random.Generator
    now: datetime = field(default_factory=lambda: datetime(2026, 1, 1, tzinfo=UTC))

    def number(self, scale: float) -> float:
        r = self.rng.random()
        if r < 0.03:
            return float("nan")
        if r < 0.05:
            return math.inf if r < 0.04 else -math.inf
        if r < 0.08:
            return 1e308 if r < 0.065 else -1e308
        return float(self.rng.normal(0, scale))

    def quality(self) -> Quality:
        # plain random() + thresholds: rng.choice costs ~20 us a call and dominated the run
        r = self.rng.random()
        return Quality.GOOD if r < 0.8 else Quality.BAD if r < 0.9 else Quality.UNCERTAIN

    def reading(self, tag: str, value: Any) -> TagReading:
        q = self.quality()
        r = self.rng.random()
        age = 0.0 if r < 0.32 else 5.0 if r < 0.64 else 500.0 if r < 0.97 else -30.0
        return TagReading(
            tag=tag,
            value=value,
            quality=q,
            status="Good" if q is Quality.GOOD else "BadSomething",
            source_ts=self.now - timedelta(seconds=age),
            server_ts=self.now,
        )


@dataclass
class FakePlan:
    has_safe_plan: bool
    message: str
    setpoints: dict[str, float]


def dcs_answer(
    rng: np.random.Generator, writes: dict[str, float | int | bool]
) -> tuple[WriteReport | None, str | None]:
    """The DCS's answer: mostly acknowledged and read back equal; sometimes refused,
    acknowledged but read back different, or the whole write failing (time-out)."""
    if rng.random() < 0.03:
        return None, "timed out"
    outs = []
    for t, v in writes.items():
        r = rng.random()
        ok = r >= 0.08
        outs.append(
            WriteOutcome(
                tag=t,
                requested=v,
                status="Good" if ok else "BadUserAccessDenied",
                ok=ok,
                read_back=v,
                read_back_matches=ok and r >= 0.11,
            )
        )
    return WriteReport(outcomes=tuple(outs)), None


def fresh_good(v: Any, readings: dict[str, TagReading], tag: str) -> bool:
    return (
        v is not None
        and tag in v.values
        and tag not in v.substituted
        and tag in readings
        and readings[tag].quality is Quality.GOOD
    )


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sps=st.lists(setpoint_limits(), min_size=1, max_size=4),
    rules=st.lists(st.sampled_from(RULES), max_size=3, unique_by=lambda r: r["name"]),
    seed=st.integers(0, 2**32 - 1),
    arm_cycles=st.sampled_from([0, 1, 2]),
    critical_permissive=st.booleans(),
)
def test_nothing_unsafe_is_ever_written(
    sps: list[dict[str, Any]],
    rules: list[Any],
    seed: int,
    arm_cycles: int,
    critical_permissive: bool,
) -> None:
    cfg = plant(
        sps,
        rules,
        frozen_cycles=5,
        arm_cycles=arm_cycles,
        tag_over={"enable": {"critical": critical_permissive, "max_bad_reads": 3}},
    )
    max_fail = cfg.interlocks.max_write_failures
    drv = Driver(np.random.default_rng(seed))
    validator, locks = InputValidator(cfg), Interlocks(cfg)
    sp_tags = set(cfg.setpoint_tags)
    epoch, read_epoch = 0, 0
    fails = beats = 0  # consecutive failed write cycles; acked beats since start / shed
    prev_good_off = False  # the last cycle read the permissive fresh, Good and False
    for _ in range(CYCLES_PER_EXAMPLE):
        drv.now += timedelta(seconds=10)
        if drv.rng.random() < 0.03:
            epoch += 1  # the session was lost and re-established
        raw: dict[str, Any] = {
            "enable": bool(drv.rng.random() < 0.8),
            "wd": int(drv.rng.integers(0, 1000)),
            "temp": drv.number(100),
            "flow": drv.number(50),
            "op_hi": drv.number(500),
        }
        for t in sp_tags:
            raw[t] = drv.number(500)
        readings = {t: drv.reading(t, v) for t, v in raw.items() if drv.rng.random() > 0.02}
        snap = Snapshot(read_at=drv.now, readings=readings, stale=epoch != read_epoch, epoch=epoch)
        read_epoch = epoch
        validated = validator.validate(snap, drv.now) if drv.rng.random() > 0.03 else None
        proposals = {
            t: drv.number(800) for t in [*sp_tags, "temp", "wd", "nope"] if drv.rng.random() < 0.8
        }
        plan = FakePlan(bool(drv.rng.random() < 0.85), "random", proposals)
        eu = {
            t: tuple(sorted((drv.number(600), drv.number(600))))
            for t in sp_tags
            if drv.rng.random() < 0.3
        }
        advisory = bool(drv.rng.random() < 0.05)
        was_shed = locks.shed
        wp = locks.decide(validated=validated, plan=plan, eu_ranges=eu, advisory=advisory)
        good_enable = fresh_good(validated, readings, "enable")
        good_off = good_enable and readings["enable"].value is False
        good_on = good_enable and readings["enable"].value is True
        if was_shed and not locks.shed:  # only the operator clears a shed
            assert good_on and prev_good_off, "shed cleared without a Good off -> on edge"
            beats = 0
        prev_good_off = good_off
        if locks.shed:
            beats = 0

        # --- the invariants ------------------------------------------------------------
        assert set(wp.writes) <= sp_tags | {"wd"}, wp.writes
        if advisory or wp.outcome in (
            Outcome.SHED,
            Outcome.HELD_BAD_DATA,
            Outcome.HELD_NO_PERMISSIVE,
        ):
            assert not (set(wp.writes) & sp_tags), (wp.outcome, wp.writes)
        if advisory or wp.outcome is Outcome.SHED:
            assert not wp.writes
        if not good_on or snap.stale:  # no substitute, no Uncertain, no stale image
            assert not (set(wp.writes) & sp_tags)
        if set(wp.writes) & sp_tags:
            assert beats >= arm_cycles, "setpoints before the watchdog was armed"
            assert fresh_good(validated, readings, "wd")
        if fails:  # the watchdog does not advance while writes fail
            assert "wd" not in wp.writes, fails
        for tag, v in wp.writes.items():
            if tag == "wd":
                assert isinstance(v, int) and 0 <= v < 1000
                continue
            assert isinstance(v, float) and math.isfinite(v)
            lim = cfg.tags[tag].setpoint
            assert lim is not None
            assert lim.mode.value == "closed_loop", "shadow tag written"
            assert lim.min <= v <= lim.max
            if tag in eu:
                lo_eu, hi_eu = eu[tag]
                assert not (math.isfinite(lo_eu) and v < lo_eu)
                assert not (math.isfinite(hi_eu) and v > hi_eu)
            r = readings[tag]
            assert validated is not None and tag not in validated.substituted
            assert r.quality is Quality.GOOD
            assert r.source_ts is not None and r.source_ts <= drv.now + timedelta(seconds=5)
            current = float(r.value)
            assert math.isfinite(current)
            if lim.max_up is not None:
                assert v - current <= lim.max_up + TOL * max(1.0, abs(current))
            if lim.max_down is not None:
                assert current - v <= lim.max_down + TOL * max(1.0, abs(current))
            if lim.operator_max_tag is not None:
                assert fresh_good(validated, readings, "op_hi"), "operator limit not fresh"
                op = validated.values.get("op_hi")
                assert isinstance(op, float) and math.isfinite(op), "operator limit unknown"
                ramp = lim.operator_limit_ramp
                if ramp is None:
                    assert v <= op
                else:  # above a tightened limit: only toward it, by at least the ramp
                    assert v <= max(op, current - ramp) + TOL * max(1.0, abs(current))
        # write results feed back (random refusals, mismatches, time-outs)
        report, error = dcs_answer(drv.rng, dict(wp.writes))
        outcome, _ = locks.finish(wp, report, error if wp.writes else None)
        if outcome is Outcome.WRITE_FAILED:
            fails += 1
            if fails >= max_fail:
                assert locks.shed, "refusals did not escalate to a shed"
        elif set(wp.writes) & sp_tags:
            fails = 0
        if locks.shed:
            fails = beats = 0
        elif report is not None and any(
            o.tag == "wd" and o.ok and o.read_back_matches for o in report.outcomes
        ):
            beats += 1
