"""Rebuild or refresh the archive from the raw WARC captures, with no network."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from pathlib import Path

from .items import Failure
from .normalize import normalize_article
from .pages import NotAnArticle, extract_article, merge_pages
from .pages.common import decode
from .storage import Archive
from .urls import article_ref, canonical_url
from .warc import Capture, iter_captures

log = logging.getLogger(__name__)
ARTICLE_KINDS = {"article"}


def _seen_at(warc_date: str) -> str:
    """WARC-Date (…Z) in the archive's timestamp form (…+00:00, whole seconds)."""
    return datetime.fromisoformat(warc_date.replace("Z", "+00:00")).replace(microsecond=0).isoformat()


def _extract(capture: Capture):
    html = decode(capture.body, capture.content_type)
    article = extract_article(capture.canonical_url, html)
    article.fetched_url = capture.url
    article.fetched_at = _seen_at(capture.date)
    return article


def reparse(warc_dir: Path | str, db_path: str, since: str | None = None) -> Counter:
    """Run the current parsers over every captured article page (oldest first, so
    the newest capture of an article wins and older ones become revisions)."""
    counts: Counter = Counter()
    # Pass 1: continuation pages of paginated articles, which follow their page 1.
    continuations: dict[str, Capture] = {}
    for capture in iter_captures(warc_dir):
        if capture.kind == "article_page" and capture.status == 200:
            continuations[canonical_url(capture.canonical_url)] = capture
    archive = Archive(db_path)
    try:
        for capture in iter_captures(warc_dir):
            if capture.kind not in ARTICLE_KINDS or (since and capture.date < since):
                continue
            counts["captures"] += 1
            ref = article_ref(capture.canonical_url)
            lang = ref.lang if ref else None
            if capture.status != 200:
                archive.record_failure(Failure(url=capture.canonical_url, kind=f"http_{capture.status}",
                                               status=capture.status, lang=lang,
                                               reason=f"article: HTTP {capture.status}"), _seen_at(capture.date))
                counts["failures"] += 1
                continue
            try:
                article = _extract(capture)
                pages = []
                next_url = article.next_page
                while next_url and len(pages) < 50:
                    following = continuations.get(canonical_url(next_url))
                    if following is None:
                        log.warning("page after %s was not captured", capture.canonical_url)
                        break
                    pages.append(_extract(following))
                    next_url = pages[-1].next_page
                article = normalize_article(merge_pages(article, pages))
            except NotAnArticle as exc:
                archive.record_failure(Failure(url=capture.canonical_url, kind="not_article", lang=lang,
                                               reason=f"not an article: {exc}"), _seen_at(capture.date))
                counts["failures"] += 1
                continue
            result = archive.store_article(article, seen_at=article.fetched_at)
            counts[result.status] += 1
    finally:
        archive.close()
    return counts
