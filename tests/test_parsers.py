"""Every fixture article against its expected JSON, one test per field."""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

import pytest

from zsnews_crawler.normalize import normalize_article
from zsnews_crawler.pages import NotAnArticle, extract_article, merge_pages

from .conftest import SITE, expected_cases

CASES = expected_cases()
FIELDS = ["lang", "article_id", "url", "section", "cateid", "title", "published", "published_raw",
          "source", "author", "editor", "body_text", "images"]


def page_file(url: str) -> Path:
    host, _, path = url.split("://", 1)[1].partition("/")
    return SITE / host / path


@functools.cache
def extracted(url: str) -> dict:
    article = extract_article(url, page_file(url).read_bytes())
    pages = []
    next_url = article.next_page
    while next_url:
        page = extract_article(next_url, page_file(next_url).read_bytes())
        pages.append(page)
        next_url = page.next_page
    article = normalize_article(merge_pages(article, pages))
    record = article.to_dict()
    record["images"] = [dict(i) for i in record["images"]]
    return record


def test_the_fixture_site_has_enough_articles():
    langs = [record["lang"] for _, _, record in CASES]
    assert langs.count("en") >= 30 and langs.count("zh") >= 30


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize(("url", "page", "expected"), CASES, ids=[c[0].split("://")[1] for c in CASES])
def test_field_matches_expected(url, page, expected, field):
    assert extracted(url)[field] == expected[field]


@pytest.mark.parametrize(("url", "page", "expected"), CASES, ids=[c[0].split("://")[1] for c in CASES])
def test_body_html_is_clean_and_absolute(url, page, expected):
    html = extracted(url)["body_html"] or ""
    assert not re.search(r"<script|<style|<iframe|\son\w+\s*=|javascript:", html, re.I)
    for src in re.findall(r'<img[^>]*\ssrc="([^"]*)"', html):
        assert src.startswith("https://"), src
    assert extracted(url)["extractor"] in {"en-anchors", "en-markup", "zh-cms", "zh-markup", "zh-anchors",
                                           "trafilatura"}


def test_site_specific_extractors_handle_every_fixture_without_the_generic_fallback():
    used = {extracted(url)["extractor"] for url, _, _ in CASES}
    assert "trafilatura" not in used


def test_non_article_pages_are_refused_with_a_reason():
    failures = json.loads((SITE / "expected_failures.json").read_text(encoding="utf-8"))
    checked = 0
    for failure in failures:
        file = page_file(failure["url"])
        if failure["kind"] == "not_article":
            with pytest.raises(NotAnArticle):
                extract_article(failure["url"], file.read_bytes())
            checked += 1
        else:
            assert not file.exists()
    assert checked >= 1
