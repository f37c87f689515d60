"""A local copy of the two sites on loopback.

Serves a folder laid out as `ROOT/{host}/{path}` (one folder per real host),
one port per host. A URL ending in `/` is served from `index.html`; a query
string is served from the file `PATH@QUERY` (or `PATH?QUERY`) when it exists,
else from `PATH` (the site ignores parameters it does not know); a missing
file is a 404 (with `ROOT/{host}/404.html` as its body when there is one).
HTML is sent without a charset so that the page's own <meta> decides, as a
browser would.

With a fault plan (`start_mirror(root, faults="500=0.1,reset=0.05", seed=1)`,
`zsnews mirror --faults SPEC --seed N`) the mirror misbehaves on purpose, the
same way for the same seed: see zsnews_crawler.faults for the kinds.
"""

from __future__ import annotations

import mimetypes
import socket
import struct
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from . import faults as fx
from .faults import FaultPlan, FaultSpecError

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


def make_handler(folder: Path, plan: FaultPlan | None = None) -> type[BaseHTTPRequestHandler]:
    host = folder.name

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
            fault = plan.next_fault(host, self.path) if plan else None
            if fault and self._serve_fault(fault, send_body):
                return
            file, redirect = resolve(folder, self.path)
            if redirect:
                self._send(301, b"", "text/plain", {"Location": redirect}, send_body)
            elif file is None:
                page = folder / "404.html"
                body = page.read_bytes() if page.is_file() else b"<h1>404 Not Found</h1>"
                self._send(404, body, "text/html", {}, send_body)
            else:
                body = file.read_bytes()
                ctype = _content_type(file, body)
                if plan is not None and ctype == "text/html":
                    body, ctype = self._corrupt(fault, body, ctype)
                if fault == "truncate":
                    self._send_truncated(body, ctype)
                else:
                    self._send(200, body, ctype, {}, send_body)

        def _serve_fault(self, fault: str, send_body: bool) -> bool:
            """Answer with a fault that needs no page; False to serve the page (altered)."""
            path, _, query = self.path.partition("?")
            if fault in ("500", "502", "503"):
                self._send(int(fault), f"<h1>{fault} Server Error</h1>".encode(), "text/html", {}, send_body)
            elif fault == "404":
                self._send(404, b"<h1>404 Not Found</h1>", "text/html", {}, send_body)
            elif fault == "reset":
                # SO_LINGER 0: closing sends a TCP reset instead of an orderly FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.close_connection = True
                self.connection.close()
            elif fault == "redirect_loop":
                location = path if "loop=1" in query else f"{path}?loop=1"
                self._send(302, b"", "text/html", {"Location": location}, send_body)
            elif fault == "error_page":
                self._send(200, fx.error_page(host), "text/html; charset=utf-8", {}, send_body)
            elif fault == "binary":
                assert plan is not None
                self._send(200, fx.binary_body(plan.seed, host, path), "text/html", {}, send_body)
            elif fault == "slow":
                assert plan is not None
                time.sleep(plan.slow_seconds)  # past the client's timeout; then answer normally
                return False
            else:
                return False
            return True

        def _corrupt(self, fault: str | None, body: bytes, ctype: str) -> tuple[bytes, str]:
            assert plan is not None
            path = urlsplit(self.path).path
            if fault == "charset":
                body, ctype = fx.wrong_charset(body, plan.charset_variant(host, path))
            elif fault == "huge":
                body = fx.pad_huge(body)
            if plan.shares.get("tracking") and fx.article_ref(f"https://{host}{path}") is None:
                body = fx.add_tracking(body, plan, host, path)
            return body, ctype

        def _send_truncated(self, body: bytes, ctype: str) -> None:
            """Promise the whole body, send half of it, close."""
            self.close_connection = True
            try:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])
            except OSError:
                pass

        def _send(self, status: int, body: bytes, ctype: str, headers: dict[str, str],
                  send_body: bool) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if send_body:
                    self.wfile.write(body)
            except OSError:  # the client gave up (a slow answer past its timeout)
                self.close_connection = True

    return Handler


@dataclass
class Mirror:
    """Servers for both hosts; `base_urls` maps lang to `http://127.0.0.1:PORT`."""

    servers: dict[str, ThreadingHTTPServer]
    faults: FaultPlan | None = None

    @property
    def base_urls(self) -> dict[str, str]:
        return {lang: f"http://127.0.0.1:{srv.server_address[1]}" for lang, srv in self.servers.items()}

    def shutdown(self) -> None:
        for server in self.servers.values():
            server.shutdown()
            server.server_close()


class MirrorError(Exception):
    pass


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A client that hung up (after a reset, a slow answer or a truncated body) is expected.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def start_mirror(root: Path | str | None = None, ports: dict[str, int] | None = None,
                 faults: str | dict[str, float] | FaultPlan | None = None, seed: int = 0,
                 **fault_options: object) -> Mirror:
    """Start serving in background threads (port 0 picks a free port).

    `faults`: a fault SPEC such as "500=0.1,reset=0.05" (or a dict, or a
    FaultPlan), decided from `seed`; `fault_options` are FaultPlan's
    (slow_seconds, lasting_on, fault_robots). MirrorError for a bad SPEC.
    """
    root = Path(root) if root else default_root()
    plan: FaultPlan | None = None
    if isinstance(faults, FaultPlan):
        plan = faults
    elif faults:
        try:
            plan = FaultPlan.from_spec(faults, seed, **fault_options)
        except (FaultSpecError, TypeError) as exc:
            raise MirrorError(f"bad fault specification: {exc}") from None
    ports = ports or {}
    servers: dict[str, ThreadingHTTPServer] = {}
    for lang, host in HOSTS.items():
        folder = root / host
        if not folder.is_dir():
            raise MirrorError(f"{root} has no folder {host}/: not a site copy")
        try:
            server = _Server(("127.0.0.1", ports.get(lang, 0)), make_handler(folder, plan))
        except OSError as exc:
            for s in servers.values():
                s.server_close()
            raise MirrorError(f"cannot listen on 127.0.0.1:{ports.get(lang, 0)}: {exc.strerror}") from exc
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True, name=f"mirror-{lang}").start()
        servers[lang] = server
    return Mirror(servers, plan)


@contextmanager
def running_mirror(root: Path | str | None = None, **options: object) -> Iterator[Mirror]:
    """start_mirror() as a context manager; options as start_mirror's."""
    mirror = start_mirror(root, **options)  # type: ignore[arg-type]
    try:
        yield mirror
    finally:
        mirror.shutdown()
