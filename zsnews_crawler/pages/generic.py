"""The generic fallback: trafilatura, used when the site-specific parsers find
no body (a layout change), so that a page is archived rather than lost."""

from __future__ import annotations

import logging

import lxml.html

from . import common

log = logging.getLogger(__name__)


def generic_extract(html: str, url: str) -> dict | None:
    """Title, date and body paragraphs by trafilatura, or None when it finds no text."""
    import trafilatura  # imported lazily: the fallback is rare and the import slow

    try:
        doc = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_images=False, include_tables=False,
            # Dates only from markup that says it is a date: the free-text search
            # takes a footer's "Copyright © 2025" for a publication date.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:  # a generic extractor may fail on anything
        log.warning("trafilatura failed on %s: %s", url, exc)
        return None
    if doc is None:
        return None
    text = doc.text or ""
    paragraphs = [common.collapse(p) for p in text.split("\n")]
    paragraphs = [p for p in paragraphs if p]
    if not paragraphs:
        return None
    return {"title": doc.title, "date": doc.date, "paragraphs": paragraphs}


def fill_from_generic(
    root: lxml.html.HtmlElement, url: str, body: common.Body, title: str | None,
    published_raw: str | None, extractor: str,
) -> tuple[list[str], str | None, str | None, str]:
    """When the site-specific body is empty, take paragraphs (and any missing
    title or date) from trafilatura; returns (paragraphs, title, date, extractor)."""
    if body.paragraphs or body.images:
        return body.paragraphs, title, published_raw, extractor
    generic = generic_extract(lxml.html.tostring(root, encoding="unicode"), url)
    if not generic:
        return [], title, published_raw, extractor
    return generic["paragraphs"], title or generic["title"], published_raw or generic["date"], "trafilatura"
