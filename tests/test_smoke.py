from pathlib import Path

from ruamel.yaml import YAML

from optimizer.config.schema import PlantConfig


def test_demo_config_validates(demo_config_path: Path) -> None:
    data = YAML(typ="safe").load(demo_config_path.read_text())
    cfg = PlantConfig.model_validate(data)
    assert set(cfg.setpoint_tags) >= {"boiler1_sp", "battery_sp", "hx_steam_sp"}
