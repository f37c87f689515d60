"""Mutated fixture pages: the parser returns an Article or raises NotAnArticle,
never anything else, and each page parses within a generous time bound."""

from __future__ import annotations

import random
import time

import pytest

from zsnews_crawler.items import Article
from zsnews_crawler.pages import NotAnArticle, extract_article
from zsnews_crawler.pages.listing import listing_links
from zsnews_crawler.urls import SiteMap

from .conftest import expected_cases

CASES = expected_cases()
# One English and one Chinese page per template family, and a few more for variety.
SAMPLE = [CASES[i] for i in sorted({0, 5, 12, 20, 30, 34, 35, 40, 50, 60, len(CASES) - 1})]
PER_PAGE_SECONDS = 2.0
HOSTILE_HREFS = ["http://[", "http://[::1", "https://en.zsnews.cn:99999/x", "\x00", "javascript:alert(1)",
                 "//evil.example/x", "file:///etc/passwd", "data:text/html,<script>", "%zz%ff", "http://" + "a" * 5000]


def cut(page: bytes, rng: random.Random) -> bytes:
    return page[: rng.randrange(len(page))]


def shuffle_lines(page: bytes, rng: random.Random) -> bytes:
    lines = page.split(b"\n")
    rng.shuffle(lines)
    return b"\n".join(lines)


def nest_deep(page: bytes, rng: random.Random) -> bytes:
    depth = 1000
    tag = rng.choice([b"div", b"span", b"p", b"table", b"font", b"b"])
    at = page.find(b"<body>") + 6 if b"<body>" in page else 0
    return page[:at] + b"<" + tag + b">" * 1 + (b"<" + tag + b">") * depth + b"deep" + page[at:]


def invalid_bytes(page: bytes, rng: random.Random) -> bytes:
    data = bytearray(page)
    for _ in range(max(1, len(data) // 200)):
        data[rng.randrange(len(data))] = rng.choice([0x00, 0x80, 0xFF, 0xC3, 0xE4, 0x1B])
    return bytes(data)


def huge_attribute(page: bytes, rng: random.Random) -> bytes:
    blob = b"x" * rng.choice([10**6, 3 * 10**6])
    return page.replace(b"<p", b'<p title="' + blob + b'"', 1).replace(b"<img", b'<img alt="' + blob + b'"', 1)


def hostile_links(page: bytes, rng: random.Random) -> bytes:
    links = b"".join(f'<a href="{h}">x</a><img src="{h}">'.encode() for h in HOSTILE_HREFS)
    at = page.find(b"</p>")
    return page[:at] + links + page[at:] if at >= 0 else page + links


def empty(page: bytes, rng: random.Random) -> bytes:
    return rng.choice([b"", b" ", b"\n\n", b"<html></html>", b"\xef\xbb\xbf", b"<?xml version='1.0'?>"])


MUTATIONS = [cut, shuffle_lines, nest_deep, invalid_bytes, huge_attribute, hostile_links, empty]


@pytest.mark.parametrize("mutation", MUTATIONS, ids=[m.__name__ for m in MUTATIONS])
def test_mutated_pages_give_an_article_or_not_an_article_in_time(mutation):
    rng = random.Random(f"fuzz-{mutation.__name__}")
    slow, crashes = [], []
    for url, page, _ in SAMPLE:
        for _ in range(3 if mutation in (cut, shuffle_lines, invalid_bytes) else 1):
            mutated = mutation(page.read_bytes(), rng)
            for html in (mutated, mutated.decode("utf-8", "replace")):
                started = time.monotonic()
                try:
                    result = extract_article(url, html)
                    assert isinstance(result, Article)
                except NotAnArticle:
                    pass
                except Exception as exc:  # noqa: BLE001 - what the test is looking for
                    crashes.append((url, mutation.__name__, f"{type(exc).__name__}: {exc}"[:200]))
                elapsed = time.monotonic() - started
                if elapsed > PER_PAGE_SECONDS:
                    slow.append((url, round(elapsed, 2)))
    assert crashes == []
    assert slow == []


def test_listing_links_survive_hostile_hrefs_and_keep_only_own_pages():
    site = SiteMap("en", "http://127.0.0.1:8001")
    page = "".join(f'<a href="{h}">x</a>' for h in HOSTILE_HREFS) + '<a href="/News/">News</a>'
    links = listing_links("http://127.0.0.1:8001/", page, site)
    assert links.articles == [] and links.pagination == []
    assert ("http://127.0.0.1:8001/News/", "News") in links.listings
    # Only pages of this site remain ("%zz%ff" is a relative link, so one of them).
    assert all(url.startswith("http://127.0.0.1:8001/") for url, _ in links.listings)
    assert len(links.listings) == 2
