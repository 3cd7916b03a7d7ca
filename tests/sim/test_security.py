"""The simulator with SignAndEncrypt, its own certificate and a user/password."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from asyncua import Client, ua
from asyncua.crypto import cert_gen, security_policies
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from optimizer.config.connection import SecurityPolicy
from optimizer.config.schema import PlantConfig
from optimizer.sim import SimSecurity, SimulatedPlant

pytestmark = pytest.mark.asyncio(loop_scope="module")

CLIENT_URI = "urn:plantloop:test-client"
POLICIES = {
    SecurityPolicy.BASIC256SHA256: security_policies.SecurityPolicyBasic256Sha256,
    SecurityPolicy.AES128_SHA256_RSAOAEP: security_policies.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.AES256_SHA256_RSAPSS: security_policies.SecurityPolicyAes256Sha256RsaPss,
}


@pytest.fixture(scope="module")
def client_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("client")
    key = cert_gen.generate_private_key()
    cert = cert_gen.generate_self_signed_app_certificate(
        key,
        "plantloop test client",
        {"organizationName": "plantloop"},
        [x509.UniformResourceIdentifier(CLIENT_URI), x509.DNSName("localhost")],
        extended=[ExtendedKeyUsageOID.CLIENT_AUTH],
    )
    (d / "cert.der").write_bytes(cert.public_bytes(serialization.Encoding.DER))
    (d / "key.pem").write_bytes(cert_gen.dump_private_key_as_pem(key))
    return d / "cert.der", d / "key.pem"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def secure_sim(
    demo_cfg: PlantConfig, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[SimulatedPlant]:
    sec = SimSecurity(cert_dir=tmp_path_factory.mktemp("server"), users={"operator": "s3cret"})
    async with SimulatedPlant(demo_cfg, speed=0, security=sec) as sim:
        yield sim


async def _client(
    sim: SimulatedPlant, cert: tuple[Path, Path], policy: SecurityPolicy, password: str
) -> Client:
    c = Client(sim.endpoint, timeout=3)
    c.application_uri = CLIENT_URI
    assert sim.security is not None and sim.security.cert_dir is not None
    await c.set_security(
        POLICIES[policy],
        str(cert[0]),
        str(cert[1]),
        server_certificate=str(sim.security.cert_dir / "server_cert.der"),
        mode=ua.MessageSecurityMode.SignAndEncrypt,
    )
    c.set_user("operator")
    c.set_password(password)
    return c


@pytest.mark.parametrize("policy", list(POLICIES))
async def test_sign_and_encrypt_read_and_write(
    secure_sim: SimulatedPlant,
    client_cert: tuple[Path, Path],
    policy: SecurityPolicy,
    demo_cfg: PlantConfig,
) -> None:
    c = await _client(secure_sim, client_cert, policy, "s3cret")
    async with c:
        idx = await c.get_namespace_index(demo_cfg.connection.namespace_uri)
        sp = ua.NodeId.from_string(f"ns={idx};{demo_cfg.tags['chp_sp'].node}")
        (st,) = await c.uaclient.write_attributes(
            [sp], [ua.DataValue(ua.Variant(2.5, ua.VariantType.Double))]
        )
        assert st.is_good()
        (dv,) = await c.uaclient.read_attributes([sp], ua.AttributeIds.Value)
        assert dv.Value.Value == 2.5


async def test_server_certificate_is_kept_for_pinning(secure_sim: SimulatedPlant) -> None:
    assert secure_sim.security is not None and secure_sim.security.cert_dir is not None
    der = (secure_sim.security.cert_dir / "server_cert.der").read_bytes()
    assert der == secure_sim.server_certificate_der
    cert = x509.load_der_x509_certificate(der)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "urn:plantloop:sim" in san.get_values_for_type(x509.UniformResourceIdentifier)


async def test_wrong_password_is_refused(
    secure_sim: SimulatedPlant, client_cert: tuple[Path, Path]
) -> None:
    c = await _client(secure_sim, client_cert, SecurityPolicy.BASIC256SHA256, "wrong")
    with pytest.raises(ua.UaStatusCodeError) as e:
        await c.connect()
    assert "BadUserAccessDenied" in type(e.value).__name__ or "UserAccessDenied" in str(e.value)
    c.disconnect_socket()


async def test_security_none_is_not_offered(secure_sim: SimulatedPlant) -> None:
    c = Client(secure_sim.endpoint, timeout=2)
    with pytest.raises((ua.UaError, asyncio.TimeoutError, TimeoutError, ConnectionError)):
        await c.connect()
    c.disconnect_socket()
