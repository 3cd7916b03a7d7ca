"""Who may open the console: loopback freely; any other address only with a token.

The token comes from an environment variable (never the config file, which is often
checked in). Clients present it as ``Authorization: Bearer TOKEN`` (scripts, Prometheus)
or through the sign-in form, which sets an HttpOnly cookie (browsers). A token in the
query string is never accepted: URLs end up in proxy logs and browser history.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import InputError

TOKEN_ENV = "PLANTLOOP_CONSOLE_TOKEN"
COOKIE = "plantloop_console"
MIN_TOKEN_CHARS = 16


@dataclass(frozen=True, kw_only=True)
class Bind:
    host: str
    port: int
    token: str | None  # None: loopback, no token asked
    tls_cert: Path | None = None
    tls_key: Path | None = None

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_cert else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}/"


def parse_bind(
    addr: str,
    *,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    environ: dict[str, str] | None = None,
) -> Bind:
    """``HOST:PORT`` -> Bind, or an InputError that says what is missing (one line)."""
    env = os.environ if environ is None else environ
    host, sep, port_text = addr.rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise InputError(f"--http {addr}: expected HOST:PORT, e.g. 127.0.0.1:8080")
    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together")
    for p in (tls_cert, tls_key):
        if p is not None and not p.is_file():
            raise InputError(f"{p}: no such file (TLS certificate or key for the console)")
    token = env.get(TOKEN_ENV) or None
    if is_loopback(host):
        return Bind(host=host, port=int(port_text), token=token, tls_cert=tls_cert, tls_key=tls_key)
    if token is None:
        raise InputError(
            f"--http {addr}: not a loopback address; set {TOKEN_ENV} to an access token "
            "(and give --tls-cert/--tls-key) to serve the console on the network"
        )
    if len(token) < MIN_TOKEN_CHARS:
        raise InputError(
            f"{TOKEN_ENV}: the access token needs at least {MIN_TOKEN_CHARS} characters"
        )
    if tls_cert is None:
        raise InputError(
            f"--http {addr}: not a loopback address; give --tls-cert and --tls-key so the "
            "token and the page do not cross the network in clear text"
        )
    return Bind(host=host, port=int(port_text), token=token, tls_cert=tls_cert, tls_key=tls_key)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_ok(expected: str, authorization: str | None, cookie: str | None) -> bool:
    """Bearer header or sign-in cookie, compared in constant time."""
    offered = []
    if authorization and authorization.lower().startswith("bearer "):
        offered.append(authorization[7:].strip())
    if cookie:
        offered.append(cookie)
    return any(hmac.compare_digest(o.encode(), expected.encode()) for o in offered)
