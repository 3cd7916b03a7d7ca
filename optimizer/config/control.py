"""``cycle:``, ``compensation:``, ``objectives:``, ``interlocks:`` and ``log:``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from optimizer.config.base import Name, NonNegFloat, PositiveFloat, Section
from optimizer.config.cron import cron_problem


class LoopMode(StrEnum):
    CLOSED_LOOP = "closed_loop"
    ADVISORY = "advisory"


class CycleConfig(Section):
    period_s: PositiveFloat | None = Field(default=60.0, description="Cycle period in seconds.")
    cron: str | None = Field(
        default=None, description="Cron expression (5 fields) instead of period_s."
    )
    solver_time_limit_s: PositiveFloat = 10.0
    """Longest a solve may take, seconds (< period_s); the best safe plan found by then is used."""
    horizon_steps: int = Field(default=24, ge=1, le=10_000)
    """Number of periods planned ahead each cycle; only the first period is written."""
    step_minutes: PositiveFloat = 60.0
    """Length of one period, minutes; prices and demands are per period."""
    mip_gap: NonNegFloat = 0.01
    """Relative optimality gap at which HiGHS may stop (0.01 = within 1 % of the best possible)."""
    mode: LoopMode = LoopMode.CLOSED_LOOP
    """closed_loop writes setpoints; advisory computes and logs only."""
    misfire_grace_s: PositiveFloat = 5.0
    """A cycle that starts later than this after its due time is skipped, seconds."""
    clock_tag: Name | None = Field(
        default=None,
        description="Measurement tag whose value is the plant's current time (OPC UA "
        "DateTime, or seconds since 1970 UTC): the horizon starts there instead of at the "
        "computer's clock. `plantloop sim` serves it in simulated time, so a run against a "
        "fast simulator prices the simulated day. Empty: the computer's clock.",
    )

    @model_validator(mode="before")
    @classmethod
    def _cron_or_period(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("cron") is not None and "period_s" in data:
            raise ValueError(
                "period_s and cron are both given; keep one "
                "(the scheduler would use only one of them)"
            )
        return data

    @model_validator(mode="after")
    def _timing(self) -> CycleConfig:
        if self.cron is not None:
            problem = cron_problem(self.cron)
            if problem is not None:
                raise ValueError(problem)
            return self
        if self.period_s is None:
            raise ValueError("give period_s or cron")
        if self.solver_time_limit_s >= self.period_s:
            raise ValueError(
                f"solver_time_limit_s must be < period_s (got {self.solver_time_limit_s} >= "
                f"{self.period_s})"
            )
        return self


class EnergyCoupling(Section):
    """Carrier demand added per unit the variable lies above its reference (may be negative)."""

    carrier: Name
    """The carrier whose demand changes."""
    per_unit: float
    """Carrier rate per unit of the variable (negative: less demand)."""


class CvConfig(Section):
    tag: Name = Field(description="Measurement tag of the controlled variable.")
    target: float | None = None
    """Value to hold (give target, or low and/or high)."""
    low: float | None = None
    """Lower end of the allowed range."""
    high: float | None = None
    """Upper end of the allowed range."""
    priority: int = Field(default=1, ge=1, description="1 is the most important.")
    weight: PositiveFloat = Field(default=1.0, description="Penalty per unit of deviation.")
    unit: str = ""
    """Engineering unit, for people."""
    energy: list[EnergyCoupling] = Field(default_factory=list)
    """Carrier demand per unit the CV lies above its measured value (see docs/compensation.md)."""

    @model_validator(mode="after")
    def _target_or_range(self) -> CvConfig:
        if self.target is None and self.low is None and self.high is None:
            raise ValueError("give target, or low and/or high")
        if self.target is not None and (self.low is not None or self.high is not None):
            raise ValueError("give target or a low/high range, not both")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise ValueError(f"low must be <= high (got {self.low} > {self.high})")
        return self


class MvConfig(Section):
    tag: Name = Field(description="Setpoint tag the engine moves (bounds and move limits there).")
    move_cost: NonNegFloat = Field(default=0.0, description="Penalty per unit of move.")
    step: PositiveFloat | None = Field(
        default=None, description="Discrete MV: moves in integer multiples of this step."
    )
    energy: list[EnergyCoupling] = Field(default_factory=list)
    """Carrier demand per unit the MV is moved up (see docs/compensation.md)."""


class DisturbanceConfig(Section):
    tag: Name = Field(description="Measurement tag of the measured disturbance.")


class CompensationConfig(Section):
    """One steady-state compensation block: CVs respond linearly to MVs and disturbances."""

    cvs: dict[Name, CvConfig]
    """Controlled variables: measurements to hold at a target or in a range."""
    mvs: dict[Name, MvConfig]
    """Manipulated variables: setpoint tags plantloop may move."""
    disturbances: dict[Name, DisturbanceConfig] = Field(default_factory=dict)
    """Measured disturbances acting on the CVs through the gains."""
    gains: dict[Name, dict[Name, float]] = Field(
        description="gains[cv][mv or disturbance] = change of the CV per unit change."
    )


class ObjectiveTerm(StrEnum):
    COST = "cost"
    ENERGY = "energy"
    CO2 = "co2"
    DEVIATION = "deviation"
    PLAN_CHANGE = "plan_change"


class ObjectiveTermConfig(Section):
    term: ObjectiveTerm
    """cost, energy, co2, deviation or plan_change."""
    weight: PositiveFloat = 1.0
    """Multiplier of the term within its tier."""
    tier: int = Field(default=1, ge=1, description="1 is optimized first (strict priority).")


class ObjectivesConfig(Section):
    terms: list[ObjectiveTermConfig] = Field(min_length=1)
    """The objective terms; each term at most once."""
    tier_tolerance: NonNegFloat = Field(
        default=0.01,
        description="Relative slack a higher tier may give up while lower tiers are optimized.",
    )
    plan_change_steps: int = Field(
        default=2, ge=1, description="How many first periods the plan_change term looks at."
    )
    cv_limits_first: bool = Field(
        default=True,
        description="CV range limits outrank every objective tier: when a rank's limits "
        "cannot all be met, their violation is minimized first (rank 1 before rank 2) and "
        "held while the tiers are optimized. false: a given-up limit is only weighed in the "
        "deviation term (by weight, against cost if in the same tier). Either way a CV "
        "outside its limits is not moved further out unless a higher rank needs it.",
    )

    @model_validator(mode="after")
    def _unique(self) -> ObjectivesConfig:
        seen: set[str] = set()
        for t in self.terms:
            if t.term in seen:
                raise ValueError(f"objective term {t.term.value!r} is listed twice")
            seen.add(t.term)
        return self


class RuleAction(StrEnum):
    HOLD = "hold"
    FORCE_SAFE = "force_safe"
    BLOCK = "block"


class InterlockRule(Section):
    name: Name
    """Name shown in reasons and the decision log."""
    when: str = Field(
        description="Condition on tags, e.g. 'steam_header_p < 8.5 and not apc_enable'."
    )
    action: RuleAction
    """hold (no writes), force_safe (write safe_value) or block (the listed tags are not written).
    """
    tags: list[Name] = Field(
        default_factory=list,
        description="Setpoint tags the action applies to (empty: all setpoints).",
    )


class WatchdogConfig(Section):
    tag: Name
    """Tag of role watchdog that carries the counter."""
    increment: int = Field(default=1, ge=1)
    """Added to the counter on every healthy cycle."""
    modulo: int = Field(default=65536, ge=2, description="Counter wraps to 0 at this value.")
    timeout_s: PositiveFloat = Field(
        description="DCS-side shed time when the counter stops changing (documented, > 0)."
    )
    arm_cycles: int = Field(
        default=1,
        ge=0,
        description=(
            "Cycles that write (and get acknowledged) only the watchdog before the first "
            "setpoint write after start or after a shed, so a DCS that requires a live "
            "heartbeat sees one before it gets setpoints. 0: setpoints with the first beat."
        ),
    )


class InterlocksConfig(Section):
    permissive_tag: Name | None = None
    """Tag of role permissive: false means no setpoint writes. Empty: always permitted."""
    watchdog: WatchdogConfig | None = None
    """The heartbeat counter the DCS watches; empty: none."""
    sequence_tag: Name | None = Field(
        default=None,
        description=(
            "Counter tag (role watchdog) written in every batch that carries setpoints, with "
            "the cycle number modulo 2^31, so the DCS can check each command is the latest."
        ),
    )
    max_bad_reads: int = Field(
        default=3, ge=1, description="Consecutive cycles with bad critical data before shedding."
    )
    max_solver_failures: int = Field(
        default=3, ge=1, description="Consecutive solver failures before shedding to advisory."
    )
    max_write_failures: int = Field(
        default=3,
        ge=1,
        description=(
            "Consecutive write_failed cycles (refused, timed out or not read back) before "
            "shedding to advisory; the watchdog stops advancing from the first failure."
        ),
    )
    max_clock_skew_s: NonNegFloat = Field(
        default=5.0,
        description=(
            "A source timestamp further than this ahead of plantloop's clock makes the "
            "reading bad (the server's clock or the value is wrong)."
        ),
    )
    rules: list[InterlockRule] = Field(default_factory=list)
    """Interlock rules: a condition and an action on listed setpoints."""


class LogConfig(Section):
    path: Path = Path("plantloop-decisions.sqlite")
    """Decision log file (SQLite), relative to the config's folder."""
    retention_days: int | None = Field(default=365, ge=1)
    """Days of records kept; null keeps everything (see docs/decision-log.md)."""
