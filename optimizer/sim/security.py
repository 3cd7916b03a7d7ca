"""Security of the simulated plant: its own server certificate, users and passwords."""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from asyncua import ua
from asyncua.crypto import cert_gen
from asyncua.crypto.permission_rules import User, UserRole
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID

from optimizer.config.connection import SecurityPolicy
from optimizer.plantio.certs import write_private

SERVER_URI = "urn:plantloop:sim"

_POLICY_TYPES = {
    SecurityPolicy.BASIC256SHA256: ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
    SecurityPolicy.AES128_SHA256_RSAOAEP: ua.SecurityPolicyType.Aes128Sha256RsaOaep_SignAndEncrypt,
    SecurityPolicy.AES256_SHA256_RSAPSS: ua.SecurityPolicyType.Aes256Sha256RsaPss_SignAndEncrypt,
}
_SIGN_TYPES = {
    SecurityPolicy.BASIC256SHA256: ua.SecurityPolicyType.Basic256Sha256_Sign,
    SecurityPolicy.AES128_SHA256_RSAOAEP: ua.SecurityPolicyType.Aes128Sha256RsaOaep_Sign,
    SecurityPolicy.AES256_SHA256_RSAPSS: ua.SecurityPolicyType.Aes256Sha256RsaPss_Sign,
}


@dataclass(frozen=True, kw_only=True)
class SimSecurity:
    """How the simulator secures its endpoint.

    ``SimSecurity()`` offers SignAndEncrypt under all three modern policies and nothing
    else. ``cert_dir`` keeps the server certificate (``server_cert.der``) and key
    (``server_key.pem``) between runs (generated when missing) so clients can pin it.
    ``users`` maps user name -> password; when given, anonymous sessions are refused.
    ``secure_only`` refuses any SecurityPolicy None channel, even to list the endpoints
    (like hardened servers): clients must know the server certificate beforehand.
    Client certificates are accepted without a trust list (a test plant) unless
    ``client_trust`` names a folder of the trusted ones (DER or PEM): then any other client
    is refused in CreateSession with BadCertificateUntrusted.
    """

    policies: tuple[SecurityPolicy, ...] = tuple(_POLICY_TYPES)
    sign_only: bool = False  # also offer Sign (no encryption) endpoints
    allow_none: bool = False  # also offer SecurityPolicy None
    secure_only: bool = False  # refuse even a discovery-only SecurityPolicy None channel
    client_trust: Path | None = None  # folder of trusted client certificates (None: any)
    cert_dir: Path | None = None
    users: Mapping[str, str] = field(default_factory=dict)

    def policy_types(self) -> list[ua.SecurityPolicyType]:
        out = [_POLICY_TYPES[p] for p in self.policies if p in _POLICY_TYPES]
        if self.sign_only:
            out += [_SIGN_TYPES[p] for p in self.policies if p in _SIGN_TYPES]
        if self.allow_none:
            out.append(ua.SecurityPolicyType.NoSecurity)
        return out


class PasswordUsers:
    """asyncua user manager: name/password pairs; anonymous only when no users are set."""

    def __init__(self, users: Mapping[str, str]) -> None:
        self._users = dict(users)

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: str | bytes | None = None,
        certificate: Any = None,
    ) -> User | None:
        if not self._users:
            return User(role=UserRole.User)
        if username is None:
            return None
        pw = password.decode() if isinstance(password, bytes) else password
        if self._users.get(username) != pw:
            return None
        return User(role=UserRole.User, name=username)


def server_certificate(cert_dir: Path | None, host: str) -> tuple[bytes, bytes]:
    """(certificate DER, private key PEM) for the simulator, generated when missing."""
    if cert_dir is not None:
        cert_p, key_p = cert_dir / "server_cert.der", cert_dir / "server_key.pem"
        if cert_p.is_file() and key_p.is_file():
            return cert_p.read_bytes(), key_p.read_bytes()
    key = cert_gen.generate_private_key()
    names = [x509.UniformResourceIdentifier(SERVER_URI), x509.DNSName(host)]
    if host != socket.gethostname():
        names.append(x509.DNSName(socket.gethostname()))
    cert = cert_gen.generate_self_signed_app_certificate(
        key,
        "plantloop simulated plant",
        {"organizationName": "plantloop"},
        names,
        extended=[ExtendedKeyUsageOID.SERVER_AUTH],
        days=3650,
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    pem = cert_gen.dump_private_key_as_pem(key)
    if cert_dir is not None:
        cert_dir.mkdir(parents=True, exist_ok=True)
        (cert_dir / "server_cert.der").write_bytes(der)
        write_private(cert_dir / "server_key.pem", pem)
    return der, pem


class ClientTrust:
    """asyncua server ``certificate_validator``: only the client certificates in a folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def __call__(self, cert: x509.Certificate, app: Any) -> None:
        from asyncua.common.utils import ServiceError

        mine = cert.public_bytes(serialization.Encoding.DER)
        for p in self.folder.iterdir():
            data = p.read_bytes()
            c = (
                x509.load_pem_x509_certificate(data)
                if data.startswith(b"-----")
                else x509.load_der_x509_certificate(data)
            )
            if c.public_bytes(serialization.Encoding.DER) == mine:
                return
        raise ServiceError(ua.StatusCodes.BadCertificateUntrusted)
