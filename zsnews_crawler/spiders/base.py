"""What both spiders share: arguments, link routing, article handling, errors."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import CloseSpider, IgnoreRequest
from scrapy.http import Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure as TwistedFailure

from ..dates import CST
from ..items import Article, Failure
from ..pages import NotAnArticle, extract_article, merge_pages
from ..pages.common import decode
from ..pages.listing import listing_links
from ..params import ArgumentError, CrawlParams
from ..storage import known_articles, retryable_failures, settled_failures
from ..urls import REAL_HOSTS, SiteMap, article_ref

# Fields whose absence on article pages signals that the site's layout changed.
DRIFT_FIELDS = ("title", "published", "body_text")


def listing_exhausted(ids: list[int], is_new: Any) -> bool:
    """Whether the pages after this listing page can hold nothing new.

    Listings run newest first: a page with no unseen article ends the walk;
    so does a page whose ids strictly decrease (a plain chronological list,
    no older "hot" items mixed in) and whose oldest article is known.
    """
    if not ids:
        return False
    if not any(is_new(i) for i in ids):
        return True
    newest_first = all(a > b for a, b in zip(ids, ids[1:], strict=False))
    return newest_first and not is_new(ids[-1])


def page_text(response: Response) -> str:
    """The response's text, decoded by its bytes first (servers mislabel charsets)."""
    content_type = response.headers.get("Content-Type")
    return decode(response.body, content_type.decode("latin-1") if content_type else None)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class ZsnewsSpider(scrapy.Spider):
    lang: str = ""
    base_url_setting: str = ""

    stop_at_known = True

    def __init__(
        self, *args: Any, since: str | None = None, until: str | None = None,
        sections: str | None = None, max_pages: str | None = None,
        refresh: str | None = None, full: str | None = None, **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.argument_error: str | None = None
        try:
            self.params = CrawlParams.from_args(since, until, sections, max_pages, refresh, full)
        except ArgumentError as exc:
            self.params = CrawlParams()
            self.argument_error = str(exc)
        # Articles already requested in this run, by (lang, id): an article
        # under http and https, or under two section paths, is fetched once.
        self.requested: set[int] = set()
        self.site = SiteMap(self.lang, "https://" + REAL_HOSTS[self.lang])
        # What the archive holds already (id -> published), for incremental runs.
        self.known: dict[int, str | None] = {}
        self.settled: set[str] = set()  # canonical URLs that failed for good (404, not an article)
        self.refresh_from: str | None = None
        # Layout-drift evidence: article pages missing a field, with examples.
        self.missing_examples: dict[str, list[str]] = {f: [] for f in DRIFT_FIELDS}

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ZsnewsSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        base = str(crawler.settings.get(cls.base_url_setting) or spider.site.base_url).rstrip("/")
        spider.site = SiteMap(spider.lang, base)
        spider.archive_path = crawler.settings.get("ARCHIVE_DB")
        # False after a crash: the archive may have holes, so listings are walked
        # to their end instead of stopping at the first page with nothing unseen.
        spider.stop_at_known = crawler.settings.getbool("ZSNEWS_STOP_AT_KNOWN", True)
        if crawler.settings.getbool("ZSNEWS_INCREMENTAL", True) and not spider.params.full:
            spider.known = known_articles(spider.archive_path, spider.lang)
            spider.settled = settled_failures(spider.archive_path, spider.lang)
        if spider.params.refresh_days is not None:
            since = datetime.now(UTC) - timedelta(days=spider.params.refresh_days)
            spider.refresh_from = since.astimezone(CST).isoformat()
        return spider

    # --- start ------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        if self.argument_error:
            self.logger.error("bad spider argument: %s", self.argument_error)
            raise CloseSpider(f"bad_argument: {self.argument_error}")
        self.logger.info("crawling %s from %s (%d articles already archived)",
                         self.lang, self.site.base_url, len(self.known))
        for request in self.start_requests_for_site():
            yield request
        # Pages whose last fetch failed for a passing reason are tried again.
        for url in retryable_failures(self.archive_path, self.lang):
            request = self.article_request(url, retry=True)
            if request is not None:
                yield request

    def start_requests_for_site(self) -> Iterator[scrapy.Request]:
        yield self.listing_request(self.site.base_url + "/", depth=1)

    # --- requests ---------------------------------------------------------------

    def listing_request(self, url: str, depth: int) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse_listing, errback=self.on_error,
            cb_kwargs={"depth": depth}, meta={"zsnews_kind": "listing"},
        )

    def is_new(self, article_id: int) -> bool:
        """Whether an article needs fetching: unknown, or due for a refresh."""
        if article_id not in self.known:
            return True
        published = self.known[article_id]
        return self.refresh_from is not None and (published is None or published >= self.refresh_from)

    def article_request(self, url: str, retry: bool = False) -> scrapy.Request | None:
        url = self.site.to_fetch(url)
        canonical = self.site.canonical(url)
        ref = article_ref(canonical)
        if ref is None or ref.lang != self.lang or ref.article_id in self.requested:
            return None
        if not retry and (not self.is_new(ref.article_id) or canonical in self.settled):
            self.crawler.stats.inc_value("zsnews/known_articles_skipped")
            return None
        self.requested.add(ref.article_id)
        self.crawler.stats.inc_value("zsnews/article_requests")
        # dont_filter: the spider deduplicates articles by id itself; with the
        # scheduler's filter, a redirect loop back to the article's URL would be
        # dropped silently instead of ending in a failure.
        return scrapy.Request(
            url, callback=self.parse_article, errback=self.on_error,
            meta={"zsnews_kind": "article"}, dont_filter=True,
        )

    # --- callbacks --------------------------------------------------------------

    def parse_listing(self, response: Response, depth: int = 1) -> Iterator[Any]:
        """Follow a listing page's article, pagination and menu links."""
        try:
            links = listing_links(response.url, page_text(response), self.site)
        except NotAnArticle as exc:  # empty or binary: nothing to follow, but not silently
            yield self._failure(response.url, "not_listing", f"listing: {exc}", response.status)
            return
        self.crawler.stats.inc_value("zsnews/listing_pages")
        ids: list[int] = []
        for url in links.articles:
            ref = article_ref(self.site.canonical(url))
            if ref is not None:
                ids.append(ref.article_id)
            request = self.article_request(url)
            if request is not None:
                yield request
        exhausted = self.stop_at_known and listing_exhausted(ids, self.is_new)
        if exhausted:
            self.logger.debug("listing %s holds no unseen article: not paginating", response.url)
        if not exhausted and (self.params.max_pages is None or depth < self.params.max_pages):
            # Walk page by page through "next" links where the pager has them,
            # so that a run stops at the first page with nothing unseen.
            for url in links.next_pages or links.pagination:
                yield self.listing_request(url, depth + 1)
        for url, text in links.listings:
            if self.params.link_in_sections(url, text):
                yield self.listing_request(url, depth=1)

    def parse_article(self, response: Response) -> Iterator[Any]:
        """Extract an article; a paginated one is completed page by page."""
        article = self._extract(response)
        if isinstance(article, Failure):
            yield article
            return
        if article.next_page:
            yield self._next_page_request(article, [])
            return
        yield from self._finish(article)

    def parse_article_page(self, response: Response, first: Article, pages: list[Article]) -> Iterator[Any]:
        page = self._extract(response)
        if isinstance(page, Failure):
            # Keep what the earlier pages gave rather than losing the article.
            self.logger.warning("page %s of %s failed: %s", response.url, first.url, page.reason)
            yield page
            yield from self._finish(merge_pages(first, pages))
            return
        pages = [*pages, page]
        if page.next_page and len(pages) < 50:
            yield self._next_page_request(first, pages, page.next_page)
            return
        yield from self._finish(merge_pages(first, pages))

    def _next_page_request(self, first: Article, pages: list[Article], url: str | None = None) -> scrapy.Request:
        return scrapy.Request(
            self.site.to_fetch(url or first.next_page or ""),
            callback=self.parse_article_page, errback=self.on_error,
            cb_kwargs={"first": first, "pages": pages}, meta={"zsnews_kind": "article_page"},
        )

    def _extract(self, response: Response) -> Article | Failure:
        """The page's article, or the failure to record when there is none."""
        canonical = self.site.canonical(response.url)
        self.crawler.stats.inc_value("zsnews/article_pages")
        try:
            article = extract_article(canonical, page_text(response), lang=self.lang)
        except NotAnArticle as exc:
            self._note_missing(canonical, DRIFT_FIELDS)
            return self._failure(response.url, "not_article", f"not an article: {exc}", response.status)
        except Exception as exc:  # a parser bug must not lose the page silently
            self.logger.error("parser failed on %s: %s: %s", response.url, type(exc).__name__, exc)
            self._note_missing(canonical, DRIFT_FIELDS)
            return self._failure(response.url, "parse_error", f"parser error: {type(exc).__name__}: {exc}",
                                 response.status)
        self._note_missing(canonical, [f for f in DRIFT_FIELDS if not getattr(article, f)])
        self.crawler.stats.inc_value(f"zsnews/extractor/{article.extractor}")
        article.fetched_url = response.url
        article.fetched_at = _now()
        return article

    def _note_missing(self, url: str, fields: Any) -> None:
        for name in fields:
            self.crawler.stats.inc_value(f"zsnews/missing/{name}")
            if len(self.missing_examples[name]) < 5:
                self.missing_examples[name].append(url)

    def _finish(self, article: Article) -> Iterator[Any]:
        if not self.params.in_date_range(article.published):
            self.crawler.stats.inc_value("zsnews/skipped_out_of_date_range")
            return
        if not self.params.article_in_sections(article.section, article.cateid):
            self.crawler.stats.inc_value("zsnews/skipped_other_section")
            return
        yield article

    # --- errors -----------------------------------------------------------------

    def _failure(self, url: str, kind: str, reason: str, status: int | None = None) -> Failure:
        return Failure(url=self.site.canonical(url), reason=reason, kind=kind, status=status,
                       lang=self.lang, fetched_at=_now())

    def on_error(self, failure: TwistedFailure) -> Iterator[Any]:
        """Every request that fails for good becomes a row in `failures`."""
        request = failure.request  # type: ignore[attr-defined]
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            if "robots.txt" in failure.getErrorMessage():
                return  # robots.txt forbade it: not a failure of the page
        if failure.check(HttpError):
            status = failure.value.response.status
            kind, reason = f"http_{status}", f"HTTP {status}"
        elif failure.check(IgnoreRequest):
            # e.g. "max redirections reached" (a redirect loop): a lasting failure.
            status = None
            kind = "redirect" if "redirect" in failure.getErrorMessage() else "ignored"
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        else:
            status = None
            kind = "network"
            reason = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        what = request.meta.get("zsnews_kind", "page")
        self.logger.warning("%s %s failed: %s", what, request.url, reason)
        yield self._failure(request.url, kind, f"{what}: {reason}", status)
        if what == "article_page":
            first = request.cb_kwargs["first"]
            yield from self._finish(merge_pages(first, request.cb_kwargs["pages"]))
