"""Cron-grade crawling: incremental runs, WARC captures and re-parsing,
revisions, run records, the drift alarm, the lock and resumption."""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from zsnews_crawler.mirror import running_mirror
from zsnews_crawler.storage import Archive

from .conftest import SITE, expected_cases

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("id, lang, article_id, url, section, cateid, title, published, published_raw, source, author, "
           "editor, body_text, body_html, extractor, content_hash, first_seen")
N_EN = sum(1 for _, _, r in expected_cases() if r["lang"] == "en")
N_ZH = sum(1 for _, _, r in expected_cases() if r["lang"] == "zh")


@pytest.fixture
def site(tmp_path):
    """A private copy of the fixture site that a test may change."""
    copy = tmp_path / "site"
    shutil.copytree(SITE, copy)
    return copy


def crawl_cmd(mirror, db, *extra, log_level="INFO"):
    return [sys.executable, "-m", "zsnews_crawler.cli", "crawl", *extra, "--db", str(db),
            "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
            "-s", f"ZSNEWS_ZH_BASE_URL={mirror.base_urls['zh']}",
            "-s", "AUTOTHROTTLE_ENABLED=False", "--log-level", log_level]


def crawl(mirror, db, *extra, delay="0", log_level="INFO"):
    cmd = crawl_cmd(mirror, db, *extra, log_level=log_level) + ["-s", f"DOWNLOAD_DELAY={delay}"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def rows(db, sql, *params):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def last_runs(db):
    """The latest crawl_runs row of each spider."""
    return {r["spider"]: r for r in rows(db, "SELECT * FROM crawl_runs ORDER BY id")}


def test_first_run_stores_all_and_second_run_fetches_no_article(site, tmp_path):
    db = tmp_path / "archive" / "zsnews.db"
    with running_mirror(site) as mirror:
        first = crawl(mirror, db)
        assert first.returncode == 0, first.stderr[-2000:]
        assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == N_EN + N_ZH
        before = rows(db, f"SELECT {CONTENT} FROM articles ORDER BY id")
        images_before = rows(db, "SELECT * FROM images ORDER BY article_id, position")
        failures_before = rows(db, "SELECT * FROM failures ORDER BY url")
        second = crawl(mirror, db)
    assert second.returncode == 0, second.stderr[-2000:]
    runs = last_runs(db)
    assert {name: r["article_pages"] for name, r in runs.items()} == {"zsnews_en": 0, "zsnews_zh": 0}
    assert all(r["status"] == "ok" and r["articles_unchanged"] == 0 for r in runs.values())
    assert rows(db, f"SELECT {CONTENT} FROM articles ORDER BY id") == before
    assert rows(db, "SELECT * FROM images ORDER BY article_id, position") == images_before
    assert rows(db, "SELECT * FROM failures ORDER BY url") == failures_before
    assert len(rows(db, "SELECT * FROM crawl_runs")) == 4
    assert (db.parent / "logs" / "crawl.log").stat().st_size > 0
    assert not any((db.parent / "jobs").iterdir())  # finished runs leave no job state


def add_article(site: Path, src: str, dest: str, title_from: str, title_to: str) -> None:
    page = (site / src).read_bytes().decode("utf-8")
    assert title_from in page
    (site / dest).parent.mkdir(parents=True, exist_ok=True)
    (site / dest).write_text(page.replace(title_from, title_to), encoding="utf-8")


def link_from(site: Path, listing: str, href: str) -> None:
    page = (site / listing).read_text(encoding="utf-8")
    (site / listing).write_text(page.replace("</body>", f'<a href="{href}">new</a></body>', 1), encoding="utf-8")


def test_next_run_fetches_exactly_the_new_articles(site, tmp_path):
    cases = {r["url"]: r for _, _, r in expected_cases()}
    en_src = "https://en.zsnews.cn/News/content/376/40943.html"
    zh_src = "https://www.zsnews.cn/news/index/view/cateid/35/id/700017.html"
    db = tmp_path / "a.db"
    with running_mirror(site) as mirror:
        assert crawl(mirror, db).returncode == 0
        add_article(site, "en.zsnews.cn/News/content/376/40943.html", "en.zsnews.cn/News/content/376/42501.html",
                    cases[en_src]["title"], "A brand new story")
        link_from(site, "en.zsnews.cn/News/index.html", "/News/content/376/42501.html")
        for new_id in (700201, 700202):
            add_article(site, "www.zsnews.cn/news/index/view/cateid/35/id/700017.html",
                        f"www.zsnews.cn/news/index/view/cateid/35/id/{new_id}.html",
                        cases[zh_src]["title"], f"新闻{new_id}")
        link_from(site, "www.zsnews.cn/news/index/lists/cateid/35.html",
                  "/news/index/view/cateid/35/id/700201.html")
        api = site / "www.zsnews.cn/api/mobile/getlist.html@cateid=35"
        entries = json.loads(api.read_text(encoding="utf-8"))
        entries.insert(0, {"id": 700202, "title": "新", "url": "https://www.zsnews.cn/news/index/view/cateid/35/id/700202.html"})
        api.write_text(json.dumps(entries), encoding="utf-8")
        result = crawl(mirror, db, log_level="DEBUG")
    assert result.returncode == 0, result.stderr[-2000:]
    runs = last_runs(db)
    assert runs["zsnews_en"]["article_pages"] == 1 and runs["zsnews_en"]["articles_new"] == 1
    assert runs["zsnews_zh"]["article_pages"] == 2 and runs["zsnews_zh"]["articles_new"] == 2
    titles = {r["title"] for r in rows(db, "SELECT title FROM articles")}
    assert {"A brand new story", "新闻700201", "新闻700202"} <= titles
    # News page 1 held the new article, page 2 none: page 3 is never fetched again.
    crawled = [line for line in result.stderr.splitlines() if "Crawled (200)" in line]
    assert any("/News/index_2.html" in line for line in crawled)
    assert not any("/News/index_3.html" in line for line in crawled)


def test_a_refresh_run_keeps_the_old_text_as_a_revision(site, tmp_path):
    page = site / "en.zsnews.cn/News/content/376/40943.html"
    expected = json.loads(page.with_name("40943.expected.json").read_text(encoding="utf-8"))
    first_paragraph = expected["body_text"].split("\n\n")[0]
    db = tmp_path / "a.db"
    with running_mirror(site) as mirror:
        assert crawl(mirror, db, "-a", "sections=News").returncode == 0
        html = page.read_text(encoding="utf-8")
        assert first_paragraph[:40] in html
        page.write_text(html.replace(first_paragraph[:40], "CORRECTED: " + first_paragraph[:40]), encoding="utf-8")
        plain = crawl(mirror, db, "-a", "sections=News")  # no refresh: the edit is not seen
        refreshed = crawl(mirror, db, "-a", "sections=News", "-a", "refresh=36500")
    assert plain.returncode == 0 and refreshed.returncode == 0
    revisions = rows(db, "SELECT * FROM revisions")
    assert [r["article_id"] for r in revisions] == ["en:40943"]
    assert revisions[0]["body_text"] == expected["body_text"]
    now = rows(db, "SELECT body_text FROM articles WHERE id = 'en:40943'")[0]["body_text"]
    assert now.startswith("CORRECTED: ")
    assert last_runs(db)["zsnews_en"]["articles_updated"] == 1


def test_reparse_rebuilds_identical_articles_from_warc_alone(site, tmp_path):
    db = tmp_path / "archive" / "zsnews.db"
    with running_mirror(site) as mirror:
        assert crawl(mirror, db).returncode == 0
    # The mirror is stopped: anything that tried the network would fail.
    before = rows(db, f"SELECT {CONTENT.replace(', first_seen', '')} FROM articles ORDER BY id")
    images = rows(db, "SELECT * FROM images ORDER BY article_id, position")
    for f in db.parent.glob("zsnews.db*"):
        f.unlink()
    result = subprocess.run([sys.executable, "-m", "zsnews_crawler.cli", "reparse", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert rows(db, f"SELECT {CONTENT.replace(', first_seen', '')} FROM articles ORDER BY id") == before
    assert rows(db, "SELECT * FROM images ORDER BY article_id, position") == images
    warcs = list((db.parent / "warc" / "zsnews").glob("*.warc.gz"))
    assert warcs
    index = subprocess.run([sys.executable, "-m", "warcio.cli", "index", str(warcs[0])],
                           capture_output=True, text=True)
    assert index.returncode == 0 and '"warc-type": "response"' in index.stdout


def test_layout_drift_fails_the_run_loudly(site, tmp_path):
    for page in (site / "en.zsnews.cn").rglob("content/*/*.html"):
        html = page.read_text(encoding="utf-8")
        page.write_text(html.replace("Updated:", "Posted on").replace("HOME", "Start"), encoding="utf-8")
    db = tmp_path / "a.db"
    with running_mirror(site) as mirror:
        result = crawl(mirror, db, "en")
    assert result.returncode == 1
    alarm = [line for line in result.stderr.splitlines() if "LAYOUT DRIFT" in line]
    assert alarm and "published" in " ".join(alarm) and "https://en.zsnews.cn/" in alarm[0]
    assert last_runs(db)["zsnews_en"]["status"] == "failed"
    assert "zsnews_en: failed" in result.stdout


def test_a_second_concurrent_crawl_refuses_at_once(site, tmp_path):
    db = tmp_path / "a.db"
    with running_mirror(site) as mirror:
        first = subprocess.Popen(crawl_cmd(mirror, db, "en") + ["-s", "DOWNLOAD_DELAY=0.1"], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lock = Path(f"{db}.lock")
        deadline = time.time() + 30
        while not (lock.exists() and lock.read_text().strip() == str(first.pid)) and time.time() < deadline:
            time.sleep(0.05)
        started = time.time()
        second = crawl(mirror, db, "en")
        waited = time.time() - started
        out, err = first.communicate(timeout=300)
    assert second.returncode == 75
    assert "another crawl is running" in second.stderr and "Traceback" not in second.stderr
    assert waited < 10
    assert first.returncode == 0, err[-2000:]


def test_an_interrupted_run_resumes_without_duplicates(site, tmp_path):
    db = tmp_path / "a.db"
    with running_mirror(site) as mirror:
        proc = subprocess.Popen(crawl_cmd(mirror, db, "en") + ["-s", "DOWNLOAD_DELAY=0.2"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if db.exists() and rows(db, "SELECT count(*) AS n FROM sqlite_master WHERE name = 'articles'")[0]["n"]:
                if rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] >= 3:
                    break
            time.sleep(0.1)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 1  # an interrupted run is not a success
        stored = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
        assert 3 <= stored < N_EN
        assert (db.parent / "jobs" / "zsnews_en").is_dir()
        resumed = crawl(mirror, db, "en")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming the interrupted zsnews_en run" in resumed.stderr
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == N_EN
    assert not (db.parent / "jobs" / "zsnews_en").exists()


def test_retryable_failures_are_fetched_again_and_cleared(site, tmp_path):
    # An article no listing links to, whose last fetch failed with a 503.
    url = "https://www.zsnews.cn/news/index/view/cateid/35/id/700203.html"
    cases = {r["url"]: r for _, _, r in expected_cases()}
    src = "https://www.zsnews.cn/news/index/view/cateid/35/id/700017.html"
    add_article(site, "www.zsnews.cn/news/index/view/cateid/35/id/700017.html",
                "www.zsnews.cn/news/index/view/cateid/35/id/700203.html", cases[src]["title"], "重试成功")
    db = tmp_path / "a.db"
    from zsnews_crawler.items import Failure

    archive = Archive(db)
    archive.record_failure(Failure(url=url, lang="zh", kind="http_503", status=503, reason="article: HTTP 503"))
    archive.close()
    listed = subprocess.run([sys.executable, "-m", "zsnews_crawler.cli", "failures", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True)
    assert url in listed.stdout and "http_503" in listed.stdout
    with running_mirror(site) as mirror:
        assert crawl(mirror, db, "zh").returncode == 0
    assert rows(db, "SELECT title FROM articles WHERE id = 'zh:700203'") == [{"title": "重试成功"}]
    assert rows(db, "SELECT * FROM failures WHERE url = ?", url) == []
