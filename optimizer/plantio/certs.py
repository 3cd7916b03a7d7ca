"""Client certificates for OPC UA: self-signed, URI SAN = the configured application URI."""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from optimizer.errors import InputError


@dataclass(frozen=True, kw_only=True)
class CertFiles:
    certificate: Path  # DER, what OPC UA servers expect
    private_key: Path  # PEM, unencrypted, mode 0600
    fingerprint: str  # SHA-256, colon-separated hex


def write_private(path: Path, data: bytes) -> None:
    """Write a secret with mode 0600 from its first byte (a new file: an old one, perhaps
    readable by others, is removed first; no write-then-chmod window)."""
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)


def make_client_certificate(
    out_dir: Path,
    *,
    application_uri: str,
    common_name: str = "plantloop",
    days: int = 730,
    key_bits: int = 2048,
    overwrite: bool = False,
) -> CertFiles:
    cert_path, key_path = out_dir / "plantloop-cert.der", out_dir / "plantloop-key.pem"
    if not overwrite and (cert_path.exists() or key_path.exists()):
        raise InputError(f"{out_dir}: certificate files exist already (use --force to replace)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out_dir}: cannot create ({e.strerror})") from None
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "plantloop"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(
            x509.SubjectAlternativeName(
                [
                    x509.UniformResourceIdentifier(application_uri),
                    x509.DNSName(socket.gethostname()),
                ]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    cert_path.write_bytes(der)
    write_private(
        key_path,
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ),
    )
    digest = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertFiles(
        certificate=cert_path,
        private_key=key_path,
        fingerprint=":".join(digest[i : i + 2] for i in range(0, len(digest), 2)),
    )
