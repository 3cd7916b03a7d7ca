"""Plant configuration: schema, YAML loading with line numbers, cross-section checks."""

from optimizer.config.schema import PlantConfig

__all__ = ["PlantConfig"]
