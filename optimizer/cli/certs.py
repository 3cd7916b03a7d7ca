"""`plantloop certs` — create the client certificate and key for a secure OPC UA session."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli._common import console, handle_errors, print_plain
from optimizer.config.loader import load_config


def register(app: typer.Typer) -> None:
    @app.command("certs")
    @handle_errors
    def certs(
        config: Annotated[Path, typer.Option("--config", help="Plant config (for the URI).")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Folder for the files (default: certs/ next to CONFIG)."),
        ] = None,
        days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 730,
        force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    ) -> None:
        """Create a client certificate (DER) and key (PEM) whose URI matches the config's
        application_uri, and print the fingerprint for the server's administrator."""
        from optimizer.plantio.certs import make_client_certificate

        cfg = load_config(config).config
        uri = cfg.connection.security.application_uri
        folder = out if out is not None else config.parent / "certs"
        files = make_client_certificate(folder, application_uri=uri, days=days, overwrite=force)
        print_plain(f"certificate  {files.certificate}")
        print_plain(f"private key  {files.private_key}")
        print_plain(f"application URI  {uri}")
        print_plain(f"SHA-256 fingerprint  {files.fingerprint}")
        console.print(
            "Give the certificate (or its fingerprint) to the server's administrator to trust, "
            "and put these lines under connection.security (paths in a config are relative to "
            "its folder):",
            markup=False,
        )
        base = config.resolve().parent
        for key, f in (
            ("client_certificate", files.certificate),
            ("client_private_key", files.private_key),
        ):
            path = Path(f).resolve()
            shown = path.relative_to(base) if path.is_relative_to(base) else path
            print_plain(f"    {key}: {shown}")
