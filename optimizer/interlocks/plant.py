"""Plant-level interlocks: permissive, shed latch, failure counters, rules, watchdog.

``Interlocks.decide`` is the only way a cycle gets values to write. It returns a WritePlan
whose ``writes`` contain configured setpoint tags (each through ``limit_setpoint``) and the
watchdog, and nothing else. Precedence of outcomes:
shed > advisory > held_bad_data > held_no_permissive > held_solver > held_rule > arming
> wrote.
The watchdog advances only on a healthy cycle (data usable, a safe plan, not shed, not
advisory, the last write not failed) — also while the permissive is off; on bad data, no
plan, advisory, shed or failing writes it stops, so the DCS sheds to its own control.
After start and after a shed, ``watchdog.arm_cycles`` acknowledged beats go before the
first setpoint write (outcome ``arming``).
A batch that carries setpoints also carries the cycle number on ``sequence_tag`` (if set).

Guard tags (permissive, watchdog, operator limits, rule inputs: ``optimizer.guards``) are
used only as read fresh and Good this cycle. The shed latch clears only on the permissive
read Good and False, then Good and True (the very next fresh Good reading of it); a Bad,
Uncertain, substituted or missing reading is no edge and forgets a Good False seen before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from optimizer.config.control import RuleAction
from optimizer.config.schema import PlantConfig
from optimizer.guards import fresh_good
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
    write_failures: int = 0
    last_written: dict[str, float] = field(default_factory=dict)
    _off_seen: bool = False  # shed: the permissive was read Good and False since
    _beats: int = 0  # acknowledged watchdog beats since start or the last shed
    # `plantloop solve`'s view of what a running loop would write (it never writes): armed,
    # and no watchdog reading needed, as a state file does not carry the counter
    preview: bool = False

    def __post_init__(self) -> None:
        self._rules = RuleSet(self.cfg.interlocks.rules)
        if self.preview and self.cfg.interlocks.watchdog is not None:
            self._beats = self.cfg.interlocks.watchdog.arm_cycles

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
        # guard tags: only what was read fresh and Good this cycle (safety rule 15)
        guards: Mapping[str, Value] = (
            fresh_good(validated.values, validated.readings, validated.substituted)
            if validated is not None
            else {}
        )

        # --- data ---------------------------------------------------------------------
        wd_tag = il.watchdog.tag if il.watchdog is not None else None
        wd_ok = wd_tag is None or self.preview or _scalar(guards.get(wd_tag)) is not None
        data_ok = validated is not None and validated.writes_allowed and wd_ok
        if validated is None:
            reasons.append("no data: the read failed")
        elif not validated.writes_allowed:
            reasons.append("critical input bad: " + ", ".join(sorted(validated.critical_bad)))
        elif not wd_ok:
            reasons.append(f"watchdog {wd_tag} has no fresh Good reading: setpoints held")
        self.bad_cycles = 0 if data_ok else self.bad_cycles + 1

        # --- permissive and the shed latch (only the operator clears a shed) ------------
        reading = self._permissive(guards)
        permissive = reading is True and (advisory or wd_tag is not None)
        if self.shed:
            if reading is True and self._off_seen:
                self.shed, self.shed_reason, self._off_seen = False, "", False
                self.solver_failures = self.bad_cycles = self.write_failures = 0
                reasons.append("permissive cycled: shed cleared, writing again (bumpless)")
            else:  # Good False arms the latch; Bad/Uncertain/substituted/missing: no edge
                self._off_seen = reading is False

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

        # --- proposals: the plan, then rules (inputs: fresh Good only, else fail-safe) --
        fired = self._rules.fired(guards) if validated is not None else []
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
        decisions = self._decisions(proposals, fresh, guards, eu_ranges, blocked, forced)

        # --- outcome ----------------------------------------------------------------------
        writable = {d.tag: d.to_write for d in decisions if d.to_write is not None}
        arm_cycles = il.watchdog.arm_cycles if il.watchdog is not None else 0
        armed = self._beats >= arm_cycles
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
            reasons.append(self._why_no_permissive(reading))
        elif not plan_ok:
            outcome = Outcome.HELD_SOLVER
            reasons.append("holding the last written setpoints")
        elif hold_all:
            outcome = Outcome.HELD_RULE
        elif not armed:
            outcome = Outcome.ARMING
            reasons.append(
                f"arming the watchdog: beat {self._beats + 1} of {arm_cycles} "
                "before the first setpoint write"
            )
        reasons.extend(f.reason for f in fired)

        writes: dict[str, float | int | bool] = {}
        if outcome in (Outcome.WROTE, Outcome.NO_CHANGE):
            writes.update(writable)
        elif outcome in (Outcome.HELD_SOLVER, Outcome.HELD_RULE) and armed:
            writes.update({t: v for t, v in writable.items() if t in forced})
        healthy = data_ok and plan_ok and not self.shed and not advisory
        if healthy and self.write_failures:
            healthy = False
            reasons.append(
                f"watchdog held: {self.write_failures} consecutive failed write cycle(s)"
            )
        wd = self._next_watchdog(guards) if healthy else None
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
            return self._write_failed(plan, f"write failed: {error} (not replayed)")
        failed: list[str] = []
        wd = self.cfg.interlocks.watchdog
        for o in report.outcomes:
            if o.ok and o.read_back_matches:
                if isinstance(o.requested, float | int) and not isinstance(o.requested, bool):
                    self.last_written[o.tag] = float(o.requested)
                if wd is not None and o.tag == wd.tag:
                    self._beats += 1
            else:
                why = o.status if not o.ok else f"read back {o.read_back!r}"
                failed.append(f"{o.tag}: {why}")
        if failed:
            return self._write_failed(plan, "write rejected: " + "; ".join(failed))
        if plan.writes.keys() & self.cfg.setpoint_tags:
            self.write_failures = 0  # setpoints acknowledged: writes work again
        return plan.outcome, plan.reasons

    def _write_failed(self, plan: WritePlan, why: str) -> tuple[Outcome, tuple[str, ...]]:
        """Refusals escalate (safety rule 17): consecutive failed write cycles shed."""
        self.write_failures += 1
        reasons = (*plan.reasons, why)
        n, limit = self.write_failures, self.cfg.interlocks.max_write_failures
        if not self.shed and n >= limit:
            self._shed(f"{n} consecutive failed write cycles")
            reasons = (*reasons, f"shed to advisory: {n} consecutive failed write cycles")
        return Outcome.WRITE_FAILED, reasons

    # ------------------------------------------------------------------------------------
    def _shed(self, why: str) -> None:
        self.shed, self.shed_reason = True, why
        self._off_seen, self._beats = False, 0

    def _permissive(self, guards: Mapping[str, Value]) -> bool | None:
        """The permissive as read fresh and Good this cycle; None: no such reading (or no
        permissive tag configured, which closed loop refuses)."""
        tag = self.cfg.interlocks.permissive_tag
        if tag is None:
            return None
        v = guards.get(tag)
        if isinstance(v, bool):
            return v
        x = _scalar(v)
        return None if x is None else bool(x)

    def _why_no_permissive(self, reading: bool | None) -> str:
        il = self.cfg.interlocks
        if il.permissive_tag is None:
            return "no permissive_tag configured: closed loop never writes setpoints without one"
        if il.watchdog is None:
            return "no watchdog configured: closed loop never writes setpoints without one"
        if reading is None:
            return f"permissive {il.permissive_tag} has no fresh Good reading: no setpoint writes"
        return f"permissive {il.permissive_tag} is off: no setpoint writes"

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
                    else:  # nothing safe to force: the tag is held, never left to the plan
                        blocked.add(t)
            else:  # hold and block: these tags are not written
                blocked |= tags
        return blocked - forced, forced

    def _decisions(
        self,
        proposals: Mapping[str, float],
        fresh: Mapping[str, Value],
        guards: Mapping[str, Value],
        eu_ranges: Mapping[str, tuple[float, float]],
        blocked: set[str],
        forced: set[str],
    ) -> list[SetpointDecision]:
        out: list[SetpointDecision] = []
        for tag in sorted(proposals):
            sp = self.cfg.tags[tag].setpoint
            assert sp is not None
            op_min = _scalar(guards.get(sp.operator_min_tag or ""))
            op_max = _scalar(guards.get(sp.operator_max_tag or ""))
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

    def _next_watchdog(self, guards: Mapping[str, Value]) -> int | None:
        wd = self.cfg.interlocks.watchdog
        if wd is None:
            return None
        read = _scalar(guards.get(wd.tag))
        if read is None:  # a running loop has held already (rule 15); a preview has none
            return None
        return (int(read) + wd.increment) % wd.modulo


def _scalar(v: Value) -> float | None:
    if v is None or isinstance(v, tuple):
        return None
    x = float(v)
    return x if math.isfinite(x) else None
