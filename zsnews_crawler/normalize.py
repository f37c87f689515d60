"""Normalisation of extracted records before they are stored.

Text is Unicode NFC with whitespace collapsed; metadata (source, author,
editor, captions' credits) is NFKC so that full-width digits, letters and
punctuation become ASCII. Titles and body keep Chinese full-width punctuation
(，。：) but get ASCII digits and Latin letters. `published_raw` stays as printed.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from .items import Article, Image

_WS = re.compile(r"\s+")
# Full-width digits and Latin letters (not punctuation) to ASCII.
_FULLWIDTH_ALNUM = {cp: cp - 0xFEE0 for r in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
                    for cp in range(r[0], r[1] + 1)}


def text(value: str | None) -> str | None:
    if value is None:
        return None
    value = _WS.sub(" ", unicodedata.normalize("NFC", value).translate(_FULLWIDTH_ALNUM)).strip()
    return value or None


def metadata(value: str | None) -> str | None:
    if value is None:
        return None
    value = _WS.sub(" ", unicodedata.normalize("NFKC", value)).strip()
    return value or None


def body(value: str | None) -> str | None:
    if value is None:
        return None
    paragraphs = [text(p) for p in re.split(r"\n\s*\n", value)]
    joined = "\n\n".join(p for p in paragraphs if p)
    return joined or None


def normalize_article(article: Article) -> Article:
    article.title = text(article.title)
    article.section = [s for s in (text(s) for s in article.section) if s]
    article.source = metadata(article.source)
    article.author = metadata(article.author)
    article.editor = metadata(article.editor)
    article.body_text = body(article.body_text)
    article.body_html = unicodedata.normalize("NFC", article.body_html) if article.body_html else None
    article.published_raw = article.published_raw.strip() if article.published_raw else None
    article.images = [
        Image(url=img.url, caption=text(img.caption), credit=metadata(img.credit))
        for img in article.images
    ]
    return article


CONTENT_FIELDS = ("title", "section", "published", "source", "author", "editor", "body_text")


def content_hash(article: Article) -> str:
    """A hash of what a reader sees; the URL, fetch time and extractor do not count."""
    payload = {f: getattr(article, f) for f in CONTENT_FIELDS}
    payload["images"] = [[i.url, i.caption, i.credit] for i in article.images]
    blob = json.dumps(payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()
