"""`plantloop schema` — the config's JSON Schema, for editor completion and validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from optimizer.cli._common import fail, handle_errors, print_plain
from optimizer.config.schema import PlantConfig


def config_json_schema() -> dict[str, object]:
    schema = PlantConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "plantloop plant configuration"
    return schema


def register(app: typer.Typer) -> None:
    @app.command("schema")
    @handle_errors
    def schema(
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
        ] = None,
    ) -> None:
        """Print the JSON Schema of plant config files."""
        text = json.dumps(config_json_schema(), indent=2)
        if output is None:
            print(text)
            return
        try:
            output.write_text(text + "\n")
        except OSError as e:
            raise fail(f"{output}: cannot write ({e.strerror})") from None
        print_plain(f"wrote {output}")
