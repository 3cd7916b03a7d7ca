"""Why a connection failed, told truthfully in one line.

asyncua reports a refused secure channel as a status code, a bare AssertionError, a
time-out or a closed socket depending on the server. When the reason is not in the error
itself, the server's endpoint list is asked for (discovery, after the failure; a
secure-only server refuses it and the message says what it cannot tell apart):

- we do not trust the server (its fingerprint, and where to put its certificate);
- the server does not trust us (our fingerprint, for its administrator);
- the policy is not offered (what is offered);
- bad credentials; a certificate expired; a URI mismatch.
"""

from __future__ import annotations

from asyncua import ua
from cryptography import x509

from optimizer.errors import ConnectError, PlantIOError, SecurityError
from optimizer.plantio.ua_security import (
    SecurityPlan,
    der,
    discover,
    endpoint_cert,
    fingerprint,
    offered,
    validity,
)

_CREDENTIALS = {"BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected"}
_POLICY = {"BadSecurityPolicyRejected", "BadSecurityModeRejected"}
_DISTRUSTS_US = {
    "BadSecurityChecksFailed",
    "BadCertificateUntrusted",
    "BadCertificateInvalid",
    "BadCertificateIssuerRevocationUnknown",
    "BadCertificateRevoked",
    "BadCertificateUseNotAllowed",
}


def status_name(e: BaseException) -> str | None:
    if isinstance(e, ua.UaStatusCodeError):
        return str(ua.StatusCode(e.code).name)
    return None


def describe(e: BaseException) -> str:
    """``Type: message`` without an empty message or a doubled prefix."""
    text = str(e).strip()
    name = status_name(e)
    if name is not None:
        return name
    if not text:
        return type(e).__name__
    return text if text.startswith(type(e).__name__) else f"{type(e).__name__}: {text}"


def plain(e: BaseException, conn_endpoint: str) -> PlantIOError:
    """A failure that needs no look at the server: unreachable, timed out, other."""
    where = conn_endpoint
    if isinstance(e, PlantIOError):
        return e
    if isinstance(e, TimeoutError):
        return ConnectError(f"{where}: no answer (timed out)")
    if isinstance(e, ConnectionRefusedError):
        return ConnectError(f"{where}: unreachable (connection refused)")
    if isinstance(e, OSError) and not isinstance(e, ConnectionError):
        return ConnectError(f"{where}: unreachable ({e.strerror or describe(e)})")
    name = status_name(e)
    if name is not None:
        return ConnectError(f"{where}: {name}")
    return ConnectError(f"{where}: {describe(e)}")


async def explain(
    e: BaseException, plan: SecurityPlan, server_cert: x509.Certificate | None
) -> PlantIOError:
    """Turn a failed connect into one truthful line (may ask the server by discovery)."""
    if isinstance(e, PlantIOError):
        return e
    conn, sec = plan.conn, plan.conn.security
    where, name = conn.endpoint, status_name(e)
    want = f"{sec.policy.value}/{sec.mode.value}"
    if name in _CREDENTIALS:
        return SecurityError(
            f"{where}: bad credentials: user {conn.username!r} rejected ({name}); check the "
            f"user name and the password in {conn.password_env}"
            if conn.username is not None
            else f"{where}: the server refuses anonymous sessions ({name}); set username and "
            "password_env"
        )
    if isinstance(e, ConnectionRefusedError) or (
        isinstance(e, OSError) and not isinstance(e, ConnectionError | TimeoutError)
    ):
        return plain(e, where)
    if name in _POLICY or (isinstance(e, ValueError) and "matching endpoint" in str(e).lower()):
        return _not_offered(where, want, await discover(conn), name)
    if not plan.secure:
        if isinstance(e, TimeoutError | ConnectionError | AssertionError):
            # the server may have closed a None channel it does not offer: ask it (a server
            # that is down or refuses discovery too gets the plain reason, nothing guessed)
            eps = await discover(conn)
            if eps is not None and "None/None" not in offered(eps):
                return _not_offered(where, want, eps, name)
        return plain(e, where)
    ours = f"our certificate {plan.our_fingerprint} ({sec.client_certificate})"
    if name == "BadCertificateTimeInvalid":
        assert plan.client_cert is not None
        return SecurityError(
            f"{where}: the server does not trust us: it finds {ours} expired or not yet "
            f"valid (valid {plan.client_cert.not_valid_before_utc:%Y-%m-%d} to "
            f"{plan.client_cert.not_valid_after_utc:%Y-%m-%d}; check both clocks)"
        )
    if name == "BadCertificateUriInvalid":
        return SecurityError(
            f"{where}: the server does not trust us: the URI in {ours} does not match "
            f"application_uri {sec.application_uri} (URI mismatch)"
        )
    eps = await discover(conn)
    if eps is not None:
        presented = endpoint_cert(eps, conn)
        if presented is None:
            return _not_offered(where, want, eps, name)
        if server_cert is not None and der(presented) != der(server_cert):
            return _distrust_server(plan, presented)
    # a bare AssertionError / time-out / closed socket is how some servers refuse an
    # untrusted client, but only when the server answers discovery can we tell it from a
    # server that is simply down
    bare = (
        name is None
        and eps is not None
        and isinstance(e, TimeoutError | ConnectionError | AssertionError)
    )
    if name not in _DISTRUSTS_US and not bare:
        return plain(e, where)
    maybe = (
        ""
        if eps is not None
        else " (the server lists no endpoints over an unsecured channel, so a pinned "
        "certificate that is not the server's would look the same)"
    )
    return SecurityError(
        f"{where}: the server does not trust us ({name or describe(e)}): give its "
        f"administrator {ours} to trust{maybe}"
    )


def _not_offered(
    where: str, want: str, eps: list[ua.EndpointDescription] | None, name: str | None
) -> SecurityError:
    why = f" ({name})" if name else ""
    if eps is None:
        return SecurityError(
            f"{where}: security policy {want} refused by the server{why}; it does not list "
            "its endpoints over an unsecured channel (a secure-only server): configure "
            "one of its secure policies"
        )
    return SecurityError(
        f"{where}: security policy {want} not offered by the server{why}; it offers "
        + ", ".join(offered(eps))
    )


def _distrust_server(plan: SecurityPlan, presented: x509.Certificate) -> SecurityError:
    sec, where = plan.conn.security, plan.conn.endpoint
    fp = fingerprint(der(presented))
    if plan.pinned is not None:
        return SecurityError(
            f"{where}: we do not trust the server: it presents certificate {fp}, not the "
            f"pinned {sec.server_certificate}; if the server's certificate was renewed and "
            "you trust it, replace that file with it"
        )
    why = validity(presented)
    return SecurityError(
        f"{where}: we do not trust the server: its certificate {fp}"
        + (f" {why}" if why else f" is not in our trust store {sec.trust_store}")
        + "; if you trust it, copy the server's certificate into that folder (or pin it "
        "with connection.security.server_certificate)"
    )
