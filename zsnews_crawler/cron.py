"""The scheduled crawl: one run at a time, logs in a rotating file, resumable,
and an exit code that tells cron whether it worked."""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Any

from scrapy.crawler import Crawler, CrawlerProcess
from scrapy.utils.project import get_project_settings

from .runner import SPIDERS

log = logging.getLogger(__name__)
LOG_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
# In a spider's JOBDIR while a run is under way; left behind when the process is killed.
RUNNING_MARKER = "zsnews-running"


class LockHeld(Exception):
    """Another crawl holds the archive's lock."""


@contextmanager
def crawl_lock(path: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on a file; released when the process ends,
    however it ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise LockHeld(f"another crawl is running (pid {holder} holds {path})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)


def setup_logging(log_dir: Path, level: str = "INFO") -> None:
    """Log to stderr and to log_dir/crawl.log, rotated at 10 MB, 10 files kept."""
    log_dir.mkdir(parents=True, exist_ok=True)
    root = logging.getLogger()
    root.setLevel(level)
    formatter = logging.Formatter(LOG_FORMAT)
    file_handler = RotatingFileHandler(log_dir / "crawl.log", maxBytes=10 * 2**20, backupCount=10,
                                       encoding="utf-8")
    stream_handler = logging.StreamHandler(sys.stderr)
    for handler in (file_handler, stream_handler):
        handler.setFormatter(formatter)
        handler.setLevel(level)
        root.addHandler(handler)


@dataclass
class SpiderOutcome:
    spider: str
    finish_reason: str
    status: str
    stats: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.finish_reason == "finished" and self.status == "ok"


def run_crawl(
    langs: list[str], db_path: str, spider_args: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None, log_level: str = "INFO",
) -> list[SpiderOutcome]:
    """Run the spiders under the archive's lock; resume an interrupted run from
    its JOBDIR (archive/jobs/{spider}), which is removed once a run finishes."""
    archive_dir = Path(db_path).resolve().parent
    settings = get_project_settings()
    settings.set("ARCHIVE_DB", db_path, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    with crawl_lock(Path(f"{db_path}.lock")):
        setup_logging(archive_dir / "logs", log_level)
        settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
        process = CrawlerProcess(settings)
        crawlers: list[tuple[Crawler, Path]] = []
        for lang in langs:
            name = SPIDERS[lang]
            jobdir = archive_dir / "jobs" / name
            marker = jobdir / RUNNING_MARKER
            extra: dict[str, Any] = {}
            if marker.exists():
                # Killed (SIGKILL, OOM, power loss): Scrapy's queues and seen-requests
                # file are not crash-safe, so the job state may hide pages never
                # crawled. The archive is the durable state: start afresh, and walk
                # the listings to their end, as the archive may have holes.
                log.warning("the previous %s run did not close (killed?): dropping its job state %s "
                            "and walking every listing page", name, jobdir)
                shutil.rmtree(jobdir, ignore_errors=True)
                extra["ZSNEWS_STOP_AT_KNOWN"] = False
            elif jobdir.exists():
                log.info("resuming the interrupted %s run from %s", name, jobdir)
            jobdir.mkdir(parents=True, exist_ok=True)
            marker.write_text(str(os.getpid()))
            base = process.spider_loader.load(name)
            # Each spider keeps its own JOBDIR (a per-spider setting).
            spidercls = type(base.__name__, (base,), {
                "custom_settings": {**(base.custom_settings or {}), "JOBDIR": str(jobdir), **extra},
                "__module__": base.__module__,
            })
            crawler = process.create_crawler(spidercls)
            crawlers.append((crawler, jobdir))
            process.crawl(crawler, **(spider_args or {}))
        process.start()
        outcomes = []
        for crawler, jobdir in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            reason = str(stats.get("finish_reason", "not started"))
            if reason == "finished":
                shutil.rmtree(jobdir, ignore_errors=True)
            elif "finish_reason" in stats:
                # Closed in good order (e.g. Ctrl-C): the job state is whole, the next run resumes it.
                (jobdir / RUNNING_MARKER).unlink(missing_ok=True)
            outcomes.append(SpiderOutcome(crawler.spidercls.name, reason,
                                          str(stats.get("zsnews/run_status", "failed")), stats))
        return outcomes
