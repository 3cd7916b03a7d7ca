"""Synthetic plant configs of any size, for benchmarks and scale tests.

``synthetic_config(n_setpoints=1000, n_units=20)``: ``n_units`` gas boilers feeding a steam
demand (each with available/running/load/setpoint tags), a grid with a TOU price and a
battery, and extra stand-alone setpoint tags (``sp_0001`` ...) up to ``n_setpoints``.
"""

from __future__ import annotations

from typing import Any

from optimizer.config.schema import PlantConfig


def synthetic_config(
    n_setpoints: int = 100,
    *,
    n_units: int = 2,
    horizon_steps: int = 24,
    step_minutes: float = 60.0,
    namespace_uri: str = "urn:plantloop:synthetic",
) -> PlantConfig:
    n_units = min(n_units, max(0, n_setpoints - 1))
    tags: dict[str, Any] = {
        "enable": {"node": "s=Plant.Enable", "role": "permissive", "critical": True},
        "watchdog": {"node": "s=Plant.Watchdog", "role": "watchdog"},
        "steam_fc": {"node": "s=Forecast.Steam", "role": "forecast", "valid_min": 0},
        "soc": {"node": "s=Battery.SoC", "role": "measurement", "valid_min": 0, "valid_max": 1},
        "battery_sp": {
            "node": "s=Battery.PowerSP",
            "role": "setpoint",
            "setpoint": {"min": -1, "max": 1, "max_up": 0.5, "max_down": 0.5},
        },
    }
    units: dict[str, Any] = {
        "grid": {
            "type": "grid",
            "carrier": "electricity",
            "max_import": 10 + n_units,
            "max_export": 0,
            "import_price": {
                "tou": [
                    {"start": "00:00", "value": 80},
                    {"start": "07:00", "value": 180},
                    {"start": "20:00", "value": 110},
                ]
            },
        },
        "battery": {
            "type": "storage",
            "carrier": "electricity",
            "capacity": 2,
            "max_charge": 1,
            "max_discharge": 1,
            "soc_tag": "soc",
            "setpoint_tag": "battery_sp",
        },
    }
    for i in range(1, n_units + 1):
        u = f"boiler{i:03d}"
        tags[f"{u}_avail"] = {"node": f"s=B{i:03d}.Available", "role": "measurement"}
        tags[f"{u}_running"] = {"node": f"s=B{i:03d}.Running", "role": "measurement"}
        tags[f"{u}_load"] = {"node": f"s=B{i:03d}.Load", "role": "measurement", "valid_min": 0}
        tags[f"{u}_sp"] = {
            "node": f"s=B{i:03d}.LoadSP",
            "role": "setpoint",
            "setpoint": {"min": 0, "max": 10, "max_up": 3, "max_down": 3},
        }
        units[u] = {
            "type": "boiler",
            "input": "gas",
            "output": "steam",
            "min_load": 2,
            "max_load": 10,
            "curve": [{"load": 2, "input": 2.0 + 0.01 * i}, {"load": 10, "input": 8.8 + 0.02 * i}],
            "availability_tag": f"{u}_avail",
            "status_tag": f"{u}_running",
            "load_tag": f"{u}_load",
            "setpoint_tag": f"{u}_sp",
        }
    for k in range(1, n_setpoints - n_units):
        tags[f"sp_{k:05d}"] = {
            "node": f"s=Process.SP{k:05d}",
            "role": "setpoint",
            "setpoint": {"min": 0, "max": 100, "max_up": 5, "max_down": 5},
        }
    data: dict[str, Any] = {
        "plant": {"name": f"synthetic_{n_setpoints}"},
        "connection": {
            "endpoint": "opc.tcp://127.0.0.1:4840/plantloop/sim",
            "namespace_uri": namespace_uri,
            "security": {"policy": "None", "mode": "None"},
        },
        "cycle": {"horizon_steps": horizon_steps, "step_minutes": step_minutes},
        "tags": tags,
        "carriers": {
            "electricity": {"unit": "MW"},
            "gas": {"unit": "MW"},
            "steam": {"unit": "t/h"},
        },
        "demands": {"steam": {"carrier": "steam", "forecast": {"tag": "steam_fc"}}},
        "units": units,
        "tariffs": {"fuels": {"gas": {"price": {"value": 40}}}},
        "objectives": {"terms": [{"term": "cost"}]},
        "interlocks": {
            "permissive_tag": "enable",
            "watchdog": {"tag": "watchdog", "timeout_s": 30},
        },
    }
    return PlantConfig.model_validate(data)
