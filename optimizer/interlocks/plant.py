"""Plant-level interlocks: permissive, shed latch, failure counters, rules, watchdog.

``Interlocks.decide`` is the only way a cycle gets values to write. It returns a WritePlan
whose ``writes`` contain configured setpoint tags (each through ``limit_setpoint``) and the
watchdog, and nothing else. Precedence of outcomes:
shed > advisory > held_bad_data > held_no_permissive > held_solver > held_rule > wrote.
The watchdog advances only on a healthy cycle (data usable, a safe plan, not shed, not
advisory) — also while the permissive is off; on bad data, no plan, advisory or shed it
stops, so the DCS sheds to its own control.
A batch that carries setpoints also carries the cycle number on ``sequence_tag`` (if set).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from optimizer.config.control import RuleAction
from optimizer.config.schema import PlantConfig
from optimizer.interlocks.outputs import SetpointDecision, limit_setpoint
from optimizer.interlocks.rules import FiredRule, RuleSet
from optimizer.outcomes import Outcome
from optimizer.plantio.types import Value, WriteReport
from optimizer.validation import ValidatedInputs

SEQUENCE_MODULO = 2**31  # fits every integer type a DCS may give the sequence tag


class PlanLike(Protocol):
    """What the interlocks need from a solve result."""

    @property
    def has_safe_plan(self) -> bool: ...
    @property
    def message(self) -> str: ...
    @property
    def setpoints(self) -> Mapping[str, float]: ...


@dataclass(frozen=True, kw_only=True)
class WritePlan:
    outcome: Outcome
    reasons: tuple[str, ...]
    writes: Mapping[str, float | int | bool]
    decisions: tuple[SetpointDecision, ...] = ()
    watchdog: int | None = None
    sequence: int | None = None  # cycle number sent on sequence_tag with the setpoints

    def to_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome.value,
            "reasons": list(self.reasons),
            "writes": dict(self.writes),
            "decisions": [d.to_dict() for d in self.decisions],
            "watchdog": self.watchdog,
            "sequence": self.sequence,
        }


@dataclass
class Interlocks:
    cfg: PlantConfig
    shed: bool = False
    shed_reason: str = ""
    solver_failures: int = 0
    bad_cycles: int = 0
    last_written: dict[str, float] = field(default_factory=dict)
    _permissive_was: bool | None = None
    _watchdog: int | None = None

    def __post_init__(self) -> None:
        self._rules = RuleSet(self.cfg.interlocks.rules)

    def decide(
        self,
        *,
        validated: ValidatedInputs | None,
        plan: PlanLike | None,
        eu_ranges: Mapping[str, tuple[float, float]],
        advisory: bool,
        cycle: int = 0,
    ) -> WritePlan:
        il = self.cfg.interlocks
        reasons: list[str] = []
        values: Mapping[str, Value] = validated.values if validated is not None else {}

        # --- data ---------------------------------------------------------------------
        data_ok = validated is not None and validated.writes_allowed
        if validated is None:
            reasons.append("no data: the read failed")
        elif not validated.writes_allowed:
            reasons.append("critical input bad: " + ", ".join(sorted(validated.critical_bad)))
        self.bad_cycles = 0 if data_ok else self.bad_cycles + 1

        # --- permissive and the shed latch ---------------------------------------------
        permissive = self._permissive(values)
        if self.shed and permissive and self._permissive_was is False:
            self.shed, self.shed_reason = False, ""
            self.solver_failures = self.bad_cycles = 0
            reasons.append("permissive cycled: shed cleared, writing again (bumpless)")
        if validated is not None:
            self._permissive_was = permissive

        # --- solver ---------------------------------------------------------------------
        plan_ok = plan is not None and plan.has_safe_plan
        if data_ok and not plan_ok:
            self.solver_failures += 1
            reasons.append(
                "no safe plan: " + (plan.message if plan is not None else "solve did not run")
            )
        elif plan_ok:
            self.solver_failures = 0

        if not self.shed and self.solver_failures >= il.max_solver_failures:
            self._shed(f"{self.solver_failures} consecutive solver failures")
        if not self.shed and self.bad_cycles >= il.max_bad_reads:
            self._shed(f"{self.bad_cycles} consecutive cycles with bad or missing data")

        # --- proposals: the plan, then rules -------------------------------------------
        fired = self._rules.fired(values) if validated is not None else []
        proposals: dict[str, float] = {}
        if plan_ok and plan is not None:
            proposals.update(
                {t: v for t, v in plan.setpoints.items() if t in self.cfg.setpoint_tags}
            )
        hold_all = [f for f in fired if f.action is RuleAction.HOLD and not f.tags]
        blocked, forced = self._apply_rules(fired, proposals)
        # a setpoint's current value must be this cycle's good reading, never a substitute
        fresh = {
            k: v for k, v in values.items() if validated is None or k not in validated.substituted
        }
        decisions = self._decisions(proposals, fresh, values, eu_ranges, blocked, forced)

        # --- outcome ----------------------------------------------------------------------
        writable = {d.tag: d.to_write for d in decisions if d.to_write is not None}
        outcome = Outcome.WROTE if writable else Outcome.NO_CHANGE
        if self.shed:
            outcome = Outcome.SHED
            reasons.append(f"shed to advisory ({self.shed_reason}) until the permissive is cycled")
        elif advisory:
            outcome = Outcome.ADVISORY
            reasons.append("advisory: computed and logged, nothing written")
        elif not data_ok:
            outcome = Outcome.HELD_BAD_DATA
        elif not permissive:
            outcome = Outcome.HELD_NO_PERMISSIVE
            reasons.append(f"permissive {il.permissive_tag} is off: no setpoint writes")
        elif not plan_ok:
            outcome = Outcome.HELD_SOLVER
            reasons.append("holding the last written setpoints")
        elif hold_all:
            outcome = Outcome.HELD_RULE
        reasons.extend(f.reason for f in fired)

        writes: dict[str, float | int | bool] = {}
        if outcome in (Outcome.WROTE, Outcome.NO_CHANGE):
            writes.update(writable)
        elif outcome in (Outcome.HELD_SOLVER, Outcome.HELD_RULE):
            writes.update({t: v for t, v in writable.items() if t in forced})
        healthy = data_ok and plan_ok and not self.shed and not advisory
        wd = self._next_watchdog(values) if healthy else None
        if wd is not None and il.watchdog is not None:
            writes[il.watchdog.tag] = wd
        seq = None
        if writes.keys() & self.cfg.setpoint_tags and il.sequence_tag is not None:
            seq = writes[il.sequence_tag] = cycle % SEQUENCE_MODULO
        return WritePlan(
            outcome=outcome,
            reasons=tuple(reasons),
            writes=writes,
            decisions=tuple(decisions),
            watchdog=wd,
            sequence=seq,
        )

    def finish(
        self, plan: WritePlan, report: WriteReport | None, error: str | None
    ) -> tuple[Outcome, tuple[str, ...]]:
        """After the write phase: the final outcome. Only read-back-confirmed values count
        as written; a failed or timed-out write has an unknown outcome and is not retried."""
        if not plan.writes:
            return plan.outcome, plan.reasons
        if error is not None or report is None:
            return Outcome.WRITE_FAILED, (*plan.reasons, f"write failed: {error} (not replayed)")
        failed: list[str] = []
        for o in report.outcomes:
            if o.ok and o.read_back_matches:
                if isinstance(o.requested, float | int) and not isinstance(o.requested, bool):
                    self.last_written[o.tag] = float(o.requested)
                if self.cfg.interlocks.watchdog and o.tag == self.cfg.interlocks.watchdog.tag:
                    self._watchdog = int(o.requested)
            else:
                why = o.status if not o.ok else f"read back {o.read_back!r}"
                failed.append(f"{o.tag}: {why}")
        if failed:
            return Outcome.WRITE_FAILED, (*plan.reasons, "write rejected: " + "; ".join(failed))
        return plan.outcome, plan.reasons

    # ------------------------------------------------------------------------------------
    def _shed(self, why: str) -> None:
        self.shed, self.shed_reason = True, why

    def _permissive(self, values: Mapping[str, Value]) -> bool:
        tag = self.cfg.interlocks.permissive_tag
        if tag is None:
            return True
        v = values.get(tag)
        return isinstance(v, (bool, int, float)) and not isinstance(v, tuple) and bool(v)

    def _apply_rules(
        self, fired: list[FiredRule], proposals: dict[str, float]
    ) -> tuple[set[str], set[str]]:
        all_sp = set(self.cfg.setpoint_tags)
        blocked: set[str] = set()
        forced: set[str] = set()
        for f in fired:
            tags = set(f.tags) or all_sp
            if f.action is RuleAction.FORCE_SAFE:
                for t in sorted(tags):
                    sp = self.cfg.tags[t].setpoint
                    if sp is not None and sp.safe_value is not None:
                        proposals[t] = sp.safe_value
                        forced.add(t)
            else:  # hold and block: these tags are not written
                blocked |= tags
        return blocked - forced, forced

    def _decisions(
        self,
        proposals: Mapping[str, float],
        fresh: Mapping[str, Value],
        values: Mapping[str, Value],
        eu_ranges: Mapping[str, tuple[float, float]],
        blocked: set[str],
        forced: set[str],
    ) -> list[SetpointDecision]:
        out: list[SetpointDecision] = []
        for tag in sorted(proposals):
            sp = self.cfg.tags[tag].setpoint
            assert sp is not None
            op_min = _scalar(values.get(sp.operator_min_tag or ""))
            op_max = _scalar(values.get(sp.operator_max_tag or ""))
            unknown = [
                t
                for t, v in ((sp.operator_min_tag, op_min), (sp.operator_max_tag, op_max))
                if t is not None and v is None
            ]
            d = limit_setpoint(
                tag,
                sp,
                current=_scalar(fresh.get(tag)),
                proposed=proposals[tag],
                eu_range=eu_ranges.get(tag),
                operator_min=op_min,
                operator_max=op_max,
            )
            if unknown and d.to_write is not None:
                d = SetpointDecision(
                    tag=tag,
                    current=d.current,
                    proposed=d.proposed,
                    clamped_to=d.clamped_to,
                    to_write=None,
                    reason=f"operator limit {', '.join(unknown)} has no usable value; held",
                )
            elif tag in blocked and d.to_write is not None:
                d = SetpointDecision(
                    tag=tag,
                    current=d.current,
                    proposed=d.proposed,
                    clamped_to=d.clamped_to,
                    to_write=None,
                    reason="blocked by an interlock rule",
                )
            elif tag in forced and d.to_write is not None:
                d = SetpointDecision(
                    tag=tag,
                    current=d.current,
                    proposed=d.proposed,
                    clamped_to=d.clamped_to,
                    to_write=d.to_write,
                    reason="; ".join(x for x in ("safe value forced by a rule", d.reason) if x),
                )
            out.append(d)
        return out

    def _next_watchdog(self, values: Mapping[str, Value]) -> int | None:
        wd = self.cfg.interlocks.watchdog
        if wd is None:
            return None
        read = _scalar(values.get(wd.tag))
        base = int(read) if read is not None else (self._watchdog or 0)
        return (base + wd.increment) % wd.modulo


def _scalar(v: Value) -> float | None:
    if v is None or isinstance(v, tuple):
        return None
    x = float(v)
    return x if math.isfinite(x) else None
