"""A Scrapy extension that writes the crawl's final stats as JSON to BENCH_STATS_FILE.

Enabled with `-s 'EXTENSIONS={"bench.stats_ext.JsonStats": 900}' -s BENCH_STATS_FILE=PATH`.
"""

from __future__ import annotations

import json
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler


class JsonStats:
    def __init__(self, crawler: Crawler, path: str):
        self.crawler = crawler
        self.path = path

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> JsonStats:
        ext = cls(crawler, crawler.settings.get("BENCH_STATS_FILE") or "bench-stats.json")
        # Connected after CoreStats (EXTENSIONS order 0), so elapsed_time_seconds is set by then.
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider: Any, reason: str) -> None:
        stats = self.crawler.stats.get_stats()
        with open(self.path, "w", encoding="utf-8") as fh:
            json.dump({k: (v if isinstance(v, (int, float, str, bool, type(None))) else str(v))
                       for k, v in stats.items()}, fh, indent=1, sort_keys=True)
