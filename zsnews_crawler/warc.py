"""Raw captures: every response of a crawl, with its request, in WARC files.

Files are gzipped, rotated by size, named `{spider}-{UTC time}-{n}.warc.gz`
under the capture folder, and readable by standard tools (`warcio index`).
Each response record carries two extension headers so that the archive can
be rebuilt from the captures alone, even when they were fetched from a mirror:
`ZSNEWS-Canonical-URI` (the URL on the real site) and `ZSNEWS-Kind`
(listing, api, article, article_page).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

log = logging.getLogger(__name__)

# Scrapy hands us decoded bodies: these headers would describe the wire bytes.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}


def default_warc_dir(db_path: str | Path) -> Path:
    """Captures live beside the archive, one folder per archive file
    (archive/zsnews.db -> archive/warc/zsnews/), so that the demo's captures
    never mix with the real archive's and `zsnews reparse` reads only its own."""
    path = Path(db_path).resolve()
    return path.parent / "warc" / path.stem


class WarcRotatingWriter:
    def __init__(self, directory: Path, prefix: str, max_bytes: int):
        self.directory = directory
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.sequence = 0
        self.handle: Any = None
        self.writer: WARCWriter | None = None
        self.records = 0

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self.sequence += 1
        path = self.directory / f"{self.prefix}-{stamp}-{self.sequence:05d}.warc.gz"
        self.handle = open(path, "ab")  # noqa: SIM115 (kept open across records)
        self.writer = WARCWriter(self.handle, gzip=True)
        info = self.writer.create_warcinfo_record(
            path.name, {"software": "zsnews-crawler", "format": "WARC File Format 1.1"}
        )
        self.writer.write_record(info)

    def write(self, request_url: str, method: str, request_headers: list[tuple[str, str]],
              status: int, reason: str, response_headers: list[tuple[str, str]], body: bytes,
              extra: dict[str, str]) -> None:
        if self.writer is None or self.handle.tell() >= self.max_bytes:
            self.close()
            self._open()
        assert self.writer is not None
        headers = [(k, v) for k, v in response_headers if k.lower() not in _DROP_HEADERS]
        headers.append(("Content-Length", str(len(body))))
        http_headers = StatusAndHeaders(f"{status} {reason}".strip(), headers, protocol="HTTP/1.1")
        response = self.writer.create_warc_record(
            request_url, "response", payload=BytesIO(body), http_headers=http_headers,
            warc_headers_dict=extra,
        )
        parts = urlsplit(request_url)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        request_http = StatusAndHeaders(f"{method} {path} HTTP/1.1", request_headers, is_http_request=True)
        request = self.writer.create_warc_record(
            request_url, "request", http_headers=request_http,
            warc_headers_dict={"WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID")},
        )
        self.writer.write_request_response_pair(request, response)
        self.handle.flush()
        self.records += 1

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
        self.handle = None
        self.writer = None


@dataclass
class Capture:
    """One captured response, as read back."""

    url: str
    canonical_url: str
    kind: str
    status: int
    date: str
    body: bytes
    content_type: str | None


def iter_captures(directory: Path | str) -> Iterator[Capture]:
    """Every response record of every WARC file in the folder, oldest file first.

    A file cut short (a crawl killed while writing) yields what precedes the cut.
    """
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    for path in sorted(Path(directory).glob("*.warc.gz")):
        with open(path, "rb") as handle:
            try:
                for record in ArchiveIterator(handle):
                    if record.rec_type != "response":
                        continue
                    headers = record.rec_headers
                    http = record.http_headers
                    yield Capture(
                        url=headers.get_header("WARC-Target-URI"),
                        canonical_url=headers.get_header("ZSNEWS-Canonical-URI")
                        or headers.get_header("WARC-Target-URI"),
                        kind=headers.get_header("ZSNEWS-Kind") or "page",
                        status=int(http.get_statuscode() or 0) if http else 0,
                        date=headers.get_header("WARC-Date"),
                        body=record.content_stream().read(),
                        content_type=http.get_header("Content-Type") if http else None,
                    )
            except (ArchiveLoadFailed, EOFError, OSError, ValueError) as exc:
                log.warning("%s: stopped reading at a damaged record: %s", path.name, exc)
