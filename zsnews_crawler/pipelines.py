"""Item pipelines: normalise, deduplicate, store. No parsing happens here."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from .items import Article, Failure
from .normalize import normalize_article
from .storage import Archive


class NormalizePipeline:
    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            return normalize_article(item)
        return item


class DeduplicatePipeline:
    """One record per (lang, article_id) per run, whatever URL it came from."""

    def __init__(self, crawler: Crawler):
        self.stats = crawler.stats
        self.seen: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DeduplicatePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            if item.id in self.seen:
                self.stats.inc_value("zsnews/duplicates_dropped")
                raise DropItem(
                    f"duplicate of {item.id} already stored in this run: {item.fetched_url}",
                    log_level="INFO",
                )
            self.seen.add(item.id)
        return item


class ArchivePipeline:
    """Writes articles (with their images, in one transaction) and failures."""

    def __init__(self, crawler: Crawler):
        self.crawler = crawler
        self.path = crawler.settings.get("ARCHIVE_DB")
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def open_spider(self, spider: Any = None) -> None:
        self.archive = Archive(self.path)

    def close_spider(self, spider: Any = None) -> None:
        if self.archive is not None:
            self.archive.close()

    def process_item(self, item: Any) -> Any:
        assert self.archive is not None
        stats = self.crawler.stats
        if isinstance(item, Article):
            result = self.archive.store_article(item, seen_at=item.fetched_at)
            stats.inc_value(f"zsnews/articles_{result.status}")
        elif isinstance(item, Failure):
            self.archive.record_failure(item, seen_at=item.fetched_at)
            stats.inc_value(f"zsnews/failures/{item.kind}")
        return item
