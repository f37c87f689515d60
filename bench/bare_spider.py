"""A bare Scrapy spider: downloads what our spiders download, and nothing else.

Follows the same links as zsnews_en / zsnews_zh (home page, listing pages and
their pagination, menu links; for zh also the JSON listing API), fetches each
article once, and neither parses articles nor stores anything. Standalone:

    scrapy runspider bench/bare_spider.py -a base=http://127.0.0.1:PORT -a lang=en
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response

EN_ARTICLE = re.compile(r"^/(?:[A-Za-z0-9_-]+/){1,3}content/\d+/\d+\.html$")
ZH_ARTICLE = re.compile(r"^/[A-Za-z0-9_]+/index/view/(?:cateid/\d+/)?id/\d+\.html$")
REAL_HOSTS = {"en": ("en.zsnews.cn",), "zh": ("www.zsnews.cn", "zsnews.cn")}
SKIP = re.compile(r"/(search|login|register|print|member|user|rss)(/|\.|$)|\.(jpe?g|png|gif|css|js|mp4)$", re.I)
API_CATEIDS = (35, 36, 37, 38, 39)


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = {"COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False}

    def __init__(self, base: str = "", lang: str = "en", **kwargs: Any):
        super().__init__(**kwargs)
        self.base = base.rstrip("/")
        self.lang = lang
        self.netloc = urlsplit(self.base).netloc
        self.article_re = EN_ARTICLE if lang == "en" else ZH_ARTICLE
        self.requested: set[str] = set()

    async def start(self) -> Any:
        yield scrapy.Request(self.base + "/", callback=self.parse_listing)
        if self.lang == "zh":
            for cateid in API_CATEIDS:
                yield scrapy.Request(f"{self.base}/api/mobile/getlist.html?cateid={cateid}", callback=self.parse_api)

    def _own(self, url: str) -> str | None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return None
        if parts.hostname in REAL_HOSTS[self.lang]:
            parts = parts._replace(scheme=urlsplit(self.base).scheme, netloc=self.netloc)
        elif parts.netloc != self.netloc:
            return None
        return parts._replace(fragment="").geturl()

    def _article(self, url: str) -> Iterator[scrapy.Request]:
        path = urlsplit(url).path
        if path in self.requested:
            return
        self.requested.add(path)
        yield scrapy.Request(url, callback=self.parse_article)

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        for href in response.xpath("//a/@href").getall():
            url = self._own(urljoin(response.url, href.strip()))
            if url is None or SKIP.search(urlsplit(url).path):
                continue
            if self.article_re.match(urlsplit(url).path):
                yield from self._article(url)
            else:
                yield scrapy.Request(url, callback=self.parse_listing)

    def parse_api(self, response: Response) -> Iterator[scrapy.Request]:
        for entry in json.loads(response.body):
            url = self._own(entry["url"])
            if url:
                yield from self._article(url)

    def parse_article(self, response: Response) -> None:
        self.crawler.stats.inc_value("bare/articles")
