"""Chinese article pages (www.zsnews.cn), in both known templates.

Field cascade: the CMS's comment markers (`<!-- 文章正文 begin -->`), then the
markup known from a public scraper (`.article-meta`, `.article-content`), then
text anchors (`发布时间：`, `来源：`, `责任编辑：`), then trafilatura.
"""

from __future__ import annotations

import re

import lxml.html

from ..dates import iso, parse_published
from ..items import Article
from ..urls import article_ref, canonical_url, join
from . import selectors as sel
from .common import (
    Block,
    NotAnArticle,
    blocks,
    build_body,
    collapse,
    decode,
    element_text,
    parse_html,
)
from .generic import fill_from_generic


def labelled_fields(text: str) -> dict[str, str]:
    """Split a meta line such as `发布时间：… 来源：… 作者：…` into fields."""
    fields: dict[str, str] = {}
    matches = list(sel.ZH_LABELS.finditer(text))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        # Span boundaries are marked " | "; a byline without a label ends a value.
        value = collapse(text[m.end(): end]).split(" | ")[0]
        byline = sel.ZH_BYLINE.search(value)
        if byline and byline.start() > 0 and sel.ZH_LABEL_FIELD.get(m["label"]) != "author":
            value = value[: byline.start()]
        value = value.strip(" |｜/()（）")
        field = sel.ZH_LABEL_FIELD.get(m["label"])
        if field and value and field not in fields:
            fields[field] = value
    return fields


def _names(match: re.Match[str]) -> str:
    names = re.split(r"[ \u3000、，,]+", match["names"])
    if match["more"]:
        names += re.split(r"[ \u3000、，,]+", match["more"])
    return " ".join(n for n in names if n)


def _clean_person(value: str | None) -> str | None:
    if not value:
        return None
    m = re.match(sel.ZH_NAMES, value)
    return " ".join(re.split(r"[ \u3000、，,]+", m.group(0))) if m else collapse(value)


def _clean_date(value: str | None) -> str | None:
    """The date as printed (full-width characters and spacing kept)."""
    if not value:
        return None
    m = sel.ZH_DATE_LABEL.search("发布时间：" + value)
    return m["date"].strip() if m else None


def _raw_text(el: lxml.html.HtmlElement | None) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _meta_text(meta: lxml.html.HtmlElement) -> str:
    """The meta line's text with the boundaries between its parts marked " | "."""
    parts = [element_text(child) for child in meta if isinstance(child.tag, str)]
    if len([p for p in parts if p]) > 1:
        return " | ".join(p for p in parts if p)
    return element_text(meta)


def _cms_fields(text: str) -> dict[str, str]:
    return {m["name"]: m["value"] for m in sel.ZH_CMS_FIELD.finditer(text)}


def _raw_fragment_text(fragment_html: str) -> str:
    if not fragment_html.strip():
        return ""
    return _raw_text(lxml.html.fragment_fromstring(fragment_html, create_parent="div"))


def _fragment_text(fragment_html: str) -> str:
    if not fragment_html.strip():
        return ""
    return element_text(lxml.html.fragment_fromstring(fragment_html, create_parent="div"))


def _next_page(root: lxml.html.HtmlElement, url: str) -> str | None:
    ref = article_ref(url)
    if ref is None:
        return None
    wanted = ref.page + 1
    marker = f"{ref.article_id}_{wanted}"  # in every next-page URL: skips other links cheaply
    for a in root.iter("a"):
        href = a.get("href")
        if not href or marker not in href:
            continue
        joined = join(url, href)
        target = article_ref(joined) if joined else None
        if target and target.article_id == ref.article_id and target.page == wanted:
            return joined
    return None


def parse_zh_article(url: str, html: str | bytes) -> Article:
    text = decode(html)
    root = parse_html(text)
    cms = _cms_fields(text)
    extractor = "zh-cms" if "文章正文" in cms else "zh-markup"

    meta_els = root.xpath(sel.ZH_META_XPATH)
    meta_text = _meta_text(meta_els[0]) if meta_els else ""
    fields = labelled_fields(meta_text)

    # Title.
    title = _fragment_text(cms.get("文章标题", "")) or None
    if not title:
        for xpath in sel.ZH_TITLE_XPATHS:
            found = root.xpath(xpath)
            if found and element_text(found[0]):
                title = element_text(found[0])
                break
    if not title:
        page_title = root.findtext(".//title") or ""
        title = collapse(sel.ZH_TITLE_SUFFIX.sub("", page_title)) or None

    # Date: CMS marker, the first span of .article-meta, then any labelled date.
    published_raw = _clean_date(_raw_fragment_text(cms.get("发布日期", "")))
    if not published_raw and meta_els:
        first_span = meta_els[0].find(".//span")
        published_raw = _clean_date(re.sub(r"^[^:：]*[:：]", "", _raw_text(first_span))) or _clean_date(
            _raw_text(meta_els[0]).split("：", 1)[-1] if fields.get("date") else None)
    page_blocks = blocks(root.body if root.find("body") is not None else root)
    if not published_raw:
        for block in page_blocks:
            m = sel.ZH_DATE_LABEL.search(block.text) if block.kind == "text" else None
            if m:
                raw = sel.ZH_DATE_LABEL.search(_raw_text(block.el))
                published_raw = (raw or m)["date"].strip()
                extractor = "zh-anchors"
                break

    # Body: CMS markers, then .article-content, then what follows the date line.
    body_stream: list[Block] = []
    if "文章正文" in cms:
        body_stream = blocks(lxml.html.fragment_fromstring(cms["文章正文"], create_parent="div"))
    else:
        found = root.xpath(sel.ZH_BODY_XPATH)
        if found:
            body_stream = blocks(found[0])
        elif published_raw:
            body_stream = _after_date(page_blocks)
            extractor = "zh-anchors"

    # A CMS marker, even an empty one, is the authority for its field.
    source = _fragment_text(cms["文章来源"]) if "文章来源" in cms else fields.get("source")
    editor = _fragment_text(cms["文章编辑"]) if "文章编辑" in cms else fields.get("editor")
    author = fields.get("author")
    if not author and meta_text:
        m = sel.ZH_BYLINE.search(meta_text)
        author = _names(m) if m else None

    # Byline, source and editor lines at either end of the body are metadata.
    body_stream, found_fields = _strip_meta_paragraphs(body_stream)
    source = source or found_fields.get("source")
    editor = editor or found_fields.get("editor")
    author = author or found_fields.get("author")
    for key, value in _page_fields(page_blocks, cms).items():
        # A short labelled line elsewhere on the page (e.g. below the body).
        if key == "source" and not source:
            source = value
        elif key == "editor" and not editor:
            editor = value

    body = build_body(body_stream, url)
    paragraphs, title, published_raw, extractor = fill_from_generic(
        root, url, body, title, published_raw, extractor)

    # The generic extractor finds text on any page (an error page, a notice): alone,
    # without a date, its text does not make the page an article.
    if not title or not (published_raw or (paragraphs and extractor != "trafilatura")):
        raise NotAnArticle("no title, or neither a date nor a body")

    ref = article_ref(url)
    article_id = ref.article_id if ref else None
    if article_id is None:
        ids = root.xpath(sel.ZH_ARTICLE_ID_XPATH)
        article_id = int(ids[0]) if ids and str(ids[0]).strip().isdigit() else None
    cateid = ref.cateid if ref else None
    return Article(
        lang="zh",
        article_id=article_id,
        url=canonical_url(url),
        section=_section(page_blocks, cms, cateid),
        cateid=cateid,
        title=title,
        published=iso(parse_published(published_raw)),
        published_raw=published_raw,
        source=source or None,
        author=_clean_person(author),
        editor=_clean_person(editor),
        body_text="\n\n".join(paragraphs) if paragraphs else None,
        body_html=body.html or None,
        images=body.images,
        extractor=extractor,
        next_page=_next_page(root, url),
    )


def _page_fields(page_blocks: list[Block], cms: dict[str, str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for block in page_blocks:
        if block.kind != "text":
            continue
        for key, value in labelled_fields(block.text).items():
            marker = {"source": "文章来源", "editor": "文章编辑"}.get(key)
            if marker in cms or len(value) > 40:
                continue
            found.setdefault(key, value)
    return found


def _after_date(page_blocks: list[Block]) -> list[Block]:
    start = None
    for i, block in enumerate(page_blocks):
        if block.kind == "text" and sel.ZH_DATE_LABEL.search(block.text):
            start = i + 1
            break
    if start is None:
        return []
    out = []
    for block in page_blocks[start:]:
        if block.kind == "text" and re.search(r"版权所有|Copyright|上一篇|下一篇|相关新闻", block.text):
            break
        out.append(block)
    return out


def _strip_meta_paragraphs(stream: list[Block]) -> tuple[list[Block], dict[str, str]]:
    found: dict[str, str] = {}
    text_positions = [i for i, b in enumerate(stream) if b.kind == "text"]
    ends = set(text_positions[:2] + text_positions[-3:])
    drop: set[int] = set()
    for i in ends:
        line = stream[i].text
        m = sel.ZH_EDITOR_LINE.match(line)
        if m:
            found.setdefault("editor", m["v"])
            drop.add(i)
            continue
        m = sel.ZH_SOURCE_LINE.match(line)
        if m:
            found.setdefault("source", m["v"])
            drop.add(i)
            continue
        m = sel.ZH_BYLINE.fullmatch(line.strip("（）() "))
        if m:
            found.setdefault("author", _names(m))
            drop.add(i)
            continue
        fields = labelled_fields(line)
        if fields and set(fields) <= {"source", "editor", "author"} and len(line) < 60:
            for key, value in fields.items():
                found.setdefault(key, value)
            drop.add(i)
    return [b for i, b in enumerate(stream) if i not in drop], found


def _section(page_blocks: list[Block], cms: dict[str, str], cateid: int | None) -> list[str]:
    if cateid in sel.ZH_CATEGORY_NAMES:
        return [sel.ZH_CATEGORY_NAMES[cateid]]
    for block in page_blocks:
        if block.kind == "text" and sel.ZH_BREADCRUMB.search(block.text):
            crumb = sel.ZH_BREADCRUMB.split(block.text, maxsplit=1)[-1]
            parts = [collapse(p) for p in re.split(r">>|>|»|›", crumb)]
            parts = [p for p in parts if p and p not in ("首页", "正文", "中山网")]
            if parts:
                return parts
            break
    column = _fragment_text(cms.get("专题栏目名称", ""))
    return [column] if column else []
