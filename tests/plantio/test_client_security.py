"""OPC UA security against the simulator: three policies, pinning, users; clear errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from optimizer.config.loader import load_config
from optimizer.config.schema import PlantConfig
from optimizer.errors import PlantIOError, SecurityError
from optimizer.plantio.certs import make_client_certificate
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import Quality
from optimizer.sim import SimSecurity, SimulatedPlant

REPO = Path(__file__).resolve().parents[2]
POLICIES = ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("client")
    make_client_certificate(d, application_uri="urn:plantloop:client", key_bits=2048)
    return d


@pytest.fixture
async def secure_sim(tmp_path: Path) -> AsyncIterator[SimulatedPlant]:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    sec = SimSecurity(cert_dir=tmp_path / "server", users={"op": "s3cret"})
    async with SimulatedPlant(cfg, port=0, speed=0, security=sec) as sim:
        yield sim


def secured(
    sim: SimulatedPlant, certs: Path, policy: str, *, server_cert: Path, user: str = "op"
) -> PlantConfig:
    data = sim.cfg.model_dump()
    conn = data["connection"]
    conn["security"].update(
        policy=policy,
        mode="SignAndEncrypt",
        client_certificate=certs / "plantloop-cert.der",
        client_private_key=certs / "plantloop-key.pem",
        server_certificate=server_cert,
    )
    conn.update(endpoint=sim.endpoint, username=user, password_env="PLANTLOOP_TEST_PW")
    return PlantConfig.model_validate(data)  # validated: a typo here fails loudly


@pytest.mark.parametrize("policy", POLICIES)
async def test_sign_and_encrypt_each_policy(
    secure_sim: SimulatedPlant,
    certs: Path,
    policy: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("PLANTLOOP_TEST_PW", "s3cret")
    pinned = tmp_path / "server" / "server_cert.der"
    io = OpcUaPlantIO(secured(secure_sim, certs, policy, server_cert=pinned))
    await io.connect()
    try:
        snap = await io.read()
        assert snap.readings["boiler1_load"].quality is Quality.GOOD
        assert snap.readings["boiler1_load"].source_ts is not None
        rep = await io.write({"boiler1_sp": 8.5}, epoch=snap.epoch)
        assert rep.all_ok and rep.outcomes[0].read_back == 8.5
    finally:
        await io.close()


async def test_wrong_password_is_a_clear_error(
    secure_sim: SimulatedPlant, certs: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PLANTLOOP_TEST_PW", "wrong")
    io = OpcUaPlantIO(
        secured(secure_sim, certs, POLICIES[0], server_cert=tmp_path / "server" / "server_cert.der")
    )
    with pytest.raises(SecurityError, match="rejected"):
        await io.connect()


async def test_unknown_server_certificate_is_refused(
    secure_sim: SimulatedPlant, certs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANTLOOP_TEST_PW", "s3cret")
    # pin a certificate that is not the server's (our own client certificate)
    io = OpcUaPlantIO(
        secured(secure_sim, certs, POLICIES[2], server_cert=certs / "plantloop-cert.der")
    )
    with pytest.raises(PlantIOError) as e:
        await io.connect()
    assert "\n" not in str(e.value)


async def test_policy_none_refused_by_a_secure_server(secure_sim: SimulatedPlant) -> None:
    cfg = secure_sim.cfg
    conn = cfg.connection.model_copy(update={"endpoint": secure_sim.endpoint})
    io = OpcUaPlantIO(cfg.model_copy(update={"connection": conn}))
    with pytest.raises(PlantIOError) as e:
        await io.connect()
    assert "\n" not in str(e.value) and secure_sim.endpoint in str(e.value)


async def test_missing_password_variable(
    secure_sim: SimulatedPlant, certs: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("PLANTLOOP_TEST_PW", raising=False)
    io = OpcUaPlantIO(
        secured(secure_sim, certs, POLICIES[0], server_cert=tmp_path / "server" / "server_cert.der")
    )
    with pytest.raises(SecurityError, match="PLANTLOOP_TEST_PW is not set"):
        await io.connect()


def test_certs_command_makes_matching_uri(tmp_path: Path) -> None:
    import subprocess
    import sys

    from cryptography import x509

    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "certs",
            "--config",
            "config/air_cooling.yaml",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    cert = x509.load_der_x509_certificate((tmp_path / "plantloop-cert.der").read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:plantloop:client" in san.get_values_for_type(x509.UniformResourceIdentifier)
    assert "SHA-256 fingerprint" in r.stdout
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "optimizer",
            "certs",
            "--config",
            "config/air_cooling.yaml",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 2 and "exist already" in again.stderr
