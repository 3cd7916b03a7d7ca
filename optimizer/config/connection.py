"""``connection:`` — how plantloop reaches the OPC UA server of the control system."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from optimizer.config.base import PositiveFloat, Section


class SecurityPolicy(StrEnum):
    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"
    AES128_SHA256_RSAOAEP = "Aes128_Sha256_RsaOaep"
    AES256_SHA256_RSAPSS = "Aes256_Sha256_RsaPss"


class SecurityMode(StrEnum):
    NONE = "None"
    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"


class SecurityConfig(Section):
    """Channel security. There is no default: ``policy: None`` must be written out."""

    policy: SecurityPolicy
    """Security policy; None (unencrypted) only when written out."""
    mode: SecurityMode = SecurityMode.SIGN_AND_ENCRYPT
    """Message security mode: Sign or SignAndEncrypt (None with policy None)."""
    client_certificate: Path | None = None
    """plantloop's certificate (DER), relative to the config's folder; `plantloop certs` makes one.
    """
    client_private_key: Path | None = None
    """The certificate's private key (PEM), relative to the config's folder."""
    server_certificate: Path | None = Field(
        default=None, description="Pinned server certificate (DER or PEM)."
    )
    trust_store: Path | None = Field(
        default=None, description="Folder of trusted server/CA certificates (certificates only)."
    )
    application_uri: str = Field(
        default="urn:plantloop:client",
        description="Must equal the URI in the client certificate.",
    )

    @model_validator(mode="after")
    def _consistent(self) -> SecurityConfig:
        if self.policy is SecurityPolicy.NONE:
            if self.mode is not SecurityMode.NONE:
                raise ValueError(
                    f"policy None needs mode None (got mode {self.mode.value}); "
                    "choose a secure policy or write 'mode: None'"
                )
            return self
        if self.mode is SecurityMode.NONE:
            raise ValueError(
                f"policy {self.policy.value} needs mode Sign or SignAndEncrypt (got None)"
            )
        if self.client_certificate is None or self.client_private_key is None:
            raise ValueError(
                "a secure policy needs client_certificate and client_private_key "
                "(create them with 'plantloop certs')"
            )
        if self.server_certificate is None and self.trust_store is None:
            raise ValueError(
                "a secure policy needs server_certificate (pinning) or trust_store to "
                "validate the server; plantloop never trusts an unknown server"
            )
        return self


class ConnectionConfig(Section):
    endpoint: str = Field(pattern=r"^opc\.tcp://", description="opc.tcp://host:port/path")
    namespace_uri: str = Field(
        min_length=1,
        description="Namespace of the tag node ids; resolved to its index at connect time.",
    )
    security: SecurityConfig
    """Channel security: policy, mode, certificates (see docs/opcua.md)."""
    username: str | None = None
    """User name for the session; the password comes from password_env. Empty: anonymous."""
    password_env: str | None = Field(
        default=None,
        description="Name of the environment variable that holds the password (never the "
        "password itself).",
    )
    request_timeout_s: PositiveFloat = 5.0
    """Deadline of every OPC UA request (read, write, browse), seconds."""
    session_timeout_s: PositiveFloat = 60.0
    """Session timeout requested from the server, seconds."""
    reconnect_max_backoff_s: PositiveFloat = 30.0
    """Longest wait between reconnect attempts after a lost connection, seconds."""

    @field_validator("endpoint")
    @classmethod
    def _no_credentials_in_url(cls, v: str) -> str:
        # never echo the URL: it would print (and log) the password
        if "@" in urlsplit(v).netloc:
            raise ValueError(
                "credentials in the endpoint URL are refused (they would be printed and "
                "logged); use username and password_env"
            )
        return v

    @model_validator(mode="after")
    def _credentials(self) -> ConnectionConfig:
        if (self.username is None) != (self.password_env is None):
            raise ValueError("username and password_env go together (set both or neither)")
        return self
