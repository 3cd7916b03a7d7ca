"""Small random plants for safety property tests: setpoints with random limits and modes."""

from __future__ import annotations

from typing import Any

from optimizer.config.schema import PlantConfig


def plant(
    setpoints: list[dict[str, Any]],
    rules: list[dict[str, Any]],
    *,
    max_solver_failures: int = 2,
    max_bad_reads: int = 2,
    frozen_cycles: int | None = None,
    sequence: bool = False,
    arm_cycles: int = 0,
    max_write_failures: int = 3,
    tag_over: dict[str, dict[str, Any]] | None = None,
    interlocks_over: dict[str, Any] | None = None,
) -> PlantConfig:
    """Step tables about other rules start writing at once (``arm_cycles`` 0); the arming
    default is tested on its own."""
    tags: dict[str, Any] = {
        "enable": {"node": "s=enable", "role": "permissive", "critical": True},
        "wd": {"node": "s=wd", "role": "watchdog"},
        "temp": {
            "node": "s=temp",
            "role": "measurement",
            "valid_min": -50,
            "valid_max": 200,
            "max_change": 20,
            "frozen_cycles": frozen_cycles,
            "max_age_s": 60,
            "critical": True,
        },
        "flow": {
            "node": "s=flow",
            "role": "measurement",
            "valid_min": 0,
            "valid_max": 100,
            "max_bad_reads": 2,
        },
        "op_hi": {"node": "s=op_hi", "role": "measurement"},
    }
    for i, sp in enumerate(setpoints):
        tags[f"sp{i}"] = {"node": f"s=sp{i}", "role": "setpoint", "setpoint": sp}
    for name, over in (tag_over or {}).items():
        tags[name] = {**tags[name], **over}
    data = {
        "plant": {"name": "prop"},
        "connection": {
            "endpoint": "opc.tcp://127.0.0.1:1",
            "namespace_uri": "urn:x",
            "security": {"policy": "None", "mode": "None"},
        },
        "cycle": {"period_s": 10, "solver_time_limit_s": 5},
        "tags": tags,
        "carriers": {"electricity": {"unit": "MW"}},
        "units": {
            "grid": {
                "type": "grid",
                "carrier": "electricity",
                "max_import": 10,
                "import_price": {"value": 100},
            }
        },
        "objectives": {"terms": [{"term": "cost"}]},
        "interlocks": {
            "permissive_tag": "enable",
            "watchdog": {"tag": "wd", "timeout_s": 30, "modulo": 1000, "arm_cycles": arm_cycles},
            "max_write_failures": max_write_failures,
            "max_solver_failures": max_solver_failures,
            "max_bad_reads": max_bad_reads,
            "rules": rules,
        },
    }
    data["interlocks"].update(interlocks_over or {})
    if sequence:
        tags["seq"] = {"node": "s=seq", "role": "watchdog"}
        data["interlocks"]["sequence_tag"] = "seq"
    return PlantConfig.model_validate(data)
