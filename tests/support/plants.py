"""Example plants the model tests share."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from models.inputs import ModelInputs
from models.plant_model import PlantModel
from optimizer.config.loader import load_config_text

ROOT = Path(__file__).resolve().parents[2]


def utility_cut(steps: int) -> tuple[PlantModel, ModelInputs]:
    """``config/utility.yaml`` with its state file, cut to the first ``steps`` periods."""
    text = (ROOT / "config" / "utility.yaml").read_text()
    cfg = load_config_text(text.replace("horizon_steps: 96", f"horizon_steps: {steps}"), "u.yaml")
    data = json.loads((ROOT / "config" / "utility-state.json").read_text())
    for k in ("heat_fc", "elec_fc", "pv_fc"):
        data[k] = data[k][:steps]
    start = data.pop("_start")
    inputs = ModelInputs.from_mapping(data, cfg, start=datetime.fromisoformat(start))
    return PlantModel(cfg), inputs
