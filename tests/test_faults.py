"""Nothing is lost under faults: the fault-injecting mirror, and crawls through it.

The accounting invariant: after a crawl, every article the mirror serves is
either in `articles` with exactly the expected fields, or in `failures` with a
reason; transient faults (5xx, resets, timeouts, truncated bodies) lose
nothing; error pages never become records.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from zsnews_crawler import faults
from zsnews_crawler.faults import FaultPlan, FaultSpecError, parse_spec
from zsnews_crawler.mirror import MirrorError, running_mirror, start_mirror
from zsnews_crawler.normalize import normalize_article
from zsnews_crawler.pages import NotAnArticle, extract_article
from zsnews_crawler.pages.common import decode
from zsnews_crawler.storage import article_record, open_readonly

from .conftest import SITE, expected_cases
from .test_parsers import FIELDS

ROOT = Path(__file__).resolve().parent.parent
CASES = expected_cases()
EXPECTED_FAILURES = {(f["url"], f["kind"])
                     for f in json.loads((SITE / "expected_failures.json").read_text(encoding="utf-8"))}
TRANSIENT_SPEC = "500=0.08,502=0.05,503=0.08,reset=0.06,slow=0.03,truncate=0.06,tracking=0.5"
# Seed 29 gives every lasting kind at least one article in each language.
LASTING_SPEC = ("503=0.1,reset=0.05,slow=0.02,truncate=0.05,404=0.04,redirect_loop=0.04,error_page=0.04,"
                "binary=0.04,huge=0.04,charset=0.2,tracking=0.3")
LASTING_SEED = 29
# Fast and patient: small timeout for the slow fault, retries enough for any transient one.
FAULT_SETTINGS = {"DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_TIMEOUT": "1",
                  "RETRY_TIMES": "4", "CONCURRENT_REQUESTS_PER_DOMAIN": "8"}


def get(url: str):
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read()


def crawl(mirror, db: Path, settings: dict[str, str] | None = None, *extra: str):
    cmd = [sys.executable, "-m", "zsnews_crawler.cli", "crawl", *extra, "--db", str(db),
           "-s", f"ZSNEWS_EN_BASE_URL={mirror.base_urls['en']}",
           "-s", f"ZSNEWS_ZH_BASE_URL={mirror.base_urls['zh']}"]
    for key, value in {**FAULT_SETTINGS, **(settings or {})}.items():
        cmd += ["-s", f"{key}={value}"]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def rows(db: Path, sql: str, *params) -> list[dict]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def mismatches(db: Path, expected: dict) -> list[tuple]:
    record = article_record(open_readonly(db), f"{expected['lang']}:{expected['article_id']}")
    return [(expected["url"], f, record[f], expected[f]) for f in FIELDS if record[f] != expected[f]]


def continuation_urls(url: str) -> list[str]:
    """URLs of the further pages of a fixture article (…_2.html)."""
    page = SITE / url.split("://", 1)[1]
    return [url.replace(".html", f"_{n}.html") for n in range(2, 10)
            if page.with_name(page.name.replace(".html", f"_{n}.html")).exists()]


def assert_no_duplicates(db: Path) -> None:
    assert rows(db, "SELECT url, count(*) AS n FROM articles GROUP BY url HAVING n > 1") == []
    assert rows(db, "SELECT lang, article_id, count(*) AS n FROM articles GROUP BY lang, article_id "
                    "HAVING n > 1") == []


# --- the plan ------------------------------------------------------------------------


def test_spec_parsing_accepts_shares_and_refuses_nonsense():
    assert parse_spec("500=0.1, reset=0.05,") == {"500": 0.1, "reset": 0.05}
    assert parse_spec(None) == {}
    for bad in ("500", "500=x", "teapot=0.1", "404=1.5", "500=0.6,503=0.6"):
        with pytest.raises(FaultSpecError):
            parse_spec(bad)
    with pytest.raises(MirrorError, match="bad fault specification"):
        start_mirror(SITE, faults="teapot=1")


def test_decisions_depend_on_seed_and_url_not_on_request_order():
    urls = [f"/News/content/376/{n}.html" for n in range(40000, 40400)]
    first, second = FaultPlan.from_spec(TRANSIENT_SPEC, 5), FaultPlan.from_spec(TRANSIENT_SPEC, 5)
    forward = {u: first.next_fault("en.zsnews.cn", u) for u in urls}
    backward = {u: second.next_fault("en.zsnews.cn", u) for u in reversed(urls)}
    assert forward == backward
    assert {u: FaultPlan.from_spec(TRANSIENT_SPEC, 6).next_fault("en.zsnews.cn", u) for u in urls} != forward
    # Shares are respected roughly (400 draws).
    counts = Counter(forward.values())
    assert 20 <= counts["500"] <= 50 and 10 <= counts["reset"] <= 40


def test_transient_faults_hit_only_the_first_try_and_never_robots_txt():
    plan = FaultPlan.from_spec("503=1", 0)
    assert plan.next_fault("en.zsnews.cn", "/News/") == "503"
    assert plan.next_fault("en.zsnews.cn", "/News/") is None
    assert plan.next_fault("en.zsnews.cn", "/News/?page=2") == "503"  # another URL
    assert plan.next_fault("en.zsnews.cn", "/robots.txt") is None
    assert FaultPlan.from_spec("503=1", 0, fault_robots=True).next_fault("en.zsnews.cn", "/robots.txt") == "503"


def test_lasting_faults_hit_article_pages_on_every_try_whatever_the_query():
    plan = FaultPlan.from_spec("404=1", 0)
    article = "/News/content/376/40943.html"
    assert [plan.next_fault("en.zsnews.cn", article) for _ in range(3)] == ["404"] * 3
    assert plan.next_fault("en.zsnews.cn", article + "?utm_source=x") == "404"
    assert plan.next_fault("en.zsnews.cn", "/News/") is None  # a listing
    assert FaultPlan.from_spec("404=1", 0, lasting_on="all").next_fault("en.zsnews.cn", "/News/") == "404"


def test_mirror_serves_each_fault_as_specified():
    article = "/News/content/376/40943.html"
    with running_mirror(SITE, faults="503=1", seed=0) as m:
        assert get(m.base_urls["en"] + article)[0] == 503
        assert get(m.base_urls["en"] + article)[0] == 200
        assert get(m.base_urls["en"] + "/robots.txt")[0] == 200
    with running_mirror(SITE, faults="reset=1") as m:
        with pytest.raises((ConnectionError, urllib.error.URLError, OSError)):
            get(m.base_urls["en"] + article)
        assert get(m.base_urls["en"] + article)[0] == 200
    with running_mirror(SITE, faults="truncate=1") as m:
        with pytest.raises(Exception, match="IncompleteRead|incomplete"):
            get(m.base_urls["en"] + article)
    with running_mirror(SITE, faults="slow=1", slow_seconds=1.5) as m:
        with pytest.raises((TimeoutError, urllib.error.URLError, OSError)):
            urllib.request.urlopen(m.base_urls["en"] + article, timeout=0.5)
    with running_mirror(SITE, faults="redirect_loop=1") as m:
        request = urllib.request.Request(m.base_urls["en"] + article)
        opener = urllib.request.build_opener()
        with pytest.raises(urllib.error.HTTPError, match="infinite loop|redirect"):
            opener.open(request, timeout=5)
    with running_mirror(SITE, faults="error_page=1") as m:
        status, _, body = get(m.base_urls["zh"] + "/news/index/view/cateid/35/id/700017.html")
        assert status == 200 and "页面不存在".encode() in body
    with running_mirror(SITE, faults="binary=1") as m:
        status, ctype, body = get(m.base_urls["en"] + article)
        assert (status, ctype) == (200, "text/html") and body.startswith(b"\x89PNG")
    with running_mirror(SITE, faults="huge=1") as m:
        assert len(get(m.base_urls["en"] + article)[2]) >= 10 * 2**20
    with running_mirror(SITE, faults="tracking=1") as m:
        body = get(m.base_urls["en"] + "/News/")[2].decode()
        assert faults.TRACKING_A in body and faults.TRACKING_B in body
        assert m.faults.injected["tracking"] > 0


@pytest.mark.parametrize("variant", faults.CHARSET_VARIANTS)
def test_every_fixture_article_survives_every_wrong_charset(variant):
    """The decoder trusts bytes over labels: strict UTF-8 first, then the declared
    encodings that decode cleanly, then GB18030."""
    wrong = []
    for url, page, _ in CASES:
        body, ctype = faults.wrong_charset(page.read_bytes(), variant)
        article = normalize_article(extract_article(url, decode(body, ctype)))
        clean = normalize_article(extract_article(url, page.read_bytes()))
        if (article.title, article.body_text, article.images) != (clean.title, clean.body_text, clean.images):
            wrong.append(url)
    assert wrong == []


@pytest.mark.parametrize("host, url", [
    ("en.zsnews.cn", "https://en.zsnews.cn/News/content/376/40943.html"),
    ("www.zsnews.cn", "https://www.zsnews.cn/news/index/view/cateid/35/id/700017.html"),
])
def test_error_pages_and_binary_bodies_are_not_articles(host, url):
    with pytest.raises(NotAnArticle):
        extract_article(url, faults.error_page(host))
    with pytest.raises(NotAnArticle):
        extract_article(url, faults.binary_body(1, host, "/x"))


def test_a_10_mb_page_parses_quickly_and_correctly():
    url, page, expected = CASES[0]
    started = time.monotonic()
    article = normalize_article(extract_article(url, faults.pad_huge(page.read_bytes())))
    assert time.monotonic() - started < 10
    assert (article.title, article.body_text) == (expected["title"], expected["body_text"])


# --- crawls through faults ----------------------------------------------------------------


@pytest.fixture(scope="module")
def transient_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("transient") / "archive.db"
    with running_mirror(SITE, faults=TRANSIENT_SPEC, seed=3, slow_seconds=2) as mirror:
        result = crawl(mirror, db)
        injected = dict(mirror.faults.injected)
    return db, result, injected


def test_transient_faults_lose_no_article(transient_crawl):
    db, result, injected = transient_crawl
    assert result.returncode == 0, result.stderr[-3000:]
    # Every kind was really injected.
    assert {k for k, n in injected.items() if n} >= set(faults.TRANSIENT) | {"tracking"}
    stored = sorted(r["id"] for r in rows(db, "SELECT id FROM articles"))
    assert stored == sorted(f"{rec['lang']}:{rec['article_id']}" for _, _, rec in CASES)
    assert [m for _, _, rec in CASES for m in mismatches(db, rec)] == []
    # Only the site's own dead ends are failures: every transient one was retried away.
    assert {(r["url"], r["kind"]) for r in rows(db, "SELECT url, kind FROM failures")} == EXPECTED_FAILURES
    assert_no_duplicates(db)
    print("FIGURES transient", json.dumps({"injected": injected, "articles": len(stored)}))


@pytest.fixture(scope="module")
def lasting_crawl(tmp_path_factory):
    db = tmp_path_factory.mktemp("lasting") / "archive.db"
    with running_mirror(SITE, faults=LASTING_SPEC, seed=LASTING_SEED, slow_seconds=2) as mirror:
        result = crawl(mirror, db)
        injected = dict(mirror.faults.injected)
        plan = mirror.faults
    return db, result, injected, plan


def lasting_of(plan: FaultPlan, url: str) -> str | None:
    parts = urlsplit(url)
    return plan.lasting_fault(parts.hostname, parts.path)


def test_under_lasting_faults_every_article_is_stored_correctly_or_failed_with_a_reason(lasting_crawl):
    db, result, injected, plan = lasting_crawl
    assert result.returncode in (0, 1), result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert {k for k, n in injected.items() if n} == set(parse_spec(LASTING_SPEC))
    articles = {r["url"]: r for r in rows(db, "SELECT * FROM articles")}
    failures = {r["url"]: r for r in rows(db, "SELECT * FROM failures")}
    outcome: Counter = Counter()
    problems = []
    for url, _, expected in CASES:
        fault = lasting_of(plan, url)
        if fault in faults.LOSING:
            outcome["failed:" + fault] += 1
            if url in articles:
                problems.append((url, fault, "stored although its page is a fault"))
            elif not (failures.get(url) or {}).get("reason"):
                problems.append((url, fault, "neither stored nor failed"))
            continue
        lost_pages = [u for u in continuation_urls(url) if lasting_of(plan, u) in faults.LOSING]
        if url not in articles:
            problems.append((url, fault, f"lost (failure: {failures.get(url)})"))
        elif lost_pages:
            # A split article whose later page failed keeps its first pages; the page is a failure.
            outcome["partial"] += 1
            problems += [(u, "continuation", "no failure") for u in lost_pages if u not in failures]
        else:
            outcome["stored:" + (fault or "clean")] += 1
            problems += mismatches(db, expected)
    assert problems == []
    # Nothing else was stored: no record was built from an error page or binary junk.
    assert set(articles) == {rec["url"] for _, _, rec in CASES if lasting_of(plan, rec["url"]) not in faults.LOSING}
    assert not [r for r in articles.values() if r["title"] in ("Sorry!", "系统提示")]
    assert_no_duplicates(db)
    print("FIGURES lasting", json.dumps({"injected": injected, "articles": len(articles),
                                         "failures": len(failures), "outcome": outcome}))


def test_failed_pages_of_a_faulted_crawl_are_retried_by_the_next_clean_one(lasting_crawl, tmp_path):
    """Transient leftovers (retries exhausted) and lasting faults are both recorded; a
    later crawl of the healed site stores what became available."""
    db, *_ = lasting_crawl
    copy = tmp_path / "archive.db"
    src = sqlite3.connect(db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    with running_mirror(SITE) as mirror:
        result = crawl(mirror, copy, {}, "-a", "full=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(rows(copy, "SELECT id FROM articles")) == len(CASES)
    assert {(r["url"], r["kind"]) for r in rows(copy, "SELECT url, kind FROM failures")} >= EXPECTED_FAILURES
    assert [m for _, _, rec in CASES for m in mismatches(copy, rec)] == []


def test_cli_mirror_takes_faults_and_refuses_a_bad_spec_with_exit_2(tmp_path):
    bad = subprocess.run([sys.executable, "-m", "zsnews_crawler.cli", "mirror", "--faults", "teapot=1"],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown fault 'teapot'" in bad.stderr and "Traceback" not in bad.stderr
    proc = subprocess.Popen([sys.executable, "-m", "zsnews_crawler.cli", "mirror", "--faults", "503=1",
                             "--seed", "4"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        urls = dict(proc.stdout.readline().split() for _ in range(2))
        assert get(urls["en"] + "/News/")[0] == 503
        assert get(urls["en"] + "/News/")[0] == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert "faults injected: 503 1" in err
