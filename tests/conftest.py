"""Shared fixtures. Tests use real parts: HiGHS, asyncua servers on 127.0.0.1, SQLite files."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"


@pytest.fixture
def demo_config_path() -> Path:
    return CONFIG_DIR / "demo.yaml"
