"""OpcUaPlantIO against node-opcua (an implementation nobody here wrote).

The node server (tests/interop/server.js) is installed with ``npm ci`` and started once per
module. Skipped with the reason only when node/npm are missing.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from optimizer.config.connection import ConnectionConfig
from optimizer.config.control import InterlocksConfig
from optimizer.config.schema import PlantConfig
from optimizer.config.tags import TagConfig
from optimizer.errors import SecurityError, WriteRefused
from optimizer.plantio.certs import make_client_certificate
from optimizer.plantio.opcua_client import OpcUaPlantIO
from optimizer.plantio.types import Quality
from optimizer.plantio.ua_security import der, fingerprint, load_cert
from optimizer.sim.server import free_port as _free_port

HERE = Path(__file__).parent


def free_port() -> int:
    return _free_port("127.0.0.1")


PW_ENV = "PLANTLOOP_INTEROP_PW"
TAGS = {
    "sp1": ("s=SP1", "setpoint"),
    "sp2": ("s=SP2", "setpoint"),
    "flow": ("s=Flow", "measurement"),
    "watchdog": ("s=Watchdog", "watchdog"),
    "enable": ("s=Enable", "permissive"),
    "bad": ("s=BadTag", "measurement"),
    "uncertain": ("s=UncertainTag", "measurement"),
    "old": ("s=OldTag", "measurement"),
}


def start_node(port: int, pki: Path, *args: str) -> subprocess.Popen[str]:
    """Start server.js and wait for its READY line (node-opcua may log before it)."""
    proc = subprocess.Popen(
        ["node", str(HERE / "server.js"), str(port), str(pki), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    for _ in range(50):
        line = proc.stdout.readline()
        if line.startswith("READY") or not line:
            break
    assert line.startswith("READY"), f"node-opcua server did not start: {line!r}"
    return proc


@pytest.fixture(scope="module")
def node_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node/npm not available: node-opcua interop not run")
    if not (HERE / "node_modules" / "node-opcua").is_dir():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"],
            cwd=HERE,
            check=True,
            capture_output=True,
            timeout=300,
        )
    d = tmp_path_factory.mktemp("interop")
    make_client_certificate(d / "good", application_uri="urn:plantloop:client", common_name="good")
    make_client_certificate(d / "evil", application_uri="urn:plantloop:client", common_name="evil")
    trusted = d / "pki" / "server" / "trusted" / "certs"
    trusted.mkdir(parents=True)
    shutil.copy(d / "good" / "plantloop-cert.der", trusted / "plantloop.der")
    port = free_port()
    proc = start_node(port, d / "pki")
    (d / "trust").mkdir()
    shutil.copy(
        d / "pki" / "server" / "own" / "certs" / "certificate.pem", d / "trust" / "server.pem"
    )
    try:
        yield f"opc.tcp://127.0.0.1:{port}/interop", d
    finally:
        proc.terminate()
        proc.wait(10)


def cfg(
    endpoint: str, d: Path, policy: str = "None", client: str = "good", **sec: str | None
) -> PlantConfig:
    security: dict[str, str | None] = {"policy": policy, "mode": "None"}
    if policy != "None":
        security = {
            "policy": policy,
            "mode": "SignAndEncrypt",
            "client_certificate": str(d / client / "plantloop-cert.der"),
            "client_private_key": str(d / client / "plantloop-key.pem"),
            "trust_store": str(d / "trust"),
            **sec,
        }
    conn = ConnectionConfig.model_validate(
        {
            "endpoint": endpoint,
            "namespace_uri": "urn:plantloop:interop",
            "security": security,
            "username": "operator",
            "password_env": PW_ENV,
            "request_timeout_s": 4.0,
        }
    )
    tags = {
        n: TagConfig.model_validate(
            {"node": node, "role": role}
            | ({"setpoint": {"min": 0, "max": 100}} if role == "setpoint" else {})
        )
        for n, (node, role) in TAGS.items()
    }
    # Only connection + tags matter to the I/O layer; the rest of a plant is not needed here.
    return PlantConfig.model_construct(connection=conn, tags=tags, interlocks=InterlocksConfig())


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


async def roundtrip(c: PlantConfig) -> None:
    io = OpcUaPlantIO(c)
    await io.connect()
    try:
        snap = await io.read()
        r = snap.readings
        assert r["flow"].quality is Quality.GOOD and r["flow"].source_ts is not None
        assert r["bad"].quality is Quality.BAD and r["bad"].status == "BadSensorFailure"
        assert r["uncertain"].quality is Quality.UNCERTAIN
        assert r["old"].source_ts is not None
        assert (snap.read_at - r["old"].source_ts).total_seconds() > 3000
        assert io.eu_ranges["sp1"] == (0.0, 100.0)
        rep = await io.write(
            {"sp1": 42, "watchdog": 5}, epoch=snap.epoch
        )  # int -> Double; int -> UInt32
        assert rep.all_ok, rep
        out = await io.write(
            {"sp2": 150.0}, epoch=snap.epoch
        )  # outside EURange: node-opcua may refuse
        assert out.outcomes[0].status in ("Good", "BadOutOfRange")
        with pytest.raises(WriteRefused):
            await io.write({"enable": False}, epoch=snap.epoch)
        with pytest.raises(WriteRefused):
            await io.write({"flow": 1.0}, epoch=snap.epoch)
        assert (await io.read()).readings["sp1"].value == 42.0
    finally:
        await io.close()


def test_security_none(node_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    run(roundtrip(cfg(*node_server)))


@pytest.mark.parametrize(
    "policy", ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]
)
def test_sign_and_encrypt(
    node_server: tuple[str, Path], policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    run(roundtrip(cfg(*node_server, policy=policy)))


def test_wrong_password(node_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PW_ENV, "nope")
    with pytest.raises(SecurityError, match="credentials") as ei:
        run(OpcUaPlantIO(cfg(*node_server, policy="Basic256Sha256")).connect())
    assert "\n" not in str(ei.value)


def test_untrusted_client_certificate(
    node_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    endpoint, d = node_server
    with pytest.raises(SecurityError) as ei:
        run(OpcUaPlantIO(cfg(endpoint, d, policy="Basic256Sha256", client="evil")).connect())
    ours = load_cert(d / "evil" / "plantloop-cert.der")
    assert str(ei.value).startswith(f"{endpoint}: the server does not trust us (")
    assert f"give its administrator our certificate {fingerprint(der(ours))}" in str(ei.value)
    assert "\n" not in str(ei.value)


def test_unknown_server_certificate(
    node_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    endpoint, d = node_server
    c = cfg(
        endpoint,
        d,
        policy="Basic256Sha256",
        server_certificate=str(d / "evil" / "plantloop-cert.der"),
    )
    with pytest.raises(SecurityError) as ei:
        run(OpcUaPlantIO(c).connect())
    presented = load_cert(d / "trust" / "server.pem")
    assert str(ei.value).startswith(
        f"{endpoint}: we do not trust the server: it presents certificate "
        f"{fingerprint(der(presented))}, not the pinned {d / 'evil' / 'plantloop-cert.der'}"
    )


def test_policy_none_rejected_by_secure_server(
    node_server: tuple[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    _, d = node_server
    port = free_port()
    proc = start_node(port, d / "pki2", "secure-only")
    try:
        with pytest.raises(SecurityError, match="not offered") as ei:
            run(OpcUaPlantIO(cfg(f"opc.tcp://127.0.0.1:{port}/interop", d)).connect())
        assert "\n" not in str(ei.value)
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="module")
def secure_only_server(
    node_server: tuple[str, Path],
) -> Iterator[tuple[str, Path]]:
    """node-opcua with no None endpoint (securityPolicies/securityModes without None)."""
    _, d = node_server
    pki = d / "pki-secure-only"
    trusted = pki / "server" / "trusted" / "certs"
    trusted.mkdir(parents=True)
    shutil.copy(d / "good" / "plantloop-cert.der", trusted / "plantloop.der")
    port = free_port()
    proc = start_node(port, pki, "secure-only")
    try:
        yield (
            f"opc.tcp://127.0.0.1:{port}/interop",
            pki / "server" / "own" / "certs" / "certificate.pem",
        )
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.parametrize(
    "policy", ["Basic256Sha256", "Aes128_Sha256_RsaOaep", "Aes256_Sha256_RsaPss"]
)
def test_secure_only_node_opcua_with_a_pinned_certificate(
    node_server: tuple[str, Path],
    secure_only_server: tuple[str, Path],
    policy: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PW_ENV, "s3cret")
    endpoint, pinned = secure_only_server
    _, d = node_server
    run(
        roundtrip(cfg(endpoint, d, policy=policy, server_certificate=str(pinned), trust_store=None))
    )
