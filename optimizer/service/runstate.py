"""Lifecycle of the loop service."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
