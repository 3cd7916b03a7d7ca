"""Secrets never sit in the config or in a world-readable file."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from optimizer.config.loader import load_config_text
from optimizer.errors import ConfigError
from optimizer.plantio.certs import make_client_certificate

REPO = Path(__file__).resolve().parents[2]
DEMO = (REPO / "config" / "demo.yaml").read_text()
URL = "opc.tcp://127.0.0.1:4840/plantloop/demo"


@pytest.mark.parametrize("userinfo", ["op:hunter2@", "op@", ":hunter2@"])
def test_credentials_in_the_endpoint_url_are_refused(userinfo: str) -> None:
    text = DEMO.replace(URL, URL.replace("//", "//" + userinfo), 1)
    with pytest.raises(ConfigError) as e:
        load_config_text(text, "plant.yaml")
    (problem,) = e.value.problems
    line = next(i + 1 for i, ln in enumerate(text.splitlines()) if "endpoint:" in ln)
    assert str(problem).startswith(f"plant.yaml:{line}: connection.endpoint: credentials in")
    assert "hunter2" not in str(e.value)


def test_private_key_is_0600_from_the_first_byte(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write-then-chmod leaves a window (and, if chmod never runs, a readable key)."""
    monkeypatch.setattr(Path, "chmod", lambda *a, **k: None)
    monkeypatch.setattr("os.chmod", lambda *a, **k: None)
    files = make_client_certificate(tmp_path, application_uri="urn:t", key_bits=1024)
    assert stat.S_IMODE(files.private_key.stat().st_mode) == 0o600
    again = make_client_certificate(
        tmp_path, application_uri="urn:t", key_bits=1024, overwrite=True
    )
    assert stat.S_IMODE(again.private_key.stat().st_mode) == 0o600
