"""Channel security for the OPC UA client: policies, certificates, server validation,
and asyncua's exceptions translated into one-line plantloop errors."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto import security_policies as sp
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from cryptography import x509

from optimizer.config.connection import ConnectionConfig, SecurityMode, SecurityPolicy
from optimizer.errors import ConnectError, PlantIOError, SecurityError

log = logging.getLogger("plantloop.opcua")

_POLICIES: dict[SecurityPolicy, type[sp.SecurityPolicy]] = {
    SecurityPolicy.BASIC256SHA256: sp.SecurityPolicyBasic256Sha256,
    SecurityPolicy.AES128_SHA256_RSAOAEP: sp.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.AES256_SHA256_RSAPSS: sp.SecurityPolicyAes256Sha256RsaPss,
}
_MODES = {
    SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
    SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
}


def fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def load_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        return x509.load_pem_x509_certificate(data)


class PinnedServer:
    """Certificate validator that accepts exactly one server certificate (pinning), then
    (optionally) also asks a trust-store validator."""

    def __init__(self, path: Path, then: CertificateValidator | None = None) -> None:
        self.path = path
        self.expected = load_cert(path)
        self.then = then

    async def __call__(self, cert: x509.Certificate, app: ua.ApplicationDescription) -> None:
        if self.then is not None:
            await self.then(cert, app)
        if _der(cert) != _der(self.expected):
            raise SecurityError(
                f"server certificate does not match the pinned {self.path} "
                f"(server presented {fingerprint(_der(cert))})"
            )


def _der(cert: x509.Certificate) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return cert.public_bytes(Encoding.DER)


async def apply_security(client: Client, conn: ConnectionConfig) -> None:
    """Configure ``client`` from the config; never trusts an unknown server."""
    sec = conn.security
    client.application_uri = sec.application_uri
    if conn.username is not None:
        password = os.environ.get(conn.password_env or "")
        if password is None:
            raise SecurityError(
                f"connection.password_env: environment variable {conn.password_env} is not set"
            )
        client.set_user(conn.username)
        client.set_password(password)
    if sec.policy is SecurityPolicy.NONE:
        log.warning(
            "SECURITY POLICY None for %s: the session is neither encrypted nor signed "
            "(the config says so explicitly)",
            conn.endpoint,
        )
        return
    assert sec.client_certificate is not None and sec.client_private_key is not None
    for what, p in (
        ("client_certificate", sec.client_certificate),
        ("client_private_key", sec.client_private_key),
    ):
        if not p.exists():
            raise SecurityError(
                f"connection.security.{what}: {p} not found (create one with 'plantloop certs')"
            )
    if sec.trust_store is not None:
        if not sec.trust_store.is_dir():
            raise SecurityError(
                f"connection.security.trust_store: {sec.trust_store} is not a folder"
            )
        store = TrustStore([sec.trust_store], [])
        await store.load()
        client.certificate_validator = CertificateValidator(
            CertificateValidatorOptions.EXT_VALIDATION
            | CertificateValidatorOptions.PEER_SERVER
            | CertificateValidatorOptions.TRUSTED,
            store,
        )
    if sec.server_certificate is not None:
        if not sec.server_certificate.exists():
            raise SecurityError(
                f"connection.security.server_certificate: {sec.server_certificate} not found"
            )
        # the certificate the server presents must be the pinned one (and, with a trust
        # store too, also pass it)
        client.certificate_validator = PinnedServer(
            sec.server_certificate, then=client.certificate_validator
        )
    try:
        if sec.server_certificate is not None:
            await _check_pinned(client, conn, sec.server_certificate)
        await client.set_security(
            _POLICIES[sec.policy],
            certificate=str(sec.client_certificate),
            private_key=str(sec.client_private_key),
            server_certificate=str(sec.server_certificate) if sec.server_certificate else None,
            mode=_MODES[sec.mode],
        )
    except Exception as e:
        raise translate(e, conn) from None


async def _check_pinned(client: Client, conn: ConnectionConfig, pinned: Path) -> None:
    """Compare the certificate in the server's endpoint list with the pinned one before any
    secure channel is opened: an unknown server is a clear error, not a time-out."""
    sec = conn.security
    endpoints = await client.connect_and_get_server_endpoints()
    want = _POLICIES[sec.policy].URI
    offered = [
        e for e in endpoints if e.SecurityPolicyUri == want and e.SecurityMode == _MODES[sec.mode]
    ]
    if not offered:
        raise SecurityError(
            f"{conn.endpoint}: security policy {sec.policy.value}/"
            f"{sec.mode.value} not offered by the server"
        )
    presented = x509.load_der_x509_certificate(_first_der(offered[0].ServerCertificate))
    if _der(presented) != _der(load_cert(pinned)):
        raise SecurityError(
            f"{conn.endpoint}: server certificate does not match the pinned {pinned} "
            f"(server presented {fingerprint(_der(presented))})"
        )


def _first_der(chain: bytes) -> bytes:
    """The first certificate of a DER chain (a server may send its chain)."""
    if len(chain) < 4 or chain[0] != 0x30:
        return chain
    if chain[1] & 0x80:
        n = chain[1] & 0x7F
        length = int.from_bytes(chain[2 : 2 + n], "big") + 2 + n
    else:
        length = chain[1] + 2
    return chain[:length]


def translate(e: BaseException, conn: ConnectionConfig) -> PlantIOError:
    """asyncua's many ways of failing -> one plantloop error with a one-line message."""
    if isinstance(e, PlantIOError):
        return e
    where = conn.endpoint
    text = f"{type(e).__name__}: {e}".strip()
    sec = conn.security
    if isinstance(e, ua.UaStatusCodeError):
        name = ua.StatusCode(e.code).name
        if name in ("BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected"):
            return SecurityError(
                f"{where}: bad credentials: user {conn.username!r} rejected ({name}); "
                "check the user name and the password variable"
            )
        if name in ("BadSecurityPolicyRejected", "BadSecurityModeRejected"):
            return SecurityError(
                f"{where}: security policy {sec.policy.value}/{sec.mode.value} not offered "
                f"by the server ({name})"
            )
        if name in ("BadSecurityChecksFailed", "BadCertificateUntrusted", "BadCertificateInvalid"):
            return SecurityError(
                f"{where}: the server rejected our certificate ({name}); give "
                "its administrator the fingerprint printed by 'plantloop certs'"
            )
        return ConnectError(f"{where}: {name}")
    if (isinstance(e, ValueError) and "No matching endpoints" in str(e)) or (
        "endpoint" in text.lower() and "match" in text.lower()
    ):
        return SecurityError(
            f"{where}: security policy {sec.policy.value}/{sec.mode.value} not offered by the "
            "server"
        )
    if isinstance(e, AssertionError | TimeoutError) and sec.policy is not SecurityPolicy.NONE:
        return SecurityError(
            f"{where}: secure channel not established ({type(e).__name__}); "
            "most likely the server does not trust our client certificate"
        )
    if isinstance(e, ConnectionRefusedError | OSError):
        return ConnectError(f"{where}: unreachable ({e.strerror or e})")
    if isinstance(e, TimeoutError):
        return ConnectError(f"{where}: no answer (timed out)")
    return ConnectError(f"{where}: {text}")
