"""Who may open the console: loopback by default; elsewhere only with a token (from the
environment) over TLS; the token never in a query string. Against a real server process."""

from __future__ import annotations

import datetime as dt
import http.client
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from optimizer.console.access import TOKEN_ENV, parse_bind
from optimizer.decisions.store import DecisionLog
from optimizer.errors import InputError
from optimizer.sim.server import free_port

REPO = Path(__file__).resolve().parents[2]
TOKEN = "s3cret-console-token-0123456789"


def _cert(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    import ipaddress

    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    c, k = folder / "console.pem", folder / "console.key"
    c.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    k.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    k.chmod(0o600)
    return c, k


def _log(folder: Path) -> Path:
    db = folder / "decisions.sqlite"
    DecisionLog(db).close()
    return db


def test_loopback_needs_no_token() -> None:
    b = parse_bind("127.0.0.1:8080", environ={})
    assert b.token is None and b.url == "http://127.0.0.1:8080/"
    assert parse_bind("[::1]:8080", environ={}).host == "::1"


@pytest.mark.parametrize(
    ("env", "tls", "says"),
    [
        ({}, False, f"set {TOKEN_ENV}"),
        ({TOKEN_ENV: TOKEN}, False, "give --tls-cert and --tls-key"),
        ({TOKEN_ENV: "short"}, True, "at least 16 characters"),
    ],
)
def test_other_addresses_refused_without_token_and_tls(
    tmp_path: Path, env: dict[str, str], tls: bool, says: str
) -> None:
    cert, key = _cert(tmp_path) if tls else (None, None)
    with pytest.raises(InputError) as e:
        parse_bind("0.0.0.0:8080", tls_cert=cert, tls_key=key, environ=env)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_cli_refuses_in_one_line(tmp_path: Path) -> None:
    db = _log(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != TOKEN_ENV}
    r = subprocess.run(
        [sys.executable, "-m", "optimizer", "console", str(db), "--http", "0.0.0.0:8080"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert r.returncode == 2, r.stderr
    assert r.stderr.strip().count("\n") == 0 and "Traceback" not in r.stderr
    assert r.stderr.startswith("plantloop: error: --http 0.0.0.0:8080: not a loopback address")


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, ssl.SSLContext]]:
    folder = tmp_path_factory.mktemp("access")
    db = _log(folder)
    cert, key = _cert(folder)
    port = free_port("127.0.0.1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optimizer",
            "console",
            str(db),
            "--http",
            f"127.0.0.1:{port}",
            "--tls-cert",
            str(cert),
            "--tls-key",
            str(key),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, TOKEN_ENV: TOKEN},
    )
    ctx = ssl.create_default_context(cafile=str(cert))
    end = time.monotonic() + 60
    while True:
        try:
            _get(port, ctx, "/login")
            break
        except OSError:
            if time.monotonic() > end or proc.poll() is not None:
                proc.kill()
                raise AssertionError(proc.communicate()[0].decode()) from None
            time.sleep(0.3)
    yield port, ctx
    proc.terminate()
    proc.wait(20)


def _get(
    port: int,
    ctx: ssl.SSLContext,
    path: str,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: str | None = None,
) -> http.client.HTTPResponse:
    c = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=10)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    r.read()
    return r


@pytest.mark.parametrize("path", ["/api/status", "/api/cycles", "/metrics", "/api/openapi.json"])
def test_no_token_no_data(tls_server: tuple[int, ssl.SSLContext], path: str) -> None:
    port, ctx = tls_server
    assert _get(port, ctx, path).status == 401


def test_every_answer_carries_the_security_headers(
    tls_server: tuple[int, ssl.SSLContext],
) -> None:
    port, ctx = tls_server
    for r in (_get(port, ctx, "/api/status"), _get(port, ctx, "/login")):
        assert "default-src 'self'" in (r.getheader("Content-Security-Policy") or "")
        assert r.getheader("X-Frame-Options") == "DENY"
        assert r.getheader("X-Content-Type-Options") == "nosniff"


def test_wrong_token_refused(tls_server: tuple[int, ssl.SSLContext]) -> None:
    port, ctx = tls_server
    r = _get(port, ctx, "/api/status", {"Authorization": "Bearer " + TOKEN[:-1] + "x"})
    assert r.status == 401
    assert _get(port, ctx, "/api/status", {"Cookie": "plantloop_console=nope"}).status == 401


@pytest.mark.parametrize("param", ["token", "access_token", "plantloop_console"])
def test_token_in_query_string_not_accepted(
    tls_server: tuple[int, ssl.SSLContext], param: str
) -> None:
    port, ctx = tls_server
    assert _get(port, ctx, f"/api/status?{param}={TOKEN}").status == 401


def test_right_token_over_tls(tls_server: tuple[int, ssl.SSLContext]) -> None:
    port, ctx = tls_server
    assert _get(port, ctx, "/api/status", {"Authorization": f"Bearer {TOKEN}"}).status == 200
    assert _get(port, ctx, "/metrics", {"Authorization": f"Bearer {TOKEN}"}).status == 200


def test_browser_signs_in_with_a_form_and_a_cookie(
    tls_server: tuple[int, ssl.SSLContext],
) -> None:
    port, ctx = tls_server
    page = _get(port, ctx, "/")
    assert page.status == 303 and page.getheader("Location") == "/login"
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = _get(port, ctx, "/login", form, method="POST", body="token=wrong")
    assert bad.status == 401 and bad.getheader("Set-Cookie") is None
    ok = _get(port, ctx, "/login", form, method="POST", body=f"token={TOKEN}")
    cookie = ok.getheader("Set-Cookie") or ""
    assert ok.status == 303 and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=strict" in cookie.lower()
    assert _get(port, ctx, "/", {"Cookie": cookie.split(";")[0]}).status == 200
