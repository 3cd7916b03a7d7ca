"""The service files in deploy/: the systemd unit passes `systemd-analyze verify` (no
warnings either), and both files run the engine the way docs/operating.md says."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "deploy" / "plantloop.service"
CONTAINER = REPO / "deploy" / "Containerfile"
INSTALLED = "/opt/plantloop/venv/bin/plantloop"


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (Debian package 'systemd')")
    script = Path(sys.executable).parent / "plantloop"
    if not script.exists():
        pytest.skip(f"{script}: the plantloop entry point is not installed in this venv")
    text = UNIT.read_text()
    assert INSTALLED in text
    # verify checks that ExecStart's program exists: point it at this venv's entry point
    unit = tmp_path / "plantloop.service"
    unit.write_text(text.replace(INSTALLED, str(script)))
    r = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    ours = [ln for ln in (r.stdout + r.stderr).splitlines() if "plantloop" in ln]
    assert r.returncode == 0 and ours == [], r.stdout + r.stderr


def test_unit_runs_the_engine_as_its_own_user_and_restarts() -> None:
    lines = {ln.split("=", 1)[0]: ln.split("=", 1)[1] for ln in _logical_lines(UNIT) if "=" in ln}
    assert lines["User"] == "plantloop" and lines["Restart"] == "on-failure"
    assert lines["StateDirectoryMode"] == "0750" and lines["UMask"] == "0077"
    start = lines["ExecStart"].split()
    assert start[:3] == [INSTALLED, "run", "/etc/plantloop/plant.yaml"]
    assert "--log-format" in start and start[start.index("--log-format") + 1] == "json"
    assert start[start.index("--http") + 1].startswith("127.0.0.1:")  # loopback: no token


def test_containerfile_runs_as_a_non_root_user_with_the_console_behind_tls() -> None:
    text = CONTAINER.read_text()
    assert "\nUSER plantloop\n" in text
    assert '"--tls-cert"' in text and '"--tls-key"' in text and "PLANTLOOP_CONSOLE_TOKEN" in text
    for src in ("pyproject.toml", "README.md", "optimizer", "models"):
        assert (REPO / src).exists(), src


def _logical_lines(path: Path) -> list[str]:
    out: list[str] = []
    for raw in path.read_text().replace("\\\n", " ").splitlines():
        ln = raw.strip()
        if ln and not ln.startswith(("#", "[")):
            out.append(" ".join(ln.split()))
    return out
