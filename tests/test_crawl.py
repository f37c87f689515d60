"""Both spiders as real `scrapy crawl` processes against the mirror."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zsnews_crawler.storage import article_record, open_readonly

from .conftest import SITE, expected_cases
from .test_parsers import FIELDS

ROOT = Path(__file__).resolve().parent.parent
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=INFO"]


def scrapy_crawl(spider: str, *args: str, env_extra: dict | None = None, timeout: int = 180):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", spider, *FAST, *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
    )


@pytest.fixture(scope="module")
def crawled(mirror, tmp_path_factory):
    """Crawl both sites once (in parallel) into one archive."""
    db = tmp_path_factory.mktemp("crawl") / "archive.db"
    procs = []
    for spider, setting, lang in (("zsnews_en", "ZSNEWS_EN_BASE_URL", "en"),
                                  ("zsnews_zh", "ZSNEWS_ZH_BASE_URL", "zh")):
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "scrapy", "crawl", spider, *FAST,
             "-s", f"{setting}={mirror.base_urls[lang]}", "-s", f"ARCHIVE_DB={db}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        ))
    logs = [p.communicate(timeout=300) for p in procs]
    for proc, (_, err) in zip(procs, logs, strict=True):
        assert proc.returncode == 0, err[-3000:]
    return db, [err for _, err in logs]


def test_archive_holds_exactly_the_fixture_articles_once_each(crawled):
    db = open_readonly(crawled[0])
    stored = sorted(r["id"] for r in db.query("SELECT id FROM articles"))
    expected = sorted(f"{rec['lang']}:{rec['article_id']}" for _, _, rec in expected_cases())
    assert stored == expected


def test_stored_fields_equal_the_expected_extraction(crawled):
    db = open_readonly(crawled[0])
    mismatches = []
    for _, _, expected in expected_cases():
        record = article_record(db, f"{expected['lang']}:{expected['article_id']}")
        for field in FIELDS:
            if record[field] != expected[field]:
                mismatches.append((expected["url"], field, record[field], expected[field]))
    assert mismatches == []


def test_non_articles_and_dead_links_are_recorded_as_failures_not_articles(crawled):
    db = open_readonly(crawled[0])
    failures = {(r["url"], r["kind"]) for r in db.query("SELECT url, kind FROM failures")}
    expected = json.loads((SITE / "expected_failures.json").read_text(encoding="utf-8"))
    assert failures == {(f["url"], f["kind"]) for f in expected}


def test_robots_txt_is_obeyed(crawled):
    # The home page links an archive listing that robots.txt disallows.
    logs = "\n".join(crawled[1])
    assert "'robotstxt/forbidden': 1" in logs
    db = open_readonly(crawled[0])
    assert not list(db.query("SELECT url FROM failures WHERE url LIKE '%/Archive/%' OR url LIKE '%36001%'"))


def test_second_crawl_of_unchanged_site_changes_no_article(crawled, mirror):
    db_path = crawled[0]
    before = {r["id"]: r["content_hash"] for r in open_readonly(db_path).query("SELECT * FROM articles")}
    result = scrapy_crawl("zsnews_en", "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
                          "-s", f"ARCHIVE_DB={db_path}")
    assert result.returncode == 0
    assert "zsnews/articles_new" not in result.stderr
    after = {r["id"]: r["content_hash"] for r in open_readonly(db_path).query("SELECT * FROM articles")}
    assert after == before


def test_items_feed_export_works_as_scrapy_users_expect(mirror, tmp_path):
    out = tmp_path / "items.jsonl"
    result = scrapy_crawl("zsnews_en", "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
                          "-s", f"ARCHIVE_DB={tmp_path / 'a.db'}", "-a", "sections=Gallery",
                          "-O", str(out))
    assert result.returncode == 0, result.stderr[-2000:]
    items = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    articles = [i for i in items if "title" in i]
    expected = {rec["url"] for _, _, rec in expected_cases()
                if rec["lang"] == "en" and "Gallery" in rec["section"]}
    assert {a["url"] for a in articles} == expected


def test_a_bad_date_argument_is_a_one_line_error_not_a_traceback(mirror, tmp_path):
    result = scrapy_crawl("zsnews_zh", "-s", f"ZSNEWS_ZH_BASE_URL={mirror.base_urls['zh']}",
                          "-s", f"ARCHIVE_DB={tmp_path / 'a.db'}", "-a", "since=not-a-date")
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "] ERROR:" in line]
    assert len(errors) == 1 and "invalid since 'not-a-date'" in errors[0]
    assert "bad_argument" in result.stderr


def test_since_until_keep_only_articles_in_range(mirror, tmp_path):
    cases = [rec for _, _, rec in expected_cases() if rec["lang"] == "zh"]
    days = sorted(rec["published"][:10] for rec in cases)
    since, until = days[len(days) // 3], days[2 * len(days) // 3]
    db = tmp_path / "a.db"
    result = scrapy_crawl("zsnews_zh", "-s", f"ZSNEWS_ZH_BASE_URL={mirror.base_urls['zh']}",
                          "-s", f"ARCHIVE_DB={db}", "-a", f"since={since}", "-a", f"until={until}")
    assert result.returncode == 0
    stored = {r["article_id"] for r in open_readonly(db).query("SELECT article_id FROM articles")}
    assert stored == {rec["article_id"] for rec in cases if since <= rec["published"][:10] <= until}


def test_max_pages_limits_how_deep_pagination_goes(mirror, tmp_path):
    db = tmp_path / "a.db"
    result = scrapy_crawl("zsnews_en", "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
                          "-s", f"ARCHIVE_DB={db}", "-a", "sections=News", "-a", "max_pages=1",
                          "-s", "LOG_LEVEL=DEBUG")
    assert result.returncode == 0
    crawled = [line for line in result.stderr.splitlines() if "Crawled (200)" in line]
    assert any("/News/index.html" in line for line in crawled)
    assert not any("/News/index_2.html" in line or "/News/index_3.html" in line for line in crawled)
    stored = {r["section"] for r in open_readonly(db).query("SELECT section FROM articles")}
    assert stored == {'["News"]'}


def test_a_parser_crash_is_recorded_as_parse_error_not_lost(mirror, tmp_path, monkeypatch):
    """The spider's callback turns an unexpected parser exception into a failure row."""
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from zsnews_crawler.items import Failure
    from zsnews_crawler.spiders import base
    from zsnews_crawler.spiders.en import EnglishSpider

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(base, "extract_article", broken)
    crawler = get_crawler(EnglishSpider, {"ARCHIVE_DB": str(tmp_path / "a.db")})
    spider = EnglishSpider.from_crawler(crawler)
    url = "https://en.zsnews.cn/News/content/376/40943.html"
    response = HtmlResponse(url, body=b"<html><body>x</body></html>", request=Request(url))
    out = list(spider.parse_article(response))
    assert len(out) == 1 and isinstance(out[0], Failure)
    assert out[0].kind == "parse_error" and "KeyError" in out[0].reason and out[0].url == url
