"""Listing pages and the JSON listing API: which links are articles, which are
further listing pages, which are pagination. The URL scheme of listings is
unknown, so nothing here assumes one: articles are recognised by their URL
pattern, pagination by the link's text."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from ..urls import ASSET_EXTENSIONS, SiteMap, article_ref
from .common import collapse, parse_html

PAGINATION_TEXT = re.compile(
    r"^\s*(\d{1,4}|next|next page|下一页|下页|尾页|末页|上一页|上页|首页|prev|previous|last|first"
    r"|[>»›]+|[<«‹]+)\s*$",
    re.I,
)
NEXT_TEXT = re.compile(r"^\s*(next|next page|下一页|下页|[>»›]+)\s*$", re.I)
# Links that never lead to listings or articles worth crawling.
SKIP_PATH = re.compile(r"/(search|login|register|print|member|user|rss)(/|\.|$)", re.I)


@dataclass
class ListingLinks:
    articles: list[str] = field(default_factory=list)
    pagination: list[str] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)  # the pagination links that say "next"
    listings: list[tuple[str, str]] = field(default_factory=list)  # (url, link text)


def listing_links(url: str, html: str | bytes, site: SiteMap) -> ListingLinks:
    """Classify the links of a listing (or home) page of one site."""
    root = parse_html(html)
    out = ListingLinks()
    seen: set[str] = set()
    for a in root.iter("a"):
        target = site.absolute(url, a.get("href") or "")
        if target is None or not site.is_own(target):
            continue
        target = site.to_fetch(target)
        if target in seen:
            # The same page linked twice, e.g. as "2" and as "Next".
            text = collapse(" ".join(a.itertext()))
            if NEXT_TEXT.match(text) and target in out.pagination and target not in out.next_pages:
                out.next_pages.append(target)
            continue
        seen.add(target)
        if ASSET_EXTENSIONS.search(target.split("?")[0]):
            continue
        ref = article_ref(site.canonical(target))
        if ref is not None:
            if ref.page == 1:
                out.articles.append(target)
            continue
        if SKIP_PATH.search(target.split("?")[0]):
            continue
        text = collapse(" ".join(a.itertext()))
        if PAGINATION_TEXT.match(text):
            out.pagination.append(target)
            if NEXT_TEXT.match(text):
                out.next_pages.append(target)
        else:
            out.listings.append((target, text))
    return out


class BadApiResponse(ValueError):
    pass


def api_article_urls(body: str | bytes) -> list[str]:
    """Article URLs from the JSON listing API (a list, or an object holding one)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadApiResponse(f"listing API answered non-JSON: {exc}") from exc
    if isinstance(data, dict):
        for key in ("data", "list", "items", "result", "rows"):
            if isinstance(data.get(key), list):
                data = data[key]
                break
    if not isinstance(data, list):
        raise BadApiResponse("listing API answered JSON without a list of articles")
    urls = []
    for entry in data:
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            urls.append(entry["url"])
    return urls
