"""The console's web application: pages, JSON API (with its OpenAPI document), event
stream and metrics. Read-only: there is no route that changes anything in the plant or the
log (the sign-in form only sets a cookie)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from optimizer.console import views
from optimizer.console.access import COOKIE, token_ok
from optimizer.console.live import LiveFeed
from optimizer.console.metrics import LogMetrics
from optimizer.decisions import query
from optimizer.errors import InputError
from optimizer.outcomes import Outcome

STATIC = Path(__file__).parent / "static"
InputsOpt = Annotated[
    str, Query(description="Input rows: all (default), none, or comma-separated tag names")
]
OPEN_PATHS = ("/login",)
# the browser itself refuses anything not served by the console (no CDN can creep in), the
# page cannot be framed by another site, and URLs do not leak to other hosts
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def create_app(
    db: Path, *, live: LiveFeed | None = None, token: str | None = None, secure: bool = False
) -> FastAPI:
    app = FastAPI(
        title="plantloop console",
        description="Read-only view of the loop and its decision log.",
        version="1",
        openapi_url="/api/openapi.json",
        docs_url=None,  # the interactive docs load scripts from a CDN; the plant has no internet
        redoc_url=None,
    )
    metrics = LogMetrics(db, live)
    app.state.stopping = False

    if token is not None:

        @app.middleware("http")
        async def require_token(
            request: Request, call_next: Callable[[Request], Awaitable[Response]]
        ) -> Response:
            if request.url.path in OPEN_PATHS or token_ok(
                token, request.headers.get("authorization"), request.cookies.get(COOKIE)
            ):
                return await call_next(request)
            if request.url.path.startswith(("/api/", "/metrics")):
                return Response(
                    '{"detail": "access token required (Authorization: Bearer)"}',
                    status_code=401,
                    media_type="application/json",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return RedirectResponse("/login", status_code=303)

        @app.get("/login", include_in_schema=False)
        def login_form() -> HTMLResponse:
            return HTMLResponse(_LOGIN.format(message=""))

        @app.post("/login", include_in_schema=False)
        async def login(request: Request) -> Response:
            form = parse_qs((await request.body()).decode("utf-8", "replace"))
            offered = (form.get("token") or [""])[0]
            if not token_ok(token, None, offered):
                return HTMLResponse(_LOGIN.format(message="wrong token"), status_code=401)
            resp = RedirectResponse("/", status_code=303)
            resp.set_cookie(COOKIE, offered, httponly=True, samesite="strict", secure=secure)
            return resp

    # added last, so it is the outermost layer: refusals carry the headers too
    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/api/status", summary="Loop state and the newest cycle")
    def status() -> dict[str, Any]:
        """State (running / advisory / shed / held / starting / stopping / waiting) and why,
        the newest cycle, permissive and watchdog, connection and next run (live only),
        decision-log size and free space."""
        return views.status(db, live)

    @app.get("/api/cycles", summary="Cycle summaries, oldest first")
    def cycles(
        since: Annotated[datetime | None, Query(description="From this time (ISO)")] = None,
        until: Annotated[datetime | None, Query(description="Before this time (ISO)")] = None,
        outcome: Annotated[str | None, Query(description="Only this outcome")] = None,
        after_id: Annotated[int | None, Query(description="Only cycles with a larger id")] = None,
        limit: Annotated[int, Query(ge=1, le=10_000, description="At most this many")] = 500,
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` cycles matching the filters: id, run, cycle number, times,
        outcome, reasons, objective, gap, solve time."""
        if outcome is not None and outcome not in {o.value for o in Outcome}:
            raise HTTPException(422, f"unknown outcome {outcome!r}")
        if not db.exists():
            return []
        return query.cycle_summaries(
            db,
            since=_aware(since),
            until=_aware(until),
            outcome=outcome,
            after_id=after_id,
            limit=limit,
        )

    @app.get("/api/cycles/latest", summary="The newest cycle's full record")
    def latest_cycle(inputs: InputsOpt = "all") -> dict[str, Any]:
        return _found(views.cycle_view(db, None, inputs))

    @app.get("/api/cycles/{cycle_id}", summary="One cycle's full record")
    def one_cycle(cycle_id: int, inputs: InputsOpt = "all") -> dict[str, Any]:
        """Everything the decision log holds for the cycle, with the limits of its run."""
        return _found(views.cycle_view(db, cycle_id, inputs))

    @app.get("/api/plan", summary="The plan over the horizon per carrier")
    def plan(
        cycle: Annotated[int | None, Query(description="Cycle id (default: the newest)")] = None,
    ) -> dict[str, Any]:
        """Per carrier: unit outputs (supply), unit consumption (use), demand, unmet demand
        and marginal prices when the model gives them; storage SoC; grid import/export with
        prices; fuel prices."""
        return _found(views.plan_view(db, cycle))

    @app.get("/api/trends", summary="Tag values and CV predictions over recent cycles")
    def trends(
        tags: Annotated[str, Query(description="Comma-separated tag names")] = "",
        until_id: Annotated[int | None, Query(description="Up to this cycle id")] = None,
        limit: Annotated[int, Query(ge=1, le=5000, description="At most this many cycles")] = 288,
    ) -> list[dict[str, Any]]:
        """Per cycle (oldest first): id, start, outcome, the used value of each tag, the
        CV predictions and MV moves."""
        return views.trends(db, [t for t in tags.split(",") if t], until_id, limit)

    @app.get("/api/events", summary="Server-sent events: one 'status' event per change")
    async def events(request: Request) -> StreamingResponse:
        return StreamingResponse(
            _stream(request, db, live, app),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    @app.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def prometheus() -> Response:
        return Response(metrics.render(), media_type="text/plain; version=0.0.4; charset=utf-8")

    return app


async def _stream(
    request: Request, db: Path, live: LiveFeed | None, app: FastAPI
) -> AsyncIterator[str]:
    seen: tuple[int, int] | None = None
    yield "retry: 3000\n\n"
    while not app.state.stopping and not await request.is_disconnected():
        newest = await asyncio.to_thread(_newest_id, db)
        now = (newest, live.version if live is not None else 0)
        if now != seen:
            seen = now
            data = await asyncio.to_thread(views.status, db, live)
            yield f"event: status\ndata: {json.dumps(data)}\n\n"
        else:
            yield ": idle\n\n"
        if live is not None:
            await live.wait(5.0)
        else:
            await asyncio.sleep(2.0)


def _newest_id(db: Path) -> int:
    try:
        return query.last_id(db) if db.exists() else 0
    except InputError:  # created but not yet initialised by the loop
        return 0


def _found(v: dict[str, Any] | None) -> dict[str, Any]:
    if v is None:
        raise HTTPException(404, "no such cycle")
    return v


def _aware(t: datetime | None) -> datetime | None:
    """A time without a zone in a query is UTC (as everywhere in plantloop)."""
    if t is None:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t


_LOGIN = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>plantloop console — sign in</title>
<style>body{{font:16px system-ui,sans-serif;background:#10151c;color:#e6e9ee;display:grid;
place-items:center;height:100vh;margin:0}}form{{background:#1a222d;padding:2em;border-radius:8px}}
input{{font:inherit;padding:.4em;width:20em}}button{{font:inherit;padding:.4em 1em}}
.m{{color:#ff7b72}}</style></head><body><form method="post" action="/login">
<h1>plantloop console</h1><p>Access token</p>
<p><input type="password" name="token" autocomplete="current-password" autofocus></p>
<p class="m">{message}</p><button type="submit">Sign in</button></form></body></html>"""
