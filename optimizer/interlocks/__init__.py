"""Safety interlocks (pure): what may be written this cycle, and why not.

outputs.py  per-setpoint limits: tightest bounds, move limits, deadband, shadow mode
rules.py    configured rules (condition -> hold / force_safe / block)
plant.py    permissive, shed latch, failure counters, watchdog; the WritePlan
"""

from optimizer.interlocks.outputs import SetpointDecision, limit_setpoint
from optimizer.interlocks.plant import Interlocks, PlanLike, WritePlan

__all__ = ["Interlocks", "PlanLike", "SetpointDecision", "WritePlan", "limit_setpoint"]
