"""Each security negative of ``plantloop run``: exactly one line on stderr, saying which
side distrusts which and what to do (no asyncua traceback or log line)."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from ruamel.yaml import YAML

from optimizer.config.connection import SecurityPolicy
from optimizer.plantio.certs import make_client_certificate
from optimizer.plantio.ua_security import der, fingerprint, load_cert
from optimizer.sim import SimSecurity, SimulatedPlant
from tests.plantio.test_client_security import REPO, load_config
from tests.support.cli import spawn_plantloop

pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("neg")
    make_client_certificate(d / "client", application_uri="urn:plantloop:client")
    make_client_certificate(d / "stranger", application_uri="urn:plantloop:client")
    (d / "clients").mkdir()
    shutil.copy(d / "client" / "plantloop-cert.der", d / "clients" / "ok.der")
    (d / "store").mkdir()
    shutil.copy(d / "stranger" / "plantloop-cert.der", d / "store" / "other.der")
    _expired(d / "expired")
    return d


def _expired(out: Path) -> None:
    out.mkdir()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old plantloop")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=800))
        .not_valid_after(now - dt.timedelta(days=70))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier("urn:plantloop:client")]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    (out / "plantloop-cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (out / "plantloop-key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plain(d: Path) -> AsyncIterator[SimulatedPlant]:
    """Discovery allowed, only Basic256Sha256, trusts only d/clients."""
    cfg = load_config(REPO / "config" / "demo.yaml").config
    sec = SimSecurity(
        cert_dir=d / "plain",
        users={"op": "s3cret"},
        policies=(SecurityPolicy.BASIC256SHA256,),
        client_trust=d / "clients",
    )
    async with SimulatedPlant(cfg, port=0, speed=0, security=sec) as sim:
        yield sim


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def hardened(d: Path) -> AsyncIterator[SimulatedPlant]:
    cfg = load_config(REPO / "config" / "demo.yaml").config
    sec = SimSecurity(cert_dir=d / "hardened", users={"op": "s3cret"}, secure_only=True)
    async with SimulatedPlant(cfg, port=0, speed=0, security=sec) as sim:
        yield sim


async def run(sim: SimulatedPlant, d: Path, security: dict[str, Any], pw: str = "s3cret") -> str:
    """``plantloop run`` against ``sim``; returns its whole stderr (exit code checked)."""
    yaml = YAML()
    data = yaml.load((REPO / "config" / "demo.yaml").read_text())
    conn = data["connection"]
    conn["endpoint"], conn["request_timeout_s"] = sim.endpoint, 3
    conn["username"], conn["password_env"] = "op", "PLANTLOOP_NEG_PW"
    sec: dict[str, Any] = {"policy": "Basic256Sha256", "mode": "SignAndEncrypt"}
    sec |= {"client_certificate": str(d / "client" / "plantloop-cert.der")}
    sec |= {"client_private_key": str(d / "client" / "plantloop-key.pem")}
    conn["security"] = {k: v for k, v in (sec | security).items() if v is not None}
    data["log"] = {"path": str(d / "log.sqlite")}
    path = d / f"plant-{os.urandom(4).hex()}.yaml"
    with path.open("w") as f:
        yaml.dump(data, f)
    proc = await spawn_plantloop(
        "run",
        str(path),
        "--cycles",
        "1",
        env={"PLANTLOOP_NEG_PW": pw},
        stdout=asyncio.subprocess.DEVNULL,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode != 0, err
    return err.decode()


def fp(path: Path) -> str:
    return fingerprint(der(load_cert(path)))


def server_cert(sim: SimulatedPlant) -> Path:
    assert sim.security is not None and sim.security.cert_dir is not None
    return sim.security.cert_dir / "server_cert.der"


async def test_we_distrust_the_server_pin(plain: SimulatedPlant, d: Path) -> None:
    pin = d / "stranger" / "plantloop-cert.der"
    err = await run(plain, d, {"server_certificate": str(pin)})
    assert err == (
        f"plantloop: error: {plain.endpoint}: we do not trust the server: it presents "
        f"certificate {fp(server_cert(plain))}, not the pinned {pin}; if the server's "
        "certificate was renewed and you trust it, replace that file with it\n"
    )


async def test_we_distrust_the_server_trust_store(plain: SimulatedPlant, d: Path) -> None:
    err = await run(plain, d, {"trust_store": str(d / "store")})
    assert err == (
        f"plantloop: error: {plain.endpoint}: we do not trust the server: its certificate "
        f"{fp(server_cert(plain))} is not in our trust store {d / 'store'}; if you trust it, "
        "copy the server's certificate into that folder (or pin it with "
        "connection.security.server_certificate)\n"
    )


async def test_the_server_distrusts_us(plain: SimulatedPlant, d: Path) -> None:
    ours = d / "stranger" / "plantloop-cert.der"
    err = await run(
        plain,
        d,
        {
            "server_certificate": str(server_cert(plain)),
            "client_certificate": str(ours),
            "client_private_key": str(d / "stranger" / "plantloop-key.pem"),
        },
    )
    assert err == (
        f"plantloop: error: {plain.endpoint}: the server does not trust us "
        f"(BadCertificateUntrusted): give its administrator our certificate {fp(ours)} "
        f"({ours}) to trust\n"
    )


async def test_policy_not_offered_lists_what_is(plain: SimulatedPlant, d: Path) -> None:
    err = await run(
        plain,
        d,
        {"server_certificate": str(server_cert(plain)), "policy": "Aes256_Sha256_RsaPss"},
    )
    assert err == (
        f"plantloop: error: {plain.endpoint}: security policy Aes256_Sha256_RsaPss/"
        "SignAndEncrypt not offered by the server (BadSecurityPolicyRejected); it offers "
        "Basic256Sha256/SignAndEncrypt\n"
    )


async def test_bad_credentials(plain: SimulatedPlant, d: Path) -> None:
    err = await run(plain, d, {"server_certificate": str(server_cert(plain))}, pw="wrong")
    assert err == (
        f"plantloop: error: {plain.endpoint}: bad credentials: user 'op' rejected "
        "(BadUserAccessDenied); check the user name and the password in PLANTLOOP_NEG_PW\n"
    )


async def test_our_certificate_expired(plain: SimulatedPlant, d: Path) -> None:
    old = d / "expired" / "plantloop-cert.der"
    err = await run(
        plain,
        d,
        {
            "server_certificate": str(server_cert(plain)),
            "client_certificate": str(old),
            "client_private_key": str(d / "expired" / "plantloop-key.pem"),
        },
    )
    until = load_cert(old).not_valid_after_utc
    assert err == (
        f"plantloop: error: connection.security.client_certificate: {old} expired on "
        f"{until:%Y-%m-%d %H:%M} UTC; make a new one with 'plantloop certs --force' and give "
        "its fingerprint to the server's administrator\n"
    )


async def test_uri_mismatch(plain: SimulatedPlant, d: Path) -> None:
    cert = d / "client" / "plantloop-cert.der"
    err = await run(
        plain,
        d,
        {"server_certificate": str(server_cert(plain)), "application_uri": "urn:someone:else"},
    )
    assert err == (
        "plantloop: error: connection.security.application_uri: urn:someone:else is not the "
        f"URI in {cert} (urn:plantloop:client); servers refuse such a client (URI mismatch): "
        "set application_uri to the certificate's URI\n"
    )


async def test_secure_only_wrong_pin(hardened: SimulatedPlant, d: Path) -> None:
    ours = d / "client" / "plantloop-cert.der"
    pin = d / "stranger" / "plantloop-cert.der"
    err = await run(hardened, d, {"server_certificate": str(pin)})
    assert err == (
        f"plantloop: error: {hardened.endpoint}: the server does not trust us "
        f"(BadSecurityChecksFailed): give its administrator our certificate {fp(ours)} "
        f"({ours}) to trust (the server lists no endpoints over an unsecured channel, so a "
        "pinned certificate that is not the server's would look the same)\n"
    )


async def test_secure_only_refuses_policy_none(hardened: SimulatedPlant, d: Path) -> None:
    err = await run(
        hardened,
        d,
        {"policy": "None", "mode": "None", "client_certificate": None, "client_private_key": None},
    )
    assert err == (
        f"plantloop: error: {hardened.endpoint}: security policy None/None refused by the "
        "server (BadSecurityPolicyRejected); it does not list its endpoints over an "
        "unsecured channel (a secure-only server): configure one of its secure policies\n"
    )
