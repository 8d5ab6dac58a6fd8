"""The classroom page's server: solara's own, with its asset route made read-only.

Solara serves the browser's scripts under ``/_solara/cdn/`` from a cache folder (with the
``solara-assets`` package, the environment's ``share/solara/cdn/``) and, as a proxy, fetches what the
cache lacks from a public CDN and writes it there; a request naming a folder of the cache made it remove
that folder (``GET /_solara/cdn/@widgetti/solara-vuetify-app@10.1.1``), breaking every page served from
the environment. Here that route serves existing files of the installed assets and nothing else: it
never fetches, writes or removes anything, and answers anything else with 404.

Run as ``python -m sim.classroom.server ARGS``: the same arguments as ``solara``'s command line
(``sim.classroom.app.server_command`` builds them).
"""

from __future__ import annotations

import os
import sys
from importlib import metadata
from pathlib import Path

ASSETS_DISTRIBUTION = "solara-assets"
ASSETS_FOLDER = ("share", "solara", "cdn")
SINGLE_FILE = "__main.js"  # how solara stores a package requested without a file (``/_solara/cdn/requirejs@2.3.6``)


class NotServed(FileNotFoundError):
    """A request for anything but an existing file of the installed assets."""


def installed_assets() -> Path | None:
    """The folder where the ``solara-assets`` package installed the browser's scripts, or None."""
    try:
        files = metadata.distribution(ASSETS_DISTRIBUTION).files or []
    except metadata.PackageNotFoundError:
        return None
    for file in files:
        parts = Path(file).parts
        for i in range(len(parts) - len(ASSETS_FOLDER) + 1):
            if parts[i:i + len(ASSETS_FOLDER)] == ASSETS_FOLDER:
                folder = Path(metadata.distribution(ASSETS_DISTRIBUTION).locate_file(Path(*parts[:i + len(ASSETS_FOLDER)])))
                return folder.resolve() if folder.is_dir() else None
    return None


def asset_file(root: Path, request_path: str) -> Path:
    """The file of ``root`` a request under ``/_solara/cdn/`` names; :class:`NotServed` for anything else
    (a folder, a missing file, a path leading out of ``root``)."""
    parts = request_path.replace("\\", "/").split("/")
    relative = Path(request_path, SINGLE_FILE) if len(parts) == 1 else Path(request_path)
    root = Path(os.path.normpath(os.path.abspath(root)))
    path = Path(os.path.normpath(root / relative))  # as solara: ".." resolved, links inside the install followed
    if root not in path.parents:
        raise NotServed(f"{request_path}: outside the assets folder")
    if not path.is_file():
        raise NotServed(f"{request_path}: not a file of the installed assets")
    return path


def _refuse(*args, **kwargs):
    raise PermissionError("the classroom page serves its installed assets read-only and fetches nothing")


def serve_assets_read_only() -> None:
    """Replace solara's asset proxy (fetch from the CDN, write to and delete from the cache) with read-only
    lookups in the cache folder. Call before solara's server module is imported (it is patched too if it was)."""
    import solara.server.cdn_helper as cdn

    def get_path(base_cache_dir: Path, path: str) -> Path:
        return asset_file(base_cache_dir, path)

    def get_data(base_cache_dir: Path, path: str) -> bytes:
        return asset_file(base_cache_dir, path).read_bytes()

    cdn.get_path, cdn.get_data = get_path, get_data
    cdn.fetch_from_cdn = cdn.put_in_cache = _refuse
    starlette = sys.modules.get("solara.server.starlette")
    if starlette is not None:
        starlette.get_path = get_path


def main(argv: list[str]) -> None:
    serve_assets_read_only()
    from solara.__main__ import main as solara_main

    sys.argv = ["solara", *argv]
    solara_main()


if __name__ == "__main__":  # pragma: no cover - the server's process
    main(sys.argv[1:])
