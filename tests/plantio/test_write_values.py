"""Values the node cannot hold are refused per node type before anything is sent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from asyncua import ua

from optimizer.config.loader import load_config
from optimizer.config.schema import PlantConfig
from optimizer.errors import NodeError, WriteRefused
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.ua_values import counters_fit, from_variant, to_variant
from optimizer.sim import SimulatedPlant

REPO = Path(__file__).resolve().parents[2]
VT = ua.VariantType


@pytest.fixture
async def io() -> AsyncIterator[tuple[OpcUaPlantIO, SimulatedPlant]]:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    async with SimulatedPlant(cfg, port=0, speed=0) as sim:
        conn = cfg.connection.model_copy(update={"endpoint": sim.endpoint})
        plant = OpcUaPlantIO(cfg.model_copy(update={"connection": conn}))
        await plant.connect()
        try:
            yield plant, sim
        finally:
            await plant.close()


@pytest.mark.parametrize(
    "value", [np.float32("nan"), np.float32("inf"), Decimal("NaN"), Decimal("-Infinity")]
)
async def test_non_finite_of_any_type_is_refused_before_sending(
    io: tuple[OpcUaPlantIO, SimulatedPlant], value: object
) -> None:
    plant, _ = io
    snap = await plant.read()
    before = snap.readings["boiler1_sp"].value
    with pytest.raises(WriteRefused, match="not finite"):
        await plant.write({"boiler1_sp": value}, epoch=snap.epoch)  # type: ignore[dict-item]
    assert (await plant.read()).readings["boiler1_sp"].value == before


async def test_out_of_range_integer_is_a_refusal_not_a_lost_connection(
    io: tuple[OpcUaPlantIO, SimulatedPlant],
) -> None:
    plant, _ = io
    epoch = (await plant.read()).epoch
    # the simulator's watchdog node is UInt32
    with pytest.raises(
        WriteRefused,
        match=r"^tag plantloop_watchdog: refused, 4294967296 is outside the UInt32 range",
    ):
        await plant.write({"plantloop_watchdog": 2**32, "boiler1_sp": 8.0}, epoch=epoch)
    assert plant.state.value == "connected"
    rep = await plant.write({"plantloop_watchdog": 2**32 - 1}, epoch=epoch)
    assert rep.all_ok


@pytest.mark.parametrize("value", [0.4, 2, -1.0, "1", None])
def test_boolean_node_takes_only_bools_or_exact_0_1(value: object) -> None:
    with pytest.raises(WriteRefused):
        to_variant(value, VT.Boolean, "t")


@pytest.mark.parametrize(("value", "want"), [(True, True), (0, False), (1.0, True)])
def test_boolean_node_accepts(value: object, want: bool) -> None:
    variant, py = to_variant(value, VT.Boolean, "t")
    assert py is want and variant.VariantType is VT.Boolean


@pytest.mark.parametrize(
    ("vtype", "value"),
    [(VT.Int16, 32768), (VT.UInt16, -1), (VT.UInt32, 2**32), (VT.Byte, 256.0), (VT.Float, 1e39)],
)
def test_out_of_range_per_type(vtype: ua.VariantType, value: object) -> None:
    with pytest.raises(WriteRefused, match="refused"):
        to_variant(value, vtype, "t")


def test_numpy_and_decimal_in_range_are_sent_as_the_node_type() -> None:
    assert to_variant(np.int64(7), VT.Int16, "t")[1] == 7
    assert to_variant(Decimal("12"), VT.UInt32, "t")[1] == 12
    assert to_variant(np.float32(2.5), VT.Double, "t")[1] == 2.5


def _cfg(modulo: int) -> PlantConfig:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    il = cfg.interlocks
    assert il.watchdog is not None
    wd = il.watchdog.model_copy(update={"modulo": modulo})
    return cfg.model_copy(update={"interlocks": il.model_copy(update={"watchdog": wd})})


def test_watchdog_modulo_must_fit_the_node_type() -> None:
    ok = {"plantloop_watchdog": VT.UInt16, "plantloop_sequence": VT.Int32}
    counters_fit(_cfg(65536), ok)
    with pytest.raises(NodeError, match=r"interlocks.watchdog.modulo: .* Int16 .* at most 32768"):
        counters_fit(_cfg(65536), {**ok, "plantloop_watchdog": VT.Int16})
    with pytest.raises(NodeError, match=r"interlocks\.sequence_tag"):
        counters_fit(_cfg(100), {**ok, "plantloop_sequence": VT.UInt16})


async def test_reused_request_objects_carry_each_cycles_values(
    io: tuple[OpcUaPlantIO, SimulatedPlant],
) -> None:
    """The write batch is built once and reused: every cycle still sends its own values."""
    plant, _ = io
    for value in (7.5, 9.25, 7.5):
        snap = await plant.read()
        rep = await plant.write({"boiler1_sp": value, "boiler2_sp": value - 1}, epoch=snap.epoch)
        assert rep.all_ok
        assert [o.read_back for o in rep.outcomes] == [value, value - 1]
        after = (await plant.read()).readings
        assert (after["boiler1_sp"].value, after["boiler2_sp"].value) == (value, value - 1)


async def test_a_read_is_stamped_in_utc(io: tuple[OpcUaPlantIO, SimulatedPlant]) -> None:
    """A naive local time would shift every age check by the host's UTC offset."""
    plant, _ = io
    before = datetime.now(UTC)
    snap = await plant.read()
    assert snap.read_at.tzinfo is UTC and before <= snap.read_at <= datetime.now(UTC)


def test_counter_limits_at_their_exact_edges_and_for_every_node_kind() -> None:
    ok = {"plantloop_watchdog": VT.UInt16, "plantloop_sequence": VT.Int32}
    counters_fit(_cfg(32768), {**ok, "plantloop_watchdog": VT.Int16})  # 0..32767 fits
    with pytest.raises(
        NodeError,
        match=r"counter up to 32768 does not fit .*\(at most 32767\); set modulo to at most 32768$",
    ):
        counters_fit(_cfg(32769), {**ok, "plantloop_watchdog": VT.Int16})
    counters_fit(_cfg(65536), {**ok, "plantloop_watchdog": VT.Double})  # exact to 2**53
    counters_fit(_cfg(2), {**ok, "plantloop_watchdog": VT.Boolean})
    with pytest.raises(NodeError, match="Boolean"):
        counters_fit(_cfg(3), {**ok, "plantloop_watchdog": VT.Boolean})
    with pytest.raises(NodeError, match=r"String \(at most 0\)"):  # no number fits a String
        counters_fit(_cfg(2), {**ok, "plantloop_watchdog": VT.String})
    with pytest.raises(
        NodeError,
        match=r"^interlocks\.sequence_tag: counter up to 2147483647 "
        r".*32 bits or more \(it counts to 2147483647\)$",
    ):
        counters_fit(_cfg(100), {**ok, "plantloop_sequence": VT.UInt16})


def test_whole_numbers_read_back_as_int_and_reals_as_float() -> None:
    assert type(from_variant(ua.Variant(7, VT.Int32))) is int
    assert type(from_variant(ua.Variant(7.0, VT.Double))) is float
