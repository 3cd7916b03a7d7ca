"""Run a ``plantloop`` command in this process and capture what the operator would see."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from optimizer.cli import _common, run_main

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


Cli = Callable[..., Ran]


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Cli:
    def run(*argv: str, cwd: Path = REPO) -> Ran:
        out, err = io.StringIO(), io.StringIO()
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(_common, "stderr", err)
        monkeypatch.setattr(_common.console, "file", out)
        monkeypatch.setattr(_common.err_console, "file", err)
        monkeypatch.setattr("sys.stdout", out)
        try:
            code = run_main(list(argv))
        finally:
            logging.getLogger().handlers[:] = []
        return Ran(code, out.getvalue(), err.getvalue())

    return run
