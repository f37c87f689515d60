"""A local copy of the two sites on loopback.

Serves a folder laid out as `ROOT/{host}/{path}` (one folder per real host),
one port per host. A URL ending in `/` is served from `index.html`; a query
string is served from the file `PATH@QUERY` (or `PATH?QUERY`) when it exists,
else from `PATH` (the site ignores parameters it does not know); a missing
file is a 404 (with `ROOT/{host}/404.html` as its body when there is one).
HTML is sent without a charset so that the page's own <meta> decides, as a
browser would.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HOSTS = {"en": "en.zsnews.cn", "zh": "www.zsnews.cn"}
CONTENT_TYPES = {".html": "text/html", ".htm": "text/html", ".json": "application/json",
                 ".txt": "text/plain", ".xml": "application/xml"}


def default_root() -> Path:
    """The bundled fixture site, next to the package in a source checkout."""
    return Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "site"


def resolve(folder: Path, raw_path: str) -> tuple[Path | None, str | None]:
    """Map a request path (with query) to a file; or (None, redirect_location)."""
    parts = urlsplit(raw_path)
    path = unquote(parts.path)
    if not path.startswith("/") or any(seg in ("..", ".") for seg in path.split("/")):
        return None, None
    candidates = []
    relative = path.lstrip("/")
    if relative == "" or relative.endswith("/"):
        relative += "index.html"
    if parts.query:
        query = unquote(parts.query)
        candidates += [folder / f"{relative}@{query}", folder / f"{relative}?{query}"]
    candidates.append(folder / relative)
    for candidate in candidates:
        try:
            candidate.resolve().relative_to(folder.resolve())
        except ValueError:
            return None, None
        if candidate.is_file():
            return candidate, None
    if (folder / relative).is_dir():
        return None, path + "/"
    return None, None


def _content_type(path: Path, body: bytes) -> str:
    # The API answers JSON under a .html name, as the real site's route does.
    if body.lstrip()[:1] in (b"[", b"{"):
        return "application/json"
    name = path.name.split("@", 1)[0].split("?", 1)[0]
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def make_handler(folder: Path) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "zsnews-mirror/1"
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass  # quiet: tests and the demo read stdout

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def _serve(self, send_body: bool) -> None:
            file, redirect = resolve(folder, self.path)
            if redirect:
                self._send(301, b"", "text/plain", {"Location": redirect}, send_body)
            elif file is None:
                page = folder / "404.html"
                body = page.read_bytes() if page.is_file() else b"<h1>404 Not Found</h1>"
                self._send(404, body, "text/html", {}, send_body)
            else:
                body = file.read_bytes()
                self._send(200, body, _content_type(file, body), {}, send_body)

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str],
                  send_body: bool) -> None:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    return Handler


@dataclass
class Mirror:
    """Servers for both hosts; `base_urls` maps lang to `http://127.0.0.1:PORT`."""

    servers: dict[str, ThreadingHTTPServer]

    @property
    def base_urls(self) -> dict[str, str]:
        return {lang: f"http://127.0.0.1:{srv.server_address[1]}" for lang, srv in self.servers.items()}

    def shutdown(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


class MirrorError(Exception):
    pass


def start_mirror(root: Path | str | None = None, ports: dict[str, int] | None = None) -> Mirror:
    """Start serving in background threads (port 0 picks a free port)."""
    root = Path(root) if root else default_root()
    ports = ports or {}
    servers: dict[str, ThreadingHTTPServer] = {}
    for lang, host in HOSTS.items():
        folder = root / host
        if not folder.is_dir():
            raise MirrorError(f"{root} has no folder {host}/: not a site copy")
        try:
            server = ThreadingHTTPServer(("127.0.0.1", ports.get(lang, 0)), make_handler(folder))
        except OSError as exc:
            for s in servers.values():
                s.server_close()
            raise MirrorError(f"cannot listen on 127.0.0.1:{ports.get(lang, 0)}: {exc.strerror}") from exc
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True, name=f"mirror-{lang}").start()
        servers[lang] = server
    return Mirror(servers)


@contextmanager
def running_mirror(root: Path | str | None = None) -> Iterator[Mirror]:
    mirror = start_mirror(root)
    try:
        yield mirror
    finally:
        mirror.shutdown()
