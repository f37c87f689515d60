"""Scrapy extensions: raw WARC captures of every response, and the run record
with its layout-drift alarm."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response

from .storage import Archive, now_iso
from .warc import WarcRotatingWriter, default_warc_dir

log = logging.getLogger(__name__)


class WarcCapture:
    """Writes each response and its request to rotating, gzipped WARC files.

    Settings: ZSNEWS_WARC_ENABLED (True), ZSNEWS_WARC_DIR (beside ARCHIVE_DB:
    archive/warc/zsnews/), ZSNEWS_WARC_MAX_BYTES (100 MB per file).
    """

    def __init__(self, directory: Path, max_bytes: int):
        self.directory = directory
        self.max_bytes = max_bytes
        self.writer: WarcRotatingWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WarcCapture:
        settings = crawler.settings
        if not settings.getbool("ZSNEWS_WARC_ENABLED", True):
            raise NotConfigured("WARC capture disabled")
        directory = settings.get("ZSNEWS_WARC_DIR") or default_warc_dir(settings.get("ARCHIVE_DB"))
        ext = cls(Path(directory), settings.getint("ZSNEWS_WARC_MAX_BYTES", 100 * 2**20))
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.response_received, signal=signals.response_received)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.writer = WarcRotatingWriter(self.directory, spider.name, self.max_bytes)

    def response_received(self, response: Response, request: Request, spider: Any) -> None:
        if self.writer is None:
            return
        site = getattr(spider, "site", None)
        canonical = site.canonical(response.url) if site is not None else response.url
        self.writer.write(
            request_url=response.url,
            method=request.method,
            request_headers=_header_pairs(request.headers),
            status=response.status,
            reason="",
            response_headers=_header_pairs(response.headers),
            body=response.body,
            extra={"ZSNEWS-Canonical-URI": canonical,
                   "ZSNEWS-Kind": request.meta.get("zsnews_kind", "page")},
        )
        spider.crawler.stats.inc_value("zsnews/warc_records")

    def spider_closed(self, spider: Any) -> None:
        if self.writer is not None:
            self.writer.close()


def _header_pairs(headers: Any) -> list[tuple[str, str]]:
    pairs = []
    for key, values in headers.items():
        for value in values:
            pairs.append((key.decode("latin-1"), value.decode("latin-1")))
    return pairs


class RunRecorder:
    """Adds a row to `crawl_runs` when a spider closes, and raises the alarm when
    too many article pages lack a title, a date or a body (layout drift).

    Settings: ZSNEWS_DRIFT_THRESHOLD (0.3: share of article pages missing a
    field), ZSNEWS_DRIFT_MIN_PAGES (5: fewer pages than this never alarm).
    The run's status ("ok"/"failed") is left in the stats as zsnews/run_status.
    """

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.started = now_iso()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunRecorder:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def drift(self, spider: Any) -> dict[str, dict[str, Any]]:
        stats = self.crawler.stats
        settings = self.crawler.settings
        pages = stats.get_value("zsnews/article_pages", 0)
        threshold = settings.getfloat("ZSNEWS_DRIFT_THRESHOLD", 0.3)
        if pages < settings.getint("ZSNEWS_DRIFT_MIN_PAGES", 5):
            return {}
        found = {}
        for field, examples in getattr(spider, "missing_examples", {}).items():
            missing = stats.get_value(f"zsnews/missing/{field}", 0)
            if missing / pages > threshold:
                found[field] = {"missing": missing, "pages": pages, "examples": examples}
        return found

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        drift = self.drift(spider)
        for field, info in drift.items():
            log.error(
                "LAYOUT DRIFT: %d of %d article pages (%.0f%%) have no %s; e.g. %s",
                info["missing"], info["pages"], 100 * info["missing"] / info["pages"], field,
                ", ".join(info["examples"][:3]),
            )
        status = "ok" if reason == "finished" and not drift else "failed"
        self.crawler.stats.set_value("zsnews/run_status", status)
        http_errors = {
            key.rsplit("/", 1)[1]: value for key, value in stats.items()
            if key.startswith("downloader/response_status_count/") and int(key.rsplit("/", 1)[1]) >= 400
        }
        run = {
            "spider": spider.name, "lang": getattr(spider, "lang", None), "started": self.started,
            "finished": now_iso(),
            "pages_fetched": stats.get("downloader/response_count", 0),
            "listing_pages": stats.get("zsnews/listing_pages", 0),
            "article_pages": stats.get("zsnews/article_pages", 0),
            "articles_new": stats.get("zsnews/articles_new", 0),
            "articles_updated": stats.get("zsnews/articles_updated", 0),
            "articles_unchanged": stats.get("zsnews/articles_unchanged", 0),
            "failures": sum(v for k, v in stats.items() if k.startswith("zsnews/failures/")),
            "http_errors": http_errors, "finish_reason": reason, "status": status,
            "drift": drift, "args": {k: str(v) for k, v in vars(getattr(spider, "params", object())).items()},
        }
        try:
            archive = Archive(self.crawler.settings.get("ARCHIVE_DB"))
            try:
                archive.record_run(run)
            finally:
                archive.close()
        except (OSError, sqlite3.Error) as exc:
            self.crawler.stats.set_value("zsnews/run_status", "failed")
            log.error("could not record the run in %s: %s", self.crawler.settings.get("ARCHIVE_DB"), exc)
        log.info("run recorded: %s, %s new, %s updated, %s unchanged, %s failures",
                 status, run["articles_new"], run["articles_updated"], run["articles_unchanged"],
                 run["failures"])
