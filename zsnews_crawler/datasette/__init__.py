"""The archive in Datasette: metadata, a search plugin and the app `zsnews serve` runs.

The metadata (``metadata.yml``) describes the archive under the database name
``archive``; `metadata_for` renames it to the file's stem, the name Datasette
gives the database.
"""

from __future__ import annotations

import copy
import os
from pathlib import Path
from typing import Any

import yaml

METADATA_PATH = Path(__file__).with_name("metadata.yml")
PLACEHOLDER_NAME = "archive"


def load_metadata() -> dict[str, Any]:
    with METADATA_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def metadata_for(database_name: str) -> dict[str, Any]:
    """The shipped metadata, with its database section under `database_name`."""
    metadata = copy.deepcopy(load_metadata())
    databases = metadata.get("databases", {})
    if PLACEHOLDER_NAME in databases:
        databases[database_name] = databases.pop(PLACEHOLDER_NAME)
    return metadata


def register_plugin() -> None:
    """Register the search plugin with Datasette (once per process)."""
    from datasette.plugins import pm

    from . import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="zsnews_search")


def make_datasette(path: str | os.PathLike[str], immutable: bool = False):
    """A Datasette instance serving the archive read-only, with metadata and plugin.

    Datasette reads a mutable file through `mode=ro` connections, so a
    long-running server sees what later crawls write. `immutable=True` is
    faster but only for a file nothing will write again (a copy, a release):
    SQLite may return wrong results if an immutable file changes under it.
    """
    from datasette.app import Datasette

    register_plugin()
    path = str(path)
    return Datasette(
        files=[] if immutable else [path],
        immutables=[path] if immutable else [],
        metadata=metadata_for(Path(path).stem),
        settings={"default_page_size": 50},
    )
