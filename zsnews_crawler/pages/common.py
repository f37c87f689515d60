"""Shared pieces of the page parsers: decoding, a document-order stream of
text blocks and images, caption credits, and body HTML sanitising."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import lxml.html
import nh3
from lxml import etree
from w3lib.encoding import (
    html_body_declared_encoding,
    html_to_unicode,
    http_content_type_encoding,
    read_bom,
)

from ..items import Image
from ..urls import canonical_url, join
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


def _multibyte(encoding: str) -> bool:
    try:
        return bool("中".encode(encoding, errors="ignore"))
    except LookupError:
        return False


def decode(html: str | bytes, content_type: str | None = None) -> str:
    """Decode page bytes; the bytes decide over the labels, which servers get wrong.

    A BOM wins; then the first of UTF-8, the declared encodings (HTTP header,
    then <meta>) and GB18030 that decodes the bytes without error (GBK bytes
    labelled UTF-8 do not decode as UTF-8; UTF-8 bytes labelled GBK do), a
    single-byte declared encoding (which decodes anything) coming last; only
    then a lossy decode by the labels.
    """
    return _CONTROL.sub("", _decode_keeping_controls(html, content_type))


def _decode_keeping_controls(html: str | bytes, content_type: str | None = None) -> str:
    if isinstance(html, str):
        return html
    bom, bom_bytes = read_bom(html)
    if bom:
        return html[len(bom_bytes):].decode(bom, "replace")
    declared = [e for e in (http_content_type_encoding(content_type), html_body_declared_encoding(html)) if e]
    candidates = ["utf-8", *[e for e in declared if _multibyte(e)], "gb18030",
                  *[e for e in declared if not _multibyte(e)]]
    for encoding in dict.fromkeys(candidates):
        try:
            return html.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    _encoding, text = html_to_unicode(content_type, html)
    return text


# Characters that do not occur in text: NUL and other controls, U+FFFD from undecodable bytes.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\ufffd]")
# Control characters that lxml (XML-compatible strings only) refuses: removed from pages.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def parse_html(html: str | bytes) -> lxml.html.HtmlElement:
    text = _decode_keeping_controls(html)
    # lxml refuses str input that carries an XML encoding declaration.
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        raise NotAnArticle("empty page")
    sample = text[:200_000]
    if len(_JUNK.findall(sample)) > max(16, len(sample) // 50):
        raise NotAnArticle("binary or undecodable content, not an HTML page")
    text = _CONTROL.sub("", text)
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


MAX_DEPTH = 120


def flatten_deep(root: lxml.html.HtmlElement, limit: int = MAX_DEPTH) -> None:
    """Unwrap elements nested deeper than `limit` below `root` (keeping their text,
    images and media), so that no walk over the tree runs out of stack: broken
    pages nest thousands of unclosed <font> or <div> tags."""
    depth = {root: 0}
    deep = []
    for el in root.iterdescendants():
        parent = el.getparent()
        level = depth.get(parent, 0) + 1
        depth[el] = level
        if level > limit and _is_element(el) and el.tag not in ("img", *MEDIA_TAGS):
            deep.append(el)
    for el in deep:
        el.drop_tag()


def blocks(el: lxml.html.HtmlElement, out: list[Block] | None = None) -> list[Block]:
    """Flatten an element into text blocks and images in document order.

    A text block is the inline content of a block-level element; two or more
    consecutive <br> start a new block, a single <br> is a space.
    """
    if out is None:
        out = []
        flatten_deep(el)
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
            src = join(page_url, block.src.strip())
            if src is None:  # not a URL ("http://["): no image to keep
                continue
            previous_image = Image(url=canonical_url(src))
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
                    joined = join(page_url, value.strip())
                    if joined is None:
                        del attr_el.attrib[attr]
                    else:
                        attr_el.set(attr, joined)
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
