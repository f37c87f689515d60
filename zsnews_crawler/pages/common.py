"""Shared pieces of the page parsers: decoding, a document-order stream of
text blocks and images, caption credits, and body HTML sanitising."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

import lxml.html
import nh3
from lxml import etree
from w3lib.encoding import html_to_unicode

from ..items import Image
from ..urls import canonical_url
from . import selectors as sel


class NotAnArticle(Exception):
    """The page is not an article page (advert, listing, error page)."""


BLOCK_TAGS = frozenset(
    "address article aside blockquote body center dd details div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hr html li main nav ol p pre section summary "
    "table tbody td tfoot th thead tr ul".split()
)
MEDIA_TAGS = frozenset({"video", "iframe", "embed", "object", "audio"})
_BR = "\x00"
_PARAGRAPH_BREAK = re.compile(r"\x00[\s\x00]*\x00")
_WS = re.compile(r"\s+")


def collapse(text: str | None) -> str:
    """Collapse whitespace (ideographic spaces and NBSP included) to single spaces."""
    if not text:
        return ""
    return _WS.sub(" ", text.replace(_BR, " ")).strip()


def decode(html: str | bytes, content_type: str | None = None) -> str:
    """Decode page bytes by HTTP header, BOM, <meta charset> and sniffing."""
    if isinstance(html, str):
        return html
    _encoding, text = html_to_unicode(content_type, html)
    return text


def parse_html(html: str | bytes) -> lxml.html.HtmlElement:
    text = decode(html)
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        raise NotAnArticle("empty page")
    parser = lxml.html.HTMLParser(remove_comments=False, huge_tree=True)
    try:
        root = lxml.html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise NotAnArticle(f"unparseable HTML: {exc}") from exc
    for bad in root.xpath("|".join(f"//{t}" for t in sel.NOISE_TAGS)):
        bad.drop_tree()
    return root


def element_text(el: lxml.html.HtmlElement | None) -> str:
    if el is None:
        return ""
    return collapse(" ".join(t for t in el.itertext(tag=etree.Element) if t))


@dataclass
class Block:
    kind: str  # "text", "img" or "media"
    el: lxml.html.HtmlElement
    text: str = ""
    src: str | None = None


def _is_element(node: object) -> bool:
    return isinstance(node, lxml.html.HtmlElement) and isinstance(node.tag, str)


def _has_structure(el: lxml.html.HtmlElement) -> bool:
    for d in el.iterdescendants():
        tag = d.tag if isinstance(d.tag, str) else ""
        if tag in BLOCK_TAGS or tag == "img" or tag in MEDIA_TAGS:
            return True
    return False


def blocks(el: lxml.html.HtmlElement, out: list[Block] | None = None) -> list[Block]:
    """Flatten an element into text blocks and images in document order.

    A text block is the inline content of a block-level element; two or more
    consecutive <br> start a new block, a single <br> is a space.
    """
    if out is None:
        out = []
    buf: list[str] = []

    def flush() -> None:
        joined = "".join(buf)
        buf.clear()
        for part in _PARAGRAPH_BREAK.split(joined):
            text = collapse(part)
            if text:
                out.append(Block("text", el, text))

    buf.append(el.text or "")
    for child in el:
        if not _is_element(child):  # comments, processing instructions
            buf.append(child.tail or "")
            continue
        tag = child.tag.lower()
        if tag == "br":
            buf.append(_BR)
        elif tag == "img":
            flush()
            src = child.get("src") or child.get("data-src") or child.get("data-original")
            out.append(Block("img", child, src=src))
        elif tag in MEDIA_TAGS:
            flush()
            out.append(Block("media", child, src=child.get("src")))
        elif tag in BLOCK_TAGS or _has_structure(child):
            flush()
            blocks(child, out)
        else:
            buf.append(" ".join(t for t in child.itertext(tag=etree.Element) if t)
                       if len(child) else (child.text or ""))
        buf.append(child.tail or "")
    flush()
    return out


def split_credit(text: str, after_image: bool) -> tuple[str, str | None]:
    """Split a caption into (caption, credit) when it ends in a photo credit."""
    patterns = sel.CREDITS if after_image else sel.CREDITS[:2] + [sel.CREDIT_ZH_PREFIXED]
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return text[: m.start()].strip(), collapse(m["credit"])
    return text, None


@dataclass
class Body:
    paragraphs: list[str]
    images: list[Image]
    html: str


def build_body(stream: Sequence[Block], page_url: str) -> Body:
    """Turn a slice of the block stream into paragraphs, images and clean HTML."""
    paragraphs: list[str] = []
    images: list[Image] = []
    kept: list[lxml.html.HtmlElement] = []
    previous_image: Image | None = None
    for block in stream:
        if block.kind == "img":
            if not block.src:
                continue
            previous_image = Image(url=canonical_url(urljoin(page_url, block.src.strip())))
            images.append(previous_image)
            block.el.set("src", previous_image.url)
            kept.append(block.el)
            continue
        if block.kind == "media":
            kept.append(block.el)
            previous_image = None
            continue
        text, credit = split_credit(block.text, after_image=previous_image is not None)
        if previous_image is not None and credit is not None:
            previous_image.caption = text or None
            previous_image.credit = credit
        previous_image = None
        if text:
            paragraphs.append(text)
            kept.append(block.el)
    return Body(paragraphs, images, clean_html(kept, page_url))


ALLOWED_TAGS = {
    "p", "br", "img", "a", "strong", "b", "em", "i", "u", "sub", "sup", "span", "div",
    "figure", "figcaption", "ul", "ol", "li", "h2", "h3", "h4", "h5", "blockquote",
    "table", "thead", "tbody", "tr", "td", "th", "video", "source",
}
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "title", "width", "height"},
    "a": {"href", "title"},
    "video": {"src", "poster", "controls"},
    "source": {"src", "type"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def clean_html(elements: Iterable[lxml.html.HtmlElement], page_url: str) -> str:
    """Serialise the outermost of the given elements and sanitise them with an
    allow-list (no scripts, styles, event handlers, iframes or javascript: URLs)."""
    chosen: list[lxml.html.HtmlElement] = []
    seen: set[int] = set()
    for el in elements:
        if id(el) in seen:
            continue
        if any(id(a) in seen for a in el.iterancestors()):
            continue
        seen.add(id(el))
        chosen.append(el)
    pieces = []
    for el in chosen:
        for attr_el in el.iter():
            if not _is_element(attr_el):
                continue
            for attr in ("src", "href", "poster"):
                value = attr_el.get(attr)
                if value and not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                    attr_el.set(attr, urljoin(page_url, value.strip()))
        tail, el.tail = el.tail, None
        pieces.append(lxml.html.tostring(el, encoding="unicode"))
        el.tail = tail
    return nh3.clean(
        "".join(pieces),
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def nfc(text: str | None) -> str | None:
    return unicodedata.normalize("NFC", text) if text is not None else None
