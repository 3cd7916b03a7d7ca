"""The simulator works for any valid config, not only the demo plant."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from asyncua import Client, ua

from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagRole
from optimizer.sim import SimulatedPlant
from optimizer.sim.binding import Source
from optimizer.sim.dynamics import PlantDynamics
from tests.sim.conftest import REPO, START, load


def _air_and_cooling() -> PlantConfig:
    """Compressed air + cooling with PV, price forecast tags, operator limits, a non-ambient
    disturbance and a numeric node id: shapes the demo plant does not have."""
    sp = {"min": 0, "max": 10, "max_up": 2, "max_down": 2}
    data: dict[str, Any] = {
        "plant": {"name": "air_site", "timezone": "Europe/Berlin"},
        "connection": {
            "endpoint": "opc.tcp://127.0.0.1:4840/x",
            "namespace_uri": "urn:test:air",
            "security": {"policy": "None", "mode": "None"},
        },
        "cycle": {"horizon_steps": 8, "step_minutes": 15},
        "tags": {
            "ok": {"node": "i=5001", "role": "permissive"},
            "hb": {"node": "s=Hb", "role": "watchdog"},
            "air_fc": {"node": "s=Air.Fc", "role": "forecast", "valid_min": 0, "valid_max": 40},
            "pv_fc": {"node": "s=Pv.Fc", "role": "forecast", "valid_min": 0, "valid_max": 3},
            "price_fc": {"node": "s=Price.Fc", "role": "forecast"},
            "c1_sp": {"node": "s=C1.SP", "role": "setpoint", "setpoint": sp},
            "c1_hours": {"node": "s=C1.Hours", "role": "measurement"},
            "c1_max": {"node": "s=C1.OpMax", "role": "measurement"},
            "c2_sp": {
                "node": "s=C2.SP",
                "role": "setpoint",
                "setpoint": {**sp, "operator_max_tag": "c1_max"},
            },
            "air_p": {
                "node": "s=Air.Pressure",
                "role": "measurement",
                "valid_min": 0,
                "valid_max": 10,
            },
            "air_p_sp": {
                "node": "s=Air.PressureSP",
                "role": "setpoint",
                "setpoint": {"min": 6, "max": 8, "max_up": 0.2, "max_down": 0.2},
            },
            "feed": {
                "node": "s=Feed.Rate",
                "role": "measurement",
                "valid_min": 0,
                "valid_max": 100,
            },
            "mystery": {
                "node": "s=Other.Thing",
                "role": "measurement",
                "valid_min": 2,
                "valid_max": 4,
            },
        },
        "carriers": {"electricity": {"unit": "MW"}, "air": {"unit": "Nm3/min"}},
        "demands": {"air": {"carrier": "air", "forecast": {"tag": "air_fc"}}},
        "units": {
            "c1": {
                "type": "compressor",
                "input": "electricity",
                "output": "air",
                "min_load": 2,
                "max_load": 10,
                "curve": [{"load": 2, "input": 0.3}, {"load": 10, "input": 1.1}],
                "setpoint_tag": "c1_sp",
                "time_in_state_tag": "c1_hours",
            },
            "c2": {
                "type": "compressor",
                "input": "electricity",
                "output": "air",
                "min_load": 2,
                "max_load": 10,
                "curve": [{"load": 2, "input": 0.35}, {"load": 10, "input": 1.2}],
                "setpoint_tag": "c2_sp",
            },
            "c3": {
                "type": "compressor",
                "input": "electricity",
                "output": "air",
                "min_load": 2,
                "max_load": 10,
                "curve": [{"load": 2, "input": 0.4}, {"load": 10, "input": 1.3}],
            },
            "pv": {"type": "renewable", "carrier": "electricity", "forecast": {"tag": "pv_fc"}},
            "grid": {
                "type": "grid",
                "carrier": "electricity",
                "max_import": 5,
                "max_export": 1,
                "import_price": {"tag": "price_fc"},
            },
        },
        "compensation": {
            "air": {
                "cvs": {"pressure": {"tag": "air_p", "low": 6.5, "high": 7.5}},
                "mvs": {
                    "psp": {"tag": "air_p_sp", "energy": [{"carrier": "air", "per_unit": 2.0}]}
                },
                "disturbances": {"feed": {"tag": "feed"}},
                "gains": {"pressure": {"psp": 0.9, "feed": -0.01}},
            }
        },
        "objectives": {"terms": [{"term": "cost"}, {"term": "deviation"}]},
        "interlocks": {"permissive_tag": "ok", "watchdog": {"tag": "hb", "timeout_s": 20}},
    }
    return PlantConfig.model_validate(data)


def test_unusual_config_binds_every_tag() -> None:
    cfg = _air_and_cooling()
    d = PlantDynamics(cfg, seed=1, start=START)
    b = d.bindings
    assert b["price_fc"].source is Source.IMPORT_PRICE and b["pv_fc"].source is Source.RENEWABLE
    assert b["c1_max"].source is Source.OPERATOR_MAX and d.values["c1_max"] == 10.0
    assert b["feed"].source is Source.DISTURBANCE and b["mystery"].source is Source.CONSTANT
    assert 2 <= d.values["mystery"] <= 4  # type: ignore[operator]
    d.step(6 * 3600)
    assert d.actual.bought["electricity"] > 0
    assert d.baseline.hours == pytest.approx(6.0)
    pv = d.values["pv_fc"]
    assert isinstance(pv, tuple) and len(pv) == 8 and max(pv) <= 3.0


async def test_unusual_config_is_served() -> None:
    cfg = _air_and_cooling()
    async with SimulatedPlant(cfg, speed=0, start=START) as sim, Client(sim.endpoint) as c:
        idx = await c.get_namespace_index("urn:test:air")
        names = list(cfg.tags)
        ids = [ua.NodeId.from_string(f"ns={idx};{cfg.tags[n].node}") for n in names]
        dvs = await c.uaclient.read_attributes(ids, ua.AttributeIds.Value)
        for n, dv in zip(names, dvs, strict=True):
            assert dv.StatusCode.is_good(), n
            if cfg.tags[n].role is TagRole.FORECAST:
                assert len(dv.Value.Value) == 8
                assert all(math.isfinite(v) for v in dv.Value.Value)
        assert dvs[0].Value.VariantType == ua.VariantType.Boolean  # i=5001 permissive


@pytest.mark.parametrize(
    "path", sorted((REPO / "config").glob("*.yaml")), ids=lambda p: Path(p).name
)
def test_every_example_config_simulates(path: Path) -> None:
    cfg = load(path.name)
    d = PlantDynamics(cfg, seed=0, start=START)
    for _ in range(24):
        d.step(3600)
    assert set(d.values) == set(cfg.tags)
    assert d.baseline.cost > 0 and d.actual.cost > 0
