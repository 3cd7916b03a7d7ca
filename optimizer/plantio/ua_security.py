"""Channel security for the OPC UA client: what to trust, checked locally before any byte
is sent, then applied to an asyncua ``Client`` without a SecurityPolicy None channel.

- ``prepare(conn)``: loads the client certificate and key, the pinned server certificate
  and the trust store; refuses an expired client certificate, a client certificate whose
  URI is not ``application_uri`` and a trust-store file that is not a certificate, each with
  a one-line error naming the file. It lists the server certificates to encrypt to: the
  pinned one, or the trust store's application certificates, host matches first.
- ``apply(client, plan, server_cert)``: credentials, policy and mode, the server
  certificate to encrypt to (so asyncua never opens a None channel to fetch it) and the
  validator that checks what the server presents in CreateSession.
- Only when the trust store holds CA certificates alone is the server certificate fetched
  by discovery (GetEndpoints over SecurityPolicy None, no session, no credentials): the one
  case where nothing else can tell the client which key to encrypt to.

Why a connection failed is told by ``ua_errors.explain``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from asyncua import Client, ua
from asyncua.crypto import security_policies as sp
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from asyncua.ua.uaerrors import UaError
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from optimizer.config.connection import ConnectionConfig, SecurityMode, SecurityPolicy
from optimizer.errors import SecurityError

log = logging.getLogger("plantloop.opcua")

POLICIES: dict[SecurityPolicy, type[sp.SecurityPolicy]] = {
    SecurityPolicy.BASIC256SHA256: sp.SecurityPolicyBasic256Sha256,
    SecurityPolicy.AES128_SHA256_RSAOAEP: sp.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.AES256_SHA256_RSAPSS: sp.SecurityPolicyAes256Sha256RsaPss,
}
MODES = {
    SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
    SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
}


def fingerprint(der: bytes) -> str:
    digest = hashlib.sha256(der).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(Encoding.DER)


def load_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        return x509.load_pem_x509_certificate(data)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _is_application(cert: x509.Certificate) -> bool:
    """An application instance certificate (carries an application URI; may be self-signed
    with the CA flag set), not a pure CA certificate."""
    return bool(_uris(cert)) or not _is_ca(cert)


def _uris(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [str(u) for u in san.get_values_for_type(x509.UniformResourceIdentifier)]


def _names(cert: x509.Certificate) -> set[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return set()
    return {str(n) for n in san.get_values_for_type(x509.DNSName)} | {
        str(a) for a in san.get_values_for_type(x509.IPAddress)
    }


def validity(cert: x509.Certificate) -> str | None:
    """Why ``cert`` is not valid now (expired / not yet valid), or None."""
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now:
        return f"expired on {cert.not_valid_after_utc:%Y-%m-%d %H:%M} UTC"
    if cert.not_valid_before_utc > now:
        return f"not valid before {cert.not_valid_before_utc:%Y-%m-%d %H:%M} UTC"
    return None


@dataclass
class SecurityPlan:
    """Everything security needs, loaded and checked before connecting."""

    conn: ConnectionConfig
    password: str | None = None
    client_cert: x509.Certificate | None = None
    client_cert_path: Path | None = None
    client_key_path: Path | None = None
    pinned: x509.Certificate | None = None
    trusted: list[x509.Certificate] = field(default_factory=list)
    store: TrustStore | None = None
    candidates: list[x509.Certificate] = field(default_factory=list)

    @property
    def secure(self) -> bool:
        return self.conn.security.policy is not SecurityPolicy.NONE

    @property
    def our_fingerprint(self) -> str:
        return fingerprint(der(self.client_cert)) if self.client_cert is not None else "?"


async def prepare(conn: ConnectionConfig) -> SecurityPlan:
    """Load and check everything local; raises ``SecurityError`` naming the file."""
    sec = conn.security
    plan = SecurityPlan(conn=conn)
    if conn.username is not None:
        plan.password = os.environ.get(conn.password_env or "")
        if plan.password is None:
            raise SecurityError(
                f"connection.password_env: environment variable {conn.password_env} is not set"
            )
    if sec.policy is SecurityPolicy.NONE:
        return plan
    assert sec.client_certificate is not None and sec.client_private_key is not None
    for what, p in (
        ("client_certificate", sec.client_certificate),
        ("client_private_key", sec.client_private_key),
    ):
        if not p.is_file():
            raise SecurityError(
                f"connection.security.{what}: {p} not found (create one with 'plantloop certs')"
            )
    plan.client_cert = _read_cert("client_certificate", sec.client_certificate)
    plan.client_cert_path, plan.client_key_path = sec.client_certificate, sec.client_private_key
    why = validity(plan.client_cert)
    if why is not None:
        raise SecurityError(
            f"connection.security.client_certificate: {sec.client_certificate} {why}; "
            "make a new one with 'plantloop certs --force' and give its fingerprint to the "
            "server's administrator"
        )
    uris = _uris(plan.client_cert)
    if sec.application_uri not in uris:
        raise SecurityError(
            f"connection.security.application_uri: {sec.application_uri} is not the URI in "
            f"{sec.client_certificate} ({', '.join(uris) or 'none'}); servers refuse such a "
            "client (URI mismatch): set application_uri to the certificate's URI"
        )
    if sec.server_certificate is not None:
        if not sec.server_certificate.is_file():
            raise SecurityError(
                f"connection.security.server_certificate: {sec.server_certificate} not found"
            )
        plan.pinned = _read_cert("server_certificate", sec.server_certificate)
        plan.candidates = [plan.pinned]
    if sec.trust_store is not None:
        plan.trusted, plan.store = await _load_store(sec.trust_store)
        if plan.pinned is None:
            plan.candidates = _by_host(
                [c for c in plan.trusted if _is_application(c)], urlsplit(conn.endpoint).hostname
            )
    return plan


def _read_cert(what: str, path: Path) -> x509.Certificate:
    try:
        return load_cert(path)
    except (OSError, ValueError) as e:
        raise SecurityError(
            f"connection.security.{what}: {path} is not a certificate (DER or PEM): "
            f"{type(e).__name__}"
        ) from None


async def _load_store(folder: Path) -> tuple[list[x509.Certificate], TrustStore]:
    if not folder.is_dir():
        raise SecurityError(f"connection.security.trust_store: {folder} is not a folder")
    certs = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            certs.append(load_cert(path))
        except (OSError, ValueError):
            raise SecurityError(
                f"connection.security.trust_store: {path} is not a certificate (DER or PEM); "
                "the trust store holds certificates only"
            ) from None
    store = TrustStore([folder], [])
    try:
        await store.load()
    except Exception as e:
        raise SecurityError(
            f"connection.security.trust_store: {folder} cannot be loaded ({type(e).__name__}: "
            f"{e})".replace(" ()", "")
        ) from None
    return certs, store


def _by_host(certs: list[x509.Certificate], host: str | None) -> list[x509.Certificate]:
    """Certificates naming the endpoint's host first (the likely server certificate)."""
    named = [c for c in certs if host is not None and host in _names(c)]
    return named + [c for c in certs if c not in named]


class ServerCheck:
    """asyncua ``certificate_validator``: is the certificate the server presents in
    CreateSession one we trust? Raises ``SecurityError`` saying so from our side."""

    def __init__(self, plan: SecurityPlan) -> None:
        self.plan = plan

    async def __call__(self, cert: x509.Certificate, app: ua.ApplicationDescription) -> None:
        sec = self.plan.conn.security
        where = self.plan.conn.endpoint
        fp = fingerprint(der(cert))
        if self.plan.pinned is not None and der(cert) != der(self.plan.pinned):
            raise SecurityError(
                f"{where}: we do not trust the server: it presents certificate {fp}, not the "
                f"pinned {sec.server_certificate}; if the server's certificate was renewed "
                "and you trust it, replace that file with it"
            )
        why = validity(cert)
        if why is not None:
            raise SecurityError(
                f"{where}: we do not trust the server: its certificate {fp} {why}; its "
                "administrator must renew it"
            )
        if app.ApplicationUri and app.ApplicationUri not in _uris(cert):
            raise SecurityError(
                f"{where}: we do not trust the server: its certificate {fp} does not carry "
                f"its application URI {app.ApplicationUri} (URI mismatch)"
            )
        if self.plan.store is not None and not await self._trusted(cert, app):
            raise SecurityError(
                f"{where}: we do not trust the server: its certificate {fp} is not in our "
                f"trust store {sec.trust_store}; if you trust it, copy the server's "
                f"certificate into that folder (or pin it with "
                "connection.security.server_certificate)"
            )

    async def _trusted(self, cert: x509.Certificate, app: ua.ApplicationDescription) -> bool:
        if any(der(cert) == der(t) for t in self.plan.trusted):
            return True
        if not any(_is_ca(t) for t in self.plan.trusted):
            return False
        check = CertificateValidator(
            CertificateValidatorOptions.TRUSTED, self.plan.store
        )  # chain to a trusted CA
        try:
            await check(cert, app)
        except (UaError, ValueError):
            return False
        return True


async def apply(client: Client, plan: SecurityPlan, server_cert: x509.Certificate | None) -> None:
    """Configure ``client``: credentials, then (secure policies) certificates, with the
    server certificate given so that asyncua opens no None channel to fetch it."""
    conn, sec = plan.conn, plan.conn.security
    client.application_uri = sec.application_uri
    if conn.username is not None:
        client.set_user(conn.username)
        client.set_password(plan.password or "")
    if not plan.secure:
        return  # warned about once connected (a refused connect prints only its error)
    assert server_cert is not None
    assert plan.client_cert_path is not None and plan.client_key_path is not None
    client.certificate_validator = ServerCheck(plan)
    await client.set_security(
        POLICIES[sec.policy],
        certificate=str(plan.client_cert_path),
        private_key=str(plan.client_key_path),
        server_certificate=der(server_cert),
        mode=MODES[sec.mode],
    )


def warn_if_insecure(plan: SecurityPlan) -> None:
    if not plan.secure:
        log.warning(
            "SECURITY POLICY None for %s: the session is neither encrypted nor signed "
            "(the config says so explicitly)",
            plan.conn.endpoint,
        )


async def discover(conn: ConnectionConfig) -> list[ua.EndpointDescription] | None:
    """The server's endpoint list by discovery (GetEndpoints over SecurityPolicy None, no
    session), or None when the server refuses it (a secure-only server) or is silent."""
    client = Client(conn.endpoint, timeout=conn.request_timeout_s)
    try:
        endpoints: list[ua.EndpointDescription] = await client.connect_and_get_server_endpoints()
    except Exception:
        return None
    return endpoints


def offered(endpoints: list[ua.EndpointDescription]) -> list[str]:
    """'Policy/Mode' of each endpoint, in the config's spelling."""
    names = {v.URI: k.value for k, v in POLICIES.items()}
    names[sp.SecurityPolicyNone.URI] = SecurityPolicy.NONE.value
    out = []
    for e in endpoints:
        policy = names.get(e.SecurityPolicyUri, e.SecurityPolicyUri.rsplit("#", 1)[-1])
        mode = {1: "None", 2: "Sign", 3: "SignAndEncrypt"}.get(int(e.SecurityMode), "?")
        if f"{policy}/{mode}" not in out:
            out.append(f"{policy}/{mode}")
    return out


def endpoint_cert(
    endpoints: list[ua.EndpointDescription], conn: ConnectionConfig
) -> x509.Certificate | None:
    """The server certificate of the endpoint matching the config's policy and mode."""
    sec = conn.security
    for e in endpoints:
        if (
            sec.policy in POLICIES
            and e.SecurityPolicyUri == POLICIES[sec.policy].URI
            and e.SecurityMode == MODES[sec.mode]
            and e.ServerCertificate
        ):
            return x509.load_der_x509_certificate(first_der(e.ServerCertificate))
    return None


def first_der(chain: bytes) -> bytes:
    """The first certificate of a DER chain (a server may send its chain)."""
    if len(chain) < 4 or chain[0] != 0x30:
        return chain
    if chain[1] & 0x80:
        n = chain[1] & 0x7F
        length = int.from_bytes(chain[2 : 2 + n], "big") + 2 + n
    else:
        length = chain[1] + 2
    return chain[:length]
