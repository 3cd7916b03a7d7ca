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
        out: Annotated[Path, typer.Option("--out", help="Folder for the files.")] = Path("certs"),
        days: Annotated[int, typer.Option("--days", min=1, max=3650)] = 730,
        force: Annotated[bool, typer.Option("--force", help="Replace existing files.")] = False,
    ) -> None:
        """Create a client certificate (DER) and key (PEM) whose URI matches the config's
        application_uri, and print the fingerprint for the server's administrator."""
        from optimizer.plantio.certs import make_client_certificate

        cfg = load_config(config).config
        uri = cfg.connection.security.application_uri
        files = make_client_certificate(out, application_uri=uri, days=days, overwrite=force)
        print_plain(f"certificate  {files.certificate}")
        print_plain(f"private key  {files.private_key}")
        print_plain(f"application URI  {uri}")
        print_plain(f"SHA-256 fingerprint  {files.fingerprint}")
        console.print(
            "Give the certificate (or its fingerprint) to the server's administrator "
            "to trust, and set connection.security.client_certificate / "
            "client_private_key to these paths."
        )
