"""`plantloop sim CONFIG` — serve the config's plant as a simulated OPC UA server."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlparse

import typer

from optimizer.cli._common import (
    DEBUG_HELP,
    EXIT_FAILED,
    console,
    fail,
    handle_errors,
    print_plain,
    setup_logging,
)
from optimizer.config.schema import PlantConfig
from optimizer.errors import InputError

STATUS_EVERY_S = 5.0


def load_config(path: Path) -> PlantConfig:
    """The plant config, with FILE:LINE errors from the shared loader."""
    from optimizer.config.loader import load_config as load

    return load(path).config


def register(app: typer.Typer) -> None:
    @app.command("sim", help="Serve CONFIG's plant as a simulated OPC UA server (Ctrl-C stops).")
    @handle_errors
    def _cmd(
        config: Annotated[Path, typer.Argument(help="Plant config (YAML).")],
        port: Annotated[
            int | None,
            typer.Option(
                min=0,
                max=65535,
                help="TCP port (0: a free one; default: the config's endpoint port).",
            ),
        ] = None,
        host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
        speed: Annotated[float, typer.Option(help="Simulated seconds per real second.")] = 60.0,
        seed: Annotated[int, typer.Option(help="Random seed of the dynamics.")] = 0,
        security: Annotated[
            str, typer.Option(help="none, or sign-encrypt (all three modern policies).")
        ] = "none",
        secure_only: Annotated[
            bool,
            typer.Option(
                "--secure-only",
                help="Refuse every SecurityPolicy None channel, even discovery "
                "(needs --security sign-encrypt; clients must pin the certificate).",
            ),
        ] = False,
        cert_dir: Annotated[
            Path | None,
            typer.Option(help="Keep/reuse the server certificate here (default: ./sim-certs)."),
        ] = None,
        user: Annotated[str | None, typer.Option(help="Require this user name.")] = None,
        password_env: Annotated[
            str | None, typer.Option(help="Environment variable holding --user's password.")
        ] = None,
        fault: Annotated[
            list[str] | None, typer.Option(help="TAG=bad|uncertain|stale|freeze|nan (repeat).")
        ] = None,
        watchdog_timeout: Annotated[
            float | None, typer.Option(help="Override interlocks.watchdog.timeout_s (s).")
        ] = None,
        reenable: Annotated[
            bool,
            typer.Option(
                "--reenable",
                help="Do not serve: tell the sim already running at CONFIG's endpoint (or "
                "--port) to take setpoints again after it shed, then exit.",
            ),
        ] = False,
        debug: Annotated[bool, typer.Option("--debug", help=DEBUG_HELP)] = False,
    ) -> None:
        from optimizer.sim import SimulatedPlant
        from optimizer.sim.faults import parse_fault

        if speed <= 0:
            raise InputError(f"--speed must be > 0 simulated seconds per second (got {speed:g})")
        if watchdog_timeout is not None and watchdog_timeout <= 0:
            raise InputError(f"--watchdog-timeout must be > 0 s (got {watchdog_timeout:g})")
        cfg = load_config(config)
        port_given = port is not None
        if port is None:
            port = urlparse(cfg.connection.endpoint).port or 4840
        if reenable:
            _reenable(cfg, host, port)
            return
        faults = []
        for f in fault or []:
            try:
                tag, kind = parse_fault(f)
            except ValueError as e:
                raise InputError(f"--fault: {e}") from None
            if tag not in cfg.tags:
                raise InputError(f"--fault: unknown tag {tag!r} (not in {config})")
            faults.append((tag, kind))
        sec = _security(security, cert_dir, user, password_env, secure_only=secure_only)
        setup_logging(debug=debug)

        async def serve() -> None:
            sim = SimulatedPlant(
                cfg,
                host=host,
                port=port,
                speed=speed,
                seed=seed,
                security=sec,
                watchdog_timeout_s=watchdog_timeout,
            )
            async with sim:
                for tag, kind in faults:
                    sim.inject(tag, kind)
                console.print(
                    f"plantloop sim: [bold]{cfg.plant.name}[/] serving {sim.endpoint}",
                    soft_wrap=True,
                )
                console.print(
                    f"  namespace {cfg.connection.namespace_uri} (ns={sim.namespace_index}), "
                    f"{len(cfg.tags)} tags, speed x{speed:g}, security "
                    f"{_describe(sec)}",
                    highlight=False,
                    soft_wrap=True,
                )
                if sec is not None and sec.cert_dir is not None:
                    console.print(
                        f"  server certificate (pin it): {sec.cert_dir / 'server_cert.der'}",
                        soft_wrap=True,
                    )
                shed_said = False
                if cfg.cycle.clock_tag is None and speed != 1:
                    print_plain(
                        f"  note: simulated time runs x{speed:g}; a `plantloop run` against it "
                        "prices periods by its own clock unless the config sets "
                        "cycle.clock_tag (see docs/simulator.md)"
                    )
                stop = asyncio.Event()
                loop = asyncio.get_running_loop()
                for sig in (signal.SIGINT, signal.SIGTERM):
                    loop.add_signal_handler(sig, stop.set)
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), STATUS_EVERY_S)
                    if not stop.is_set():
                        console.print(
                            sim.status_line(), highlight=False, markup=False, soft_wrap=True
                        )
                        if sim.dcs.shed and not shed_said:
                            print_plain(
                                f"  shed ({sim.dcs.shed_reason}): setpoint writes are refused "
                                "until the permissive is cycled or you run: plantloop sim "
                                f"{config} --reenable" + (f" --port {port}" if port_given else "")
                            )
                        shed_said = sim.dcs.shed
            console.print("plantloop sim: stopped")

        try:
            asyncio.run(serve())
        except OSError as e:  # port taken, address not ours: the job failed, not the input
            raise fail(f"cannot serve on {host}:{port}: {e.strerror or e}", EXIT_FAILED) from None


def _describe(sec: Any) -> str:
    if sec is None:
        return "None (insecure)"
    return "SignAndEncrypt" + (
        " only (secure-only: no None channel at all)" if sec.secure_only else ""
    )


def _reenable(cfg: PlantConfig, host: str, port: int) -> None:
    """Write ``Sim.Control.Reenable`` on a running simulator (security None only)."""
    from asyncua import Client, ua

    url = f"opc.tcp://{host}:{port}{urlparse(cfg.connection.endpoint).path}"

    async def go() -> str:
        async with Client(url, timeout=5) as client:
            idx = await client.get_namespace_index(cfg.connection.namespace_uri)
            await client.get_node(ua.NodeId("Sim.Control.Reenable", idx)).write_value(
                ua.Variant(True, ua.VariantType.Boolean)
            )
            shed = await client.get_node(ua.NodeId("Sim.Dcs.Shed", idx)).read_value()
            return "still shed" if shed else "takes setpoints again"

    try:
        state = asyncio.run(go())
    except (OSError, TimeoutError, ua.UaError, ValueError) as e:
        raise fail(
            f"{url}: cannot re-enable the simulator ({e or type(e).__name__})", EXIT_FAILED
        ) from None
    print_plain(f"plantloop sim at {url}: {state}")


def _security(
    mode: str,
    cert_dir: Path | None,
    user: str | None,
    password_env: str | None,
    *,
    secure_only: bool = False,
) -> Any:
    from optimizer.sim import SimSecurity

    if mode not in ("none", "sign-encrypt"):
        raise InputError(f"--security must be none or sign-encrypt (got {mode!r})")
    if (user is None) != (password_env is None):
        raise InputError("--user and --password-env go together")
    users: dict[str, str] = {}
    if user is not None and password_env is not None:
        pw = os.environ.get(password_env)
        if pw is None:
            raise InputError(f"--password-env: environment variable {password_env} is not set")
        users[user] = pw
    if mode == "none":
        if secure_only:
            raise InputError("--secure-only needs --security sign-encrypt")
        if users:
            raise InputError("--user needs --security sign-encrypt (passwords never go in clear)")
        return None
    return SimSecurity(cert_dir=cert_dir or Path("sim-certs"), users=users, secure_only=secure_only)
