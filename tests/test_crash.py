"""Crash recovery: `zsnews crawl` killed with SIGKILL while it writes, then restarted."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from scrapy import Request
from scrapy.dupefilters import RFPDupeFilter

from zsnews_crawler.mirror import running_mirror

from .conftest import SITE, expected_cases

ROOT = Path(__file__).resolve().parent.parent
CASES = expected_cases()
# What a reader sees of an article; first_seen/last_seen are times and differ between runs.
CONTENT = ("id, lang, article_id, url, section, cateid, title, published, published_raw, source, author, "
           "editor, body_text, body_html, extractor, content_hash, fetched_url")


def crawl_cmd(mirror, db: Path, delay: str) -> list[str]:
    return [sys.executable, "-m", "zsnews_crawler.cli", "crawl", "--db", str(db),
            "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
            "-s", f"ZSNEWS_ZH_BASE_URL={mirror.base_urls['zh']}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", f"DOWNLOAD_DELAY={delay}"]


def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def stored_count(db: Path) -> int:
    try:
        return rows(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.Error:  # not created yet
        return 0


def kill_after(mirror, db: Path, articles: int) -> int:
    """Start a crawl, SIGKILL it once the archive holds `articles` more; return the count then."""
    start = stored_count(db)
    proc = subprocess.Popen(crawl_cmd(mirror, db, "0.15"), cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while stored_count(db) < start + articles:
        assert proc.poll() is None, "the crawl ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    return stored_count(db)


def check_archive(db: Path) -> None:
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]
    assert rows(db, "PRAGMA foreign_key_check") == []
    assert rows(db, "SELECT lang, article_id FROM articles GROUP BY lang, article_id HAVING count(*) > 1") == []
    assert rows(db, "SELECT url FROM articles GROUP BY url HAVING count(*) > 1") == []
    # No article is half-written: each has exactly its images.
    expected_images = {f"{r['lang']}:{r['article_id']}": len(r["images"]) for _, _, r in CASES}
    counted = dict(rows(db, "SELECT a.id, (SELECT count(*) FROM images i WHERE i.article_id = a.id) "
                            "FROM articles a"))
    assert {k: v for k, v in counted.items() if expected_images.get(k) != v} == {}


def test_a_crawl_killed_twice_while_writing_ends_equal_to_an_uninterrupted_one(tmp_path):
    crashed = tmp_path / "crashed" / "zsnews.db"
    clean = tmp_path / "clean" / "zsnews.db"
    with running_mirror(SITE) as mirror:
        uninterrupted = subprocess.run(crawl_cmd(mirror, clean, "0"), cwd=ROOT, capture_output=True,
                                       text=True, timeout=300)
        assert uninterrupted.returncode == 0, uninterrupted.stderr[-2000:]
        at_first_kill = kill_after(mirror, crashed, 8)
        check_archive(crashed)
        at_second_kill = kill_after(mirror, crashed, 8)
        check_archive(crashed)
        jobs = crashed.parent / "jobs"
        assert (jobs / "zsnews_en" / "zsnews-running").exists()  # job state was left behind
        # On a larger site the dupefilter's buffer would have reached the disk before
        # the kill: the home pages are marked seen while their links were never followed.
        for lang, spider in (("en", "zsnews_en"), ("zh", "zsnews_zh")):
            seen = RFPDupeFilter(str(jobs / spider))
            seen.request_seen(Request(mirror.base_urls[lang] + "/"))
            seen.close("killed")
        restarted = subprocess.run(crawl_cmd(mirror, crashed, "0"), cwd=ROOT, capture_output=True,
                                   text=True, timeout=300)
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    assert "did not close" in restarted.stderr  # the stale job state was noticed and dropped
    assert at_first_kill < at_second_kill < len(CASES)
    check_archive(crashed)
    content = f"SELECT {CONTENT} FROM articles ORDER BY id"
    assert rows(crashed, content) == rows(clean, content)
    assert (rows(crashed, "SELECT * FROM images ORDER BY article_id, position")
            == rows(clean, "SELECT * FROM images ORDER BY article_id, position"))
    assert (rows(crashed, "SELECT url, kind, status FROM failures ORDER BY url")
            == rows(clean, "SELECT url, kind, status FROM failures ORDER BY url"))
    assert not any((crashed.parent / "jobs").iterdir())
    runs = Counter(status for (status,) in rows(crashed, "SELECT status FROM crawl_runs"))
    print(f"FIGURES crash kills=2 stored_at_kills={at_first_kill},{at_second_kill} "
          f"articles={len(rows(crashed, 'SELECT id FROM articles'))} runs={dict(runs)}")
