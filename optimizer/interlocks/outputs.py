"""Per-setpoint output limits: the one function every written value goes through.

The value written lies in the intersection of
    [tightest low, tightest high]  (hard limits ∩ operator limits ∩ the node's EURange)
    [current - max_down, current + max_up]  (move limits from the setpoint as read now)
If that intersection is empty (the DCS holds a setpoint outside the limits, further away
than one move) nothing is written: either rule would be broken, and both are absolute.

An operator limit that was tightened below (above) the current setpoint is the exception
when the tag has ``operator_limit_ramp``: the limit in force is then the current setpoint
minus (plus) the ramp, so each cycle brings the setpoint at least that much closer to the
operator's limit, never away from it (safety rule 6). Hard limits and EURange never ramp.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from optimizer.config.tags import SetpointLimits, WriteMode


@dataclass(frozen=True, kw_only=True)
class SetpointDecision:
    tag: str
    current: float | None  # setpoint as read this cycle
    proposed: float | None  # what the optimizer (or a rule) asked for
    clamped_to: float | None  # after limits and move limits
    to_write: float | None  # None: not written this cycle
    reason: str = ""  # why to_write differs from proposed (empty if it does not)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def limit_setpoint(
    tag: str,
    limits: SetpointLimits,
    *,
    current: float | None,
    proposed: float | None,
    eu_range: tuple[float, float] | None = None,
    operator_min: float | None = None,
    operator_max: float | None = None,
) -> SetpointDecision:
    def held(reason: str) -> SetpointDecision:
        return SetpointDecision(
            tag=tag,
            current=current,
            proposed=proposed,
            clamped_to=None,
            to_write=None,
            reason=reason,
        )

    if proposed is None or not math.isfinite(proposed):
        return held(f"proposed value {proposed} is not a finite number; held")
    if current is None or not math.isfinite(current):
        return held("current setpoint unknown (bad read); a bumpless move is impossible; held")
    lows = [("hard min", limits.min)]
    highs = [("hard max", limits.max)]
    ramp = limits.operator_limit_ramp
    if operator_min is not None and math.isfinite(operator_min):
        if ramp is not None and current < operator_min - ramp:
            lows.append((f"operator min {operator_min:g} ramping,", current + ramp))
        else:
            lows.append(("operator min", operator_min))
    if operator_max is not None and math.isfinite(operator_max):
        if ramp is not None and current > operator_max + ramp:
            highs.append((f"operator max {operator_max:g} ramping,", current - ramp))
        else:
            highs.append(("operator max", operator_max))
    if eu_range is not None:  # each finite end counts, even if the other one is broken
        if math.isfinite(eu_range[0]):
            lows.append(("EURange low", eu_range[0]))
        if math.isfinite(eu_range[1]):
            highs.append(("EURange high", eu_range[1]))
    lo_name, lo = max(lows, key=lambda x: x[1])
    hi_name, hi = min(highs, key=lambda x: x[1])
    if lo > hi:
        return held(f"limits conflict: {lo_name} {lo:g} > {hi_name} {hi:g}; held")
    down = limits.max_down if limits.max_down is not None else math.inf
    up = limits.max_up if limits.max_up is not None else math.inf
    a = max(lo, current - down)
    b = min(hi, current + up)
    if a > b:
        return held(
            f"current setpoint {current:g} lies outside [{lo:g}, {hi:g}] by more than one "
            "move; held for the operator"
        )
    target = min(max(proposed, a), b)
    reasons: list[str] = []
    if proposed < lo:
        reasons.append(f"clamped to {lo_name} {lo:g}")
    elif proposed > hi:
        reasons.append(f"clamped to {hi_name} {hi:g}")
    if target != min(max(proposed, lo), hi):
        reasons.append(f"move limited to {target - current:+g} from {current:g}")
    if limits.mode is WriteMode.SHADOW:
        return SetpointDecision(
            tag=tag,
            current=current,
            proposed=proposed,
            clamped_to=target,
            to_write=None,
            reason="; ".join([*reasons, "shadow mode: computed, not written"]),
        )
    if abs(target - current) < limits.deadband or target == current:
        return SetpointDecision(
            tag=tag,
            current=current,
            proposed=proposed,
            clamped_to=target,
            to_write=None,
            reason="; ".join([*reasons, f"move {target - current:+g} within deadband"]),
        )
    return SetpointDecision(
        tag=tag,
        current=current,
        proposed=proposed,
        clamped_to=target,
        to_write=target,
        reason="; ".join(reasons),
    )
