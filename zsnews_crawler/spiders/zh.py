from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import scrapy
from scrapy.http import Response

from ..pages.listing import BadApiResponse, api_article_urls
from .base import ZsnewsSpider


class ChineseSpider(ZsnewsSpider):
    """Crawls www.zsnews.cn: home page, channel listings and the JSON listing API.

    Arguments: since, until (dates), sections (names such as 本地 or cateids
    such as 35), max_pages.
    """

    name = "zsnews_zh"
    lang = "zh"
    base_url_setting = "ZSNEWS_ZH_BASE_URL"

    def start_requests_for_site(self) -> Iterator[scrapy.Request]:
        yield from super().start_requests_for_site()
        configured = self.settings.getlist("ZSNEWS_ZH_API_CATEIDS")
        for cateid in self.params.api_cateids([int(c) for c in configured]):
            url = f"{self.site.base_url}/api/mobile/getlist.html?{urlencode({'cateid': cateid})}"
            yield scrapy.Request(url, callback=self.parse_api, errback=self.on_error,
                                 meta={"zsnews_kind": "api"})

    def parse_api(self, response: Response) -> Iterator[Any]:
        try:
            urls = api_article_urls(response.body)
        except BadApiResponse as exc:
            yield self._failure(response.url, "bad_api_response", str(exc), response.status)
            return
        for url in urls:
            request = self.article_request(response.urljoin(url))
            if request is not None:
                yield request
