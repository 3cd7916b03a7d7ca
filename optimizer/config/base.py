"""Shared pydantic base for every config section: strict, frozen, unknown keys refused."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]*$", min_length=1)]
"""A config identifier (tag, unit, carrier, ...): letters, digits, ``_ . -``; no spaces."""

PositiveFloat = Annotated[float, Field(gt=0)]
NonNegFloat = Annotated[float, Field(ge=0)]
Fraction = Annotated[float, Field(ge=0, le=1)]


class Section(BaseModel):
    """Base for all config sections: extra keys forbidden, immutable after load, and every
    number finite (a NaN gain or an infinite price would solve to a wrong plan reported as
    ok)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        populate_by_name=False,
        allow_inf_nan=False,
        use_attribute_docstrings=True,  # a field's docstring is its description
    )
