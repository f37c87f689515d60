"""Pure extraction: (url, html) in, Article out. No requests, no Scrapy."""

from __future__ import annotations

from ..items import Article
from ..urls import article_ref, lang_of
from .common import NotAnArticle
from .en import parse_en_article
from .zh import parse_zh_article

__all__ = ["NotAnArticle", "extract_article", "merge_pages", "parse_en_article", "parse_zh_article"]


def extract_article(url: str, html: str | bytes, lang: str | None = None) -> Article:
    """Extract an article from a saved page; raise NotAnArticle with a reason.

    `url` is the page's URL on the real host (it decides the language and the
    article id); pass `lang` when the URL is on another host.
    """
    lang = lang or lang_of(url)
    if lang is None:
        ref = article_ref(url)
        lang = ref.lang if ref else None
    if lang == "en":
        return parse_en_article(url, html)
    if lang == "zh":
        return parse_zh_article(url, html)
    raise NotAnArticle(f"not a zsnews.cn article URL: {url}")


def merge_pages(first: Article, rest: list[Article]) -> Article:
    """Join the pages of a paginated article into one record."""
    texts = [first.body_text] + [p.body_text for p in rest]
    htmls = [first.body_html] + [p.body_html for p in rest]
    first.body_text = "\n\n".join(t for t in texts if t) or None
    first.body_html = "".join(h for h in htmls if h) or None
    for page in rest:
        first.images.extend(page.images)
    first.next_page = None
    return first
