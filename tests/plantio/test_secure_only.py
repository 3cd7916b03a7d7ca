"""A secure-only server (no SecurityPolicy None channel at all, not even for discovery) is
reached under each policy when the server certificate is pinned or in the trust store."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from asyncua import Client

from optimizer.config.schema import PlantConfig
from optimizer.errors import SecurityError
from optimizer.plantio.certs import make_client_certificate
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import Quality
from optimizer.sim import SimSecurity, SimulatedPlant
from tests.plantio.test_client_security import POLICIES, REPO, load_config

PW = "PLANTLOOP_TEST_PW"


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("client")
    make_client_certificate(d, application_uri="urn:plantloop:client", key_bits=2048)
    return d


@pytest.fixture
async def hardened(tmp_path: Path) -> AsyncIterator[SimulatedPlant]:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    sec = SimSecurity(cert_dir=tmp_path / "server", users={"op": "s3cret"}, secure_only=True)
    async with SimulatedPlant(cfg, port=0, speed=0, security=sec) as sim:
        yield sim


def secured(sim: SimulatedPlant, certs: Path, policy: str, **security: object) -> PlantConfig:
    data = sim.cfg.model_dump()
    conn = data["connection"]
    conn["security"].update(
        policy=policy,
        mode="SignAndEncrypt",
        client_certificate=certs / "plantloop-cert.der",
        client_private_key=certs / "plantloop-key.pem",
        **security,
    )
    conn.update(endpoint=sim.endpoint, username="op", password_env=PW, request_timeout_s=3)
    return PlantConfig.model_validate(data)


async def test_the_server_refuses_any_none_channel(hardened: SimulatedPlant) -> None:
    with pytest.raises(Exception):  # noqa: B017 - asyncua's own error for a refused channel
        await Client(hardened.endpoint, timeout=3).connect_and_get_server_endpoints()


@pytest.mark.parametrize("policy", POLICIES)
async def test_pinned_certificate_reaches_a_secure_only_server(
    hardened: SimulatedPlant, certs: Path, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW, "s3cret")
    assert hardened.security is not None and hardened.security.cert_dir is not None
    pinned = hardened.security.cert_dir / "server_cert.der"
    io = OpcUaPlantIO(secured(hardened, certs, policy, server_certificate=pinned))
    await io.connect()
    try:
        snap = await io.read()
        assert snap.readings["boiler1_load"].quality is Quality.GOOD
        assert (await io.write({"boiler1_sp": 8.5}, epoch=snap.epoch)).all_ok
    finally:
        await io.close()


async def test_trust_store_with_the_server_certificate_reaches_it(
    hardened: SimulatedPlant, certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW, "s3cret")
    assert hardened.security is not None and hardened.security.cert_dir is not None
    store = tmp_path / "trusted"
    store.mkdir()
    shutil.copy(hardened.security.cert_dir / "server_cert.der", store / "plant.der")
    io = OpcUaPlantIO(secured(hardened, certs, POLICIES[1], trust_store=store))
    await io.connect()
    await io.close()


async def test_policy_none_against_a_secure_only_server(hardened: SimulatedPlant) -> None:
    conn = hardened.cfg.connection.model_copy(
        update={"endpoint": hardened.endpoint, "request_timeout_s": 3}
    )
    io = OpcUaPlantIO(hardened.cfg.model_copy(update={"connection": conn}))
    with pytest.raises(SecurityError) as e:
        await io.connect()
    assert str(e.value) == (
        f"{hardened.endpoint}: security policy None/None refused by the server "
        "(BadSecurityPolicyRejected); it does not list its endpoints over an unsecured "
        "channel (a secure-only server): configure one of its secure policies"
    )


async def test_reconnect_survives_a_broken_trust_store(
    certs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A malformed file in the trust store, then a connection drop: the failure is reported
    and retried with backoff (it used to kill the reconnect task for good)."""
    import asyncio

    from optimizer.plantio.types import ConnectionState

    monkeypatch.setenv(PW, "s3cret")
    cfg = load_config(REPO / "config" / "demo.yaml").config
    sec = SimSecurity(cert_dir=tmp_path / "server", users={"op": "s3cret"})
    async with SimulatedPlant(cfg, port=0, speed=0, security=sec) as sim:
        store = tmp_path / "trusted"
        store.mkdir()
        shutil.copy(tmp_path / "server" / "server_cert.der", store / "plant.der")
        io = OpcUaPlantIO(secured(sim, certs, POLICIES[0], trust_store=store))
        seen: list[tuple[ConnectionState, str]] = []
        io.add_state_listener(lambda s, d: seen.append((s, d)))
        await io.connect()
        try:
            (store / "notes.txt").write_text("not a certificate")
            await sim.restart()
            for _ in range(100):
                if any("notes.txt is not a certificate" in d for _, d in seen):
                    break
                await asyncio.sleep(0.1)
            assert io.state is ConnectionState.RECONNECTING, seen
            (store / "notes.txt").unlink()
            for _ in range(100):
                if io.state is ConnectionState.CONNECTED:
                    break
                await asyncio.sleep(0.1)
            assert io.state is ConnectionState.CONNECTED, seen
            assert (await io.read()).readings["boiler1_load"].quality is Quality.GOOD
        finally:
            await io.close()


def test_sim_cli_secure_only_option(tmp_path: Path) -> None:
    from optimizer.cli.sim import _security
    from optimizer.errors import InputError

    sec = _security("sign-encrypt", tmp_path, None, None, secure_only=True)
    assert sec.secure_only and sec.policy_types()  # three SignAndEncrypt policies, no None
    with pytest.raises(InputError, match="--secure-only needs --security sign-encrypt"):
        _security("none", None, None, None, secure_only=True)
