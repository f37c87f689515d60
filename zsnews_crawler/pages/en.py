"""English article pages (en.zsnews.cn).

Field cascade: the printed anchors (`HOME >` breadcrumb, `Updated:`,
`Source:`, the footer) first, guessed markup second, trafilatura last.
"""

from __future__ import annotations

import re

from ..dates import iso, parse_published
from ..items import Article
from ..urls import article_ref, canonical_url
from . import selectors as sel
from .common import Block, NotAnArticle, blocks, build_body, collapse, element_text, parse_html
from .generic import fill_from_generic

_FOOTER_MENU = re.compile(r"^About Zhongshan\s+News\s+Business\s+Culture", re.I)


def _index(stream: list[Block], pattern: re.Pattern[str], start: int = 0, stop: int | None = None) -> int | None:
    for i in range(start, len(stream) if stop is None else stop):
        if stream[i].kind == "text" and pattern.search(stream[i].text):
            return i
    return None


def _breadcrumb(text: str, title: str | None) -> tuple[list[str], str | None]:
    """Sections and trailing title of `HOME > Business >Investment Climate > T`."""
    rest = sel.EN_BREADCRUMB_HOME.sub("", text, count=1).strip()
    tail = None
    if title and rest.endswith(title):
        rest, tail = rest[: -len(title)], title
    parts = [collapse(p) for p in rest.split(">")]
    parts = [p for p in parts if p]
    if tail is None and parts:
        tail = parts.pop()
    return parts, tail


def _is_footer(block: Block) -> bool:
    return block.kind == "text" and bool(
        sel.EN_FOOTER.search(block.text) or _FOOTER_MENU.search(block.text)
    )


def _is_meta_noise(block: Block) -> bool:
    return block.kind == "text" and bool(
        sel.EN_FONT_CONTROLS.match(block.text)
        or re.match(r"^\s*(Updated|Source)\s*:", block.text)
    )


def parse_en_article(url: str, html: str | bytes) -> Article:
    root = parse_html(html)
    body_el = root.body if root.find("body") is not None else root
    stream = blocks(body_el)
    meta_i = _index(stream, sel.EN_UPDATED)
    crumb_i = _index(stream, sel.EN_BREADCRUMB_HOME, stop=meta_i)
    extractor = "en-anchors"

    published_raw = source = None
    if meta_i is not None:
        meta_text = " ".join(b.text for b in stream[meta_i: meta_i + 3] if b.kind == "text")
        published_raw = collapse(sel.EN_UPDATED.search(meta_text)["date"])
        m = sel.EN_SOURCE.search(meta_text)
        source = collapse(m["source"]) if m else None

    # Title: the heading between breadcrumb and meta line, checked against the
    # breadcrumb's tail; failing that, guessed heading markup.
    title = None
    if meta_i is not None:
        lo = crumb_i + 1 if crumb_i is not None else max(0, meta_i - 3)
        candidates = [b.text for b in stream[lo:meta_i] if b.kind == "text"]
        if candidates:
            title = candidates[-1]
    section: list[str] = []
    if crumb_i is not None:
        section, tail = _breadcrumb(stream[crumb_i].text, title)
        if title is None:
            title = tail
    if title is None:
        for xpath in sel.EN_TITLE_XPATHS:
            found = root.xpath(xpath)
            if found and element_text(found[0]):
                title = element_text(found[0])
                extractor = "en-markup"
                break

    if meta_i is None and crumb_i is None:
        raise NotAnArticle("no 'Updated:' meta line and no 'HOME >' breadcrumb")

    # Body: everything after the meta line up to the footer.
    body_stream: list[Block] = []
    if meta_i is not None:
        i = meta_i + 1
        while i < len(stream) and _is_meta_noise(stream[i]):
            i += 1
        for block in stream[i:]:
            if _is_footer(block):
                break
            body_stream.append(block)
    body = build_body(body_stream, url)
    if not body.paragraphs and not body.images:
        for xpath in sel.EN_BODY_XPATHS:
            found = root.xpath(xpath)
            if found:
                body = build_body(blocks(found[0]), url)
                if body.paragraphs:
                    extractor = "en-markup"
                    break
    paragraphs, title, published_raw, extractor = fill_from_generic(
        root, url, body, title, published_raw, extractor)

    ref = article_ref(url)
    published = parse_published(published_raw)
    return Article(
        lang="en",
        article_id=ref.article_id if ref else None,
        url=canonical_url(url),
        section=section,
        cateid=ref.cateid if ref else None,
        title=title,
        published=iso(published),
        published_raw=published_raw,
        source=source,
        author=None,
        editor=None,
        body_text="\n\n".join(paragraphs) if paragraphs else None,
        body_html=body.html or None,
        images=body.images,
        extractor=extractor,
    )
