"""The exact edges of what a node takes, and of what counts as read back equal (pure; no
server). The limits are written out here, not taken from the code under test."""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import pytest
from asyncua import ua

from optimizer.errors import WriteRefused
from optimizer.plantio.ua_values import to_variant, values_match

VT = ua.VariantType
RANGES = [
    (VT.SByte, -128, 127),
    (VT.Byte, 0, 255),
    (VT.Int16, -32768, 32767),
    (VT.UInt16, 0, 65535),
    (VT.Int32, -(2**31), 2**31 - 1),
    (VT.UInt32, 0, 2**32 - 1),
    (VT.Int64, -(2**63), 2**63 - 1),
    (VT.UInt64, 0, 2**64 - 1),
]
FLOAT32_MAX = 3.4028234663852886e38


@pytest.mark.parametrize(("vtype", "lo", "hi"), RANGES)
def test_integer_node_takes_exactly_its_range(vtype: ua.VariantType, lo: int, hi: int) -> None:
    for ok in (lo, hi):
        variant, py = to_variant(ok, vtype, "t")
        assert py == ok and variant.VariantType is vtype and variant.Value == ok
    for bad in (lo - 1, hi + 1):
        with pytest.raises(WriteRefused, match=rf"^tag t: refused, {bad} is outside the "):
            to_variant(bad, vtype, "t")


def test_a_whole_float_goes_to_an_integer_node_and_a_fraction_is_refused() -> None:
    assert to_variant(7.0, VT.Int32, "t")[1] == 7
    assert to_variant(np.float32(7.0), VT.Int16, "t")[1] == 7
    with pytest.raises(WriteRefused, match=r"node is Int32; 7.5 is not whole"):
        to_variant(7.5, VT.Int32, "t")


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_float_node_takes_up_to_float32_max(sign: float) -> None:
    variant, py = to_variant(sign * FLOAT32_MAX, VT.Float, "t")
    assert py == sign * FLOAT32_MAX and variant.VariantType is VT.Float
    beyond = sign * math.nextafter(FLOAT32_MAX, math.inf)
    with pytest.raises(WriteRefused, match="does not fit a Float node"):
        to_variant(beyond, VT.Float, "t")
    assert to_variant(beyond, VT.Double, "t")[1] == beyond  # a Double takes it


@pytest.mark.parametrize(
    ("vtype", "sent", "back", "equal"),
    [
        # Float: 1e-6 relative, 1e-6 absolute
        (VT.Float, 1.0, 1.0 + 0.5e-6, True),
        (VT.Float, 1.0, 1.0 + 3e-6, False),
        (VT.Float, 1e6, 1e6 + 0.5, True),
        (VT.Float, 1e6, 1e6 + 3.0, False),
        (VT.Float, 0.0, 0.5e-6, True),
        (VT.Float, 0.0, 3e-6, False),
        (VT.Float, 1.0, 1.5, False),
        # Double: 1e-12
        (VT.Double, 1.0, 1.0 + 0.5e-12, True),
        (VT.Double, 1.0, 1.0 + 0.5e-6, False),
        (VT.Double, 1e6, 1e6 + 0.5e-6, True),
        (VT.Double, 1e6, 1e6 + 3e-6, False),
        (VT.Double, 0.0, 0.5e-12, True),
        (VT.Double, 0.0, 3e-12, False),
        (VT.Double, 1.0, 1.5, False),
        # integers and Booleans: exactly
        (VT.UInt32, 7, 7, True),
        (VT.UInt32, 7, 8, False),
        (VT.Boolean, True, True, True),
        (VT.Boolean, True, False, False),
        # nothing or an array read back is never equal
        (VT.Double, 1.0, None, False),
        (VT.Double, 1.0, (1.0,), False),
    ],
)
def test_read_back_tolerance(
    vtype: ua.VariantType, sent: object, back: object, equal: bool
) -> None:
    assert values_match(sent, back, vtype) is equal  # type: ignore[arg-type]


def test_a_whole_decimal_beyond_float_precision_keeps_every_digit() -> None:
    big = 2**53 + 1  # a float would make it 2**53
    assert to_variant(Decimal(big), VT.Int64, "t")[1] == big


@pytest.mark.parametrize(
    ("value", "vtype", "message"),
    [
        ("1", VT.Double, "tag t: refused, '1' is not a number"),
        (0.4, VT.Boolean, "tag t: refused, node is Boolean and 0.4 is not 0 or 1"),
        (1e39, VT.Float, "tag t: refused, 1e+39 does not fit a Float node"),
        (1.0, VT.String, "tag t: node data type String cannot take a number"),
    ],
)
def test_a_refusal_names_the_tag_and_the_value(
    value: object, vtype: ua.VariantType, message: str
) -> None:
    with pytest.raises(WriteRefused) as e:
        to_variant(value, vtype, "t")
    assert str(e.value) == message
