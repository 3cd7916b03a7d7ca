"""Fixtures for the simulated plant: the demo config, a started simulator, a plain client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import Client, ua
from ruamel.yaml import YAML

from optimizer.config.schema import PlantConfig
from optimizer.sim import SimulatedPlant

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)


def load(name: str) -> PlantConfig:
    return PlantConfig.model_validate(YAML(typ="safe").load((REPO / "config" / name).read_text()))


@pytest.fixture(scope="session")
def demo_cfg() -> PlantConfig:
    return load("demo.yaml")


class FakeWall:
    """A wall clock the test moves by hand (watchdog, timestamps)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 6, 15, 6, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def tick(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def wall() -> FakeWall:
    return FakeWall()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_sim(demo_cfg: PlantConfig) -> AsyncIterator[SimulatedPlant]:
    """One demo-plant server per test module (asyncua's start-up costs ~2 s)."""
    async with SimulatedPlant(demo_cfg, speed=0.0, seed=3, start=START) as s:
        yield s


@pytest.fixture
def sim(shared_sim: SimulatedPlant, wall: FakeWall) -> SimulatedPlant:
    """The shared server with a fresh plant: time moves only through advance(), the wall
    clock by hand."""
    shared_sim.reset(seed=3, start=START, wall_clock=wall)
    return shared_sim


class Tags:
    """A plain asyncua client bound to a config's tags."""

    def __init__(self, client: Client, cfg: PlantConfig, idx: int) -> None:
        self.client, self.cfg, self.idx = client, cfg, idx

    def nid(self, tag: str) -> ua.NodeId:
        node = self.cfg.tags[tag].node if tag in self.cfg.tags else f"s={tag}"
        return ua.NodeId.from_string(f"ns={self.idx};{node}")

    async def read(self, *tags: str) -> list[ua.DataValue]:
        return await self.client.uaclient.read_attributes(
            [self.nid(t) for t in tags], ua.AttributeIds.Value
        )

    async def value(self, tag: str) -> object:
        return (await self.read(tag))[0].Value.Value

    async def write(self, tag: str, value: object, vtype: ua.VariantType) -> str:
        (st,) = await self.client.uaclient.write_attributes(
            [self.nid(tag)], [ua.DataValue(ua.Variant(value, vtype))]
        )
        return str(st.name)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def tags(shared_sim: SimulatedPlant, demo_cfg: PlantConfig) -> AsyncIterator[Tags]:
    async with Client(shared_sim.endpoint, timeout=4) as c:
        idx = await c.get_namespace_index(demo_cfg.connection.namespace_uri)
        yield Tags(c, demo_cfg, idx)


Double = ua.VariantType.Double
UInt32 = ua.VariantType.UInt32
Boolean = ua.VariantType.Boolean
String = ua.VariantType.String
WallFn = Callable[[], datetime]
