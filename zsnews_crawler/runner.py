"""Running the spiders from Python (the demo and the cron entry point)."""

from __future__ import annotations

from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.utils.project import get_project_settings

SPIDERS = {"en": "zsnews_en", "zh": "zsnews_zh"}


def run_spiders(
    langs: list[str], overrides: dict[str, Any] | None = None, spider_args: dict[str, Any] | None = None,
) -> dict[str, dict[str, Any]]:
    """Crawl the given languages in this process; return each spider's final stats."""
    settings = get_project_settings()
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    crawlers = {}
    for lang in langs:
        crawler = process.create_crawler(SPIDERS[lang])
        crawlers[lang] = crawler
        process.crawl(crawler, **(spider_args or {}))
    process.start()
    return {lang: crawler.stats.get_stats() for lang, crawler in crawlers.items()}
