"""Prototype of the proposed pagination stop rule for incremental runs, as spiders
that wrap ours (nothing here is used by the product; the lead applies the change
to `ZsnewsSpider.parse_listing`).

Now: pagination stops after a listing page that holds *no* unseen article, so
every section costs one extra page past its last new article. Proposed: when
the page's article ids run strictly newest first (a plain chronological list,
no sidebar of older "hot" articles mixed in), stop after a page whose *last*
(oldest) article is already known: the pages after it hold nothing new
either. Any other page keeps the current rule, which errs on the safe side.

Run with `-s SPIDER_MODULES=bench.incremental_proposal` and the spider
names `zsnews_en_proposed`, `zsnews_zh_proposed`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import scrapy
from scrapy.http import Response

from zsnews_crawler.pages.listing import listing_links
from zsnews_crawler.spiders.base import page_text
from zsnews_crawler.spiders.en import EnglishSpider
from zsnews_crawler.spiders.zh import ChineseSpider
from zsnews_crawler.urls import article_ref


class LastKnownStopMixin:
    def parse_listing(self, response: Response, depth: int = 1) -> Iterator[Any]:
        links = listing_links(response.url, page_text(response), self.site)  # type: ignore[attr-defined]
        refs = [article_ref(self.site.canonical(u)) for u in links.articles]  # type: ignore[attr-defined]
        ids = [r.article_id for r in refs if r is not None]
        newest_first = bool(ids) and all(a > b for a, b in zip(ids, ids[1:], strict=False))
        stop = (newest_first and self.stop_at_known  # type: ignore[attr-defined]
                and not self.is_new(ids[-1]))  # type: ignore[attr-defined]
        pagination = {scrapy.Request(u).url for u in (links.next_pages or links.pagination)}
        for out in super().parse_listing(response, depth):  # type: ignore[misc]
            if (stop and isinstance(out, scrapy.Request) and out.url in pagination
                    and out.cb_kwargs.get("depth") == depth + 1):
                self.crawler.stats.inc_value("bench/pagination_stopped_early")  # type: ignore[attr-defined]
                continue
            yield out


class EnglishProposed(LastKnownStopMixin, EnglishSpider):
    name = "zsnews_en_proposed"


class ChineseProposed(LastKnownStopMixin, ChineseSpider):
    name = "zsnews_zh_proposed"
