"""``tags:`` — every OPC UA variable plantloop reads or writes, by name."""

from __future__ import annotations

import math
from enum import StrEnum

from pydantic import Field, model_validator

from optimizer.config.base import Name, NonNegFloat, PositiveFloat, Section


class TagRole(StrEnum):
    MEASUREMENT = "measurement"
    SETPOINT = "setpoint"
    PERMISSIVE = "permissive"
    WATCHDOG = "watchdog"
    FORECAST = "forecast"


class WriteMode(StrEnum):
    CLOSED_LOOP = "closed_loop"
    SHADOW = "shadow"


class SetpointLimits(Section):
    """Write limits of a setpoint tag. Every written value obeys all of them."""

    min: float
    """Hard lower limit of every value written."""
    max: float
    """Hard upper limit of every value written."""
    max_up: PositiveFloat | None = Field(
        default=None, description="Largest increase per cycle from the current setpoint."
    )
    max_down: PositiveFloat | None = Field(
        default=None, description="Largest decrease per cycle from the current setpoint."
    )
    deadband: NonNegFloat = Field(
        default=0.0, description="Moves smaller than this are not written."
    )
    safe_value: float | None = Field(
        default=None, description="Value written by a 'force_safe' interlock rule."
    )
    mode: WriteMode = WriteMode.CLOSED_LOOP
    """closed_loop writes; shadow computes and logs but never writes this tag."""
    operator_min_tag: Name | None = None
    """Measurement tag with the operator's low limit (tightens min while it reads)."""
    operator_max_tag: Name | None = None
    """Measurement tag with the operator's high limit (tightens max while it reads)."""
    operator_limit_ramp: PositiveFloat | None = Field(
        default=None,
        description=(
            "When a tightened operator limit leaves the setpoint outside it, the limit in force "
            "each cycle is the setpoint moved this much toward it, until it is reached "
            "(empty: the limit applies at once; a setpoint more than one move outside is held)."
        ),
    )

    @model_validator(mode="after")
    def _ordered(self) -> SetpointLimits:
        if not (math.isfinite(self.min) and math.isfinite(self.max)):
            raise ValueError("min and max must be finite numbers")
        if self.min > self.max:
            raise ValueError(f"min must be <= max (got min {self.min} > max {self.max})")
        if self.safe_value is not None and not (self.min <= self.safe_value <= self.max):
            raise ValueError(
                f"safe_value must lie within [min, max] = [{self.min}, {self.max}] "
                f"(got {self.safe_value})"
            )
        ramp = self.operator_limit_ramp
        if ramp is not None:
            if self.operator_min_tag is None and self.operator_max_tag is None:
                raise ValueError("operator_limit_ramp needs operator_min_tag or operator_max_tag")
            for side, tag, move in (
                ("max_down", self.operator_max_tag, self.max_down),
                ("max_up", self.operator_min_tag, self.max_up),
            ):
                if tag is not None and move is not None and ramp > move:
                    raise ValueError(
                        f"operator_limit_ramp {ramp:g} exceeds {side} {move:g}: the setpoint "
                        f"could not follow the limit; set operator_limit_ramp <= {move:g}"
                    )
        return self


class TagConfig(Section):
    node: str = Field(
        description="Node id inside the connection's namespace, e.g. 's=Boiler1.Load' or 'i=1001'.",
        pattern=r"^(s|i|g|b)=.+",
    )
    role: TagRole
    """measurement, setpoint (written), permissive, watchdog (written counter) or forecast
    (array over the horizon)."""
    unit: str = ""
    """Engineering unit, for people (no conversion is done)."""
    description: str = ""
    """Free text for people."""
    valid_min: float | None = Field(default=None, description="Lowest believable value.")
    valid_max: float | None = Field(default=None, description="Highest believable value.")
    max_age_s: PositiveFloat | None = Field(
        default=None, description="Oldest acceptable source timestamp (seconds)."
    )
    max_change: PositiveFloat | None = Field(
        default=None, description="Largest believable change between two cycles."
    )
    frozen_cycles: int | None = Field(
        default=None, ge=2, description="Flag the value if it is unchanged for this many reads."
    )
    accept_uncertain: bool = False
    """Use readings with status Uncertain (otherwise they are bad data)."""
    critical: bool = False
    """A bad reading of this tag stops all setpoint writes for the cycle."""
    max_bad_reads: int = Field(
        default=1,
        ge=0,
        description="Non-critical inputs: last good value is substituted for up to this many "
        "consecutive bad reads.",
    )
    setpoint: SetpointLimits | None = None
    """Write limits; required for role setpoint, refused for the others."""

    @model_validator(mode="after")
    def _role_fields(self) -> TagConfig:
        if (
            self.valid_min is not None
            and self.valid_max is not None
            and self.valid_min > self.valid_max
        ):
            raise ValueError(
                f"valid_min must be <= valid_max (got {self.valid_min} > {self.valid_max})"
            )
        if self.role is TagRole.SETPOINT:
            if self.setpoint is None:
                raise ValueError("a setpoint tag needs a 'setpoint:' block with min and max")
            sp = self.setpoint
            if self.valid_min is not None and sp.min < self.valid_min:
                raise ValueError(f"setpoint.min {sp.min} lies below valid_min {self.valid_min}")
            if self.valid_max is not None and sp.max > self.valid_max:
                raise ValueError(f"setpoint.max {sp.max} lies above valid_max {self.valid_max}")
        elif self.setpoint is not None:
            raise ValueError(
                f"only role setpoint takes a 'setpoint:' block (this tag is {self.role.value})"
            )
        return self
