"""``plantloop solve`` shows the carriers' marginal prices and writes them in --json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CASE = REPO / "tests" / "models" / "cases" / "marginal_prices"


def _solve(*extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "solve",
            str(CASE / "config.yaml"),
            "--state",
            str(CASE / "state.json"),
            *extra,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={"COLUMNS": "120", "PATH": ""},
    )


def test_solve_prints_marginal_prices() -> None:
    r = _solve()
    assert r.returncode == 0, r.stderr
    assert "marginal prices" in r.stdout
    row = next(line for line in r.stdout.splitlines() if "heat (MW)" in line)
    assert [x.strip() for x in row.split("│")[2:5]] == ["42", "33", "42"]


def test_solve_json_has_marginal_prices() -> None:
    r = _solve("--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["marginal_prices"] == {"heat": [42.0, 33.0], "gas": [30.0, 30.0]}
