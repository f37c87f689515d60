"""Hostile input: script payloads in article bodies, offsite links, hostile CLI values."""

from __future__ import annotations

import asyncio
import html
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from datasette.utils import tilde_encode

from zsnews_crawler.datasette import make_datasette
from zsnews_crawler.normalize import normalize_article
from zsnews_crawler.pages import extract_article
from zsnews_crawler.pages.listing import listing_links
from zsnews_crawler.storage import Archive
from zsnews_crawler.urls import SiteMap

from .bilingual_archive import build
from .conftest import SITE
from .test_cron import crawl, rows

ROOT = Path(__file__).resolve().parent.parent
EN_PAGE = SITE / "en.zsnews.cn/News/content/376/40943.html"
EN_URL = "https://en.zsnews.cn/News/content/376/40943.html"
ZH_PAGE = SITE / "www.zsnews.cn/news/index/view/cateid/35/id/700017.html"
ZH_URL = "https://www.zsnews.cn/news/index/view/cateid/35/id/700017.html"

PAYLOADS = [
    "<p>Script <script>alert(1)</script> here.</p>",
    '<p>An image <img src="x.jpg" onerror="alert(2)"> with a handler.</p>',
    '<p>A <a href="javascript:alert(3)">javascript link</a> and <a href="JaVaScRiPt&colon;alert(3)">another</a>.</p>',
    '<p>A <a href=" &#106;avascript:alert(3)">coded link</a>.</p>',
    '<p>Framed <iframe src="https://evil.example/" onload="alert(4)"></iframe> page.</p>',
    '<p>Vector <svg onload="alert(5)"><circle r="1"/></svg> and <svg><script>alert(6)</script></svg>.</p>',
    '<p style="background:url(javascript:alert(7))">Styled background paragraph.</p>',
    '<div style="width: expression(alert(8))">Expression paragraph.</div>',
    '<p>Object <object data="evil.swf"><param name="x"></object> and <embed src="evil.swf"> too.</p>',
    '<form action="https://evil.example/"><p>Form text <input name="q"> <button>go</button></p></form>',
    '<meta http-equiv="refresh" content="0;url=https://evil.example/"><base href="https://evil.example/">',
    '<p>Media <video src="v.mp4" poster="javascript:alert(9)" onplay="alert(10)"></video> clip.</p>',
    '<p>Data <a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxMSk8L3NjcmlwdD4=">link</a>.</p>',
    '<p>Math <math><mtext><table><mglyph><style><img src=x onerror=alert(12)></style></mglyph></table>'
    "</mtext></math> end.</p>",
    '<p>Vbscript <a href="vbscript:msgbox(13)">link</a> and <img src="x.png" onmouseover="alert(14)"></p>',
]
EXECUTABLE = re.compile(
    r"<\s*(script|iframe|object|embed|form|meta|base|svg|math|style|input|button)\b|\son\w+\s*=|javascript:|vbscript:"
    r"|data:|expression\s*\(|style\s*=", re.I)


def hostile_page(page: Path, marker: str) -> bytes:
    """The fixture page with every payload inserted after the paragraph starting with `marker`."""
    text = page.read_bytes().decode("utf-8")
    at = text.index("</p>", text.index(marker)) + 4
    return (text[:at] + "\n".join(PAYLOADS) + text[at:]).encode("utf-8")


@pytest.fixture(scope="module")
def hostile_archive(tmp_path_factory):
    db = tmp_path_factory.mktemp("hostile") / "hostile.db"
    archive = Archive(db)
    for url, page, marker in ((EN_URL, EN_PAGE, "<p>A 3-kilometre"), (ZH_URL, ZH_PAGE, "<p>")):
        archive.store_article(normalize_article(extract_article(url, hostile_page(page, marker))))
    archive.close()
    return db


def test_stored_body_html_keeps_the_text_and_nothing_executable(hostile_archive):
    stored = rows(hostile_archive, "SELECT id, body_html, body_text FROM articles")
    assert len(stored) == 2
    for row in stored:
        body = row["body_html"]
        assert "Styled background paragraph" in body and "Expression paragraph" in body
        for form in (body, html.unescape(body)):
            assert not EXECUTABLE.search(form), (row["id"], EXECUTABLE.search(form).group(0))
        assert "alert(" not in row["body_text"]


def test_datasette_serves_the_stored_html_inert(hostile_archive):
    ds = make_datasette(hostile_archive)

    def get(path: str):
        response = asyncio.run(ds.client.get(path, follow_redirects=True))
        assert response.status_code == 200, path
        return response

    for key in ("en:40943", "zh:700017"):
        path = f"/hostile/articles/{tilde_encode(key)}"  # Datasette's encoding of a primary key
        record = get(f"{path}.json?_shape=objects").json()["rows"][0]
        assert not EXECUTABLE.search(html.unescape(record["body_html"]))
        page = get(path).text
        cell = re.search(r'<td class="col-body_html[^"]*"[^>]*>(.*?)</td>', page, re.S).group(1)
        # Datasette escapes the cell: no tag of the stored HTML is live in the page.
        assert "<" not in cell and "&lt;p&gt;" in cell
        assert not EXECUTABLE.search(html.unescape(cell))
    table = get("/hostile/articles?_col=body_html").text
    cells = re.findall(r'<td class="col-body_html[^"]*"[^>]*>(.*?)</td>', table, re.S)
    assert len(cells) == 2 and all("<" not in c for c in cells)


# --- offsite links ----------------------------------------------------------------------------


def test_listing_links_keep_only_the_sites_own_pages():
    site = SiteMap("en", "http://127.0.0.1:8001")
    hrefs = ["https://evil.example/News/content/376/1.html", "ftp://en.zsnews.cn/News/", "file:///etc/passwd",
             "data:text/html,<p>x</p>", "mailto:a@b.c", "//evil.example/News/", "http://127.0.0.1:8002/News/",
             "https://www.zsnews.cn/news/index/lists/cateid/35.html", "/News/content/376/7.html",
             "https://en.zsnews.cn/News/content/376/8.html"]
    page = "".join(f'<a href="{h}">link</a>' for h in hrefs)
    links = listing_links("http://127.0.0.1:8001/", page, site)
    assert links.articles == ["http://127.0.0.1:8001/News/content/376/7.html",
                              "http://127.0.0.1:8001/News/content/376/8.html"]
    assert links.listings == [] and links.pagination == []


class _Recorder(BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self):  # noqa: N802
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<p>other host</p>")

    def log_message(self, *args):
        pass


def test_a_crawl_never_requests_another_host_or_scheme(tmp_path):
    other = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    elsewhere = f"http://127.0.0.1:{other.server_address[1]}"
    site = tmp_path / "site"
    shutil.copytree(SITE, site)
    home = site / "en.zsnews.cn" / "index.html"
    offsite = [f"{elsewhere}/News/", f"{elsewhere}/News/content/376/40943.html", f"{elsewhere}/robots.txt",
               "file:///etc/passwd", "data:text/html,<a href=/x>x</a>", "ftp://127.0.0.1/News/",
               "https://evil.example/News/content/376/1.html", f"//127.0.0.1:{other.server_address[1]}/Business/"]
    links = "".join(f'<a href="{h}">offsite {n}</a>' for n, h in enumerate(offsite))
    home.write_text(home.read_text(encoding="utf-8").replace("</body>", links + "</body>"), encoding="utf-8")
    try:
        from zsnews_crawler.mirror import running_mirror

        with running_mirror(site) as mirror:
            result = crawl(mirror, tmp_path / "a.db", "en")
    finally:
        other.shutdown()
        other.server_close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert _Recorder.requests == []
    assert rows(tmp_path / "a.db", "SELECT count(*) AS n FROM articles")[0]["n"] == 35
    # robots.txt: the disallowed /Archive/ listing is linked from the home page and never fetched.
    assert "/Archive/" not in "\n".join(line for line in result.stderr.splitlines() if "Crawled (" in line)
    assert "'robotstxt/forbidden': 1" in result.stderr


# --- hostile command-line values ------------------------------------------------------------------

INJECTION = "'; DROP TABLE articles; --"


@pytest.fixture(scope="module")
def research_db(tmp_path_factory):
    return build(tmp_path_factory.mktemp("hostile-cli") / "research.db")


def zsnews(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "zsnews_crawler.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_no_sql_is_built_by_formatting_in_a_user_value():
    """SQL text is only formatted with constants (table names, our clause lists); values are bound."""
    offenders = []
    for module in ("cli.py", "search.py", "export.py", "stats.py", "storage.py"):
        source = (ROOT / "zsnews_crawler" / module).read_text(encoding="utf-8")
        for m in re.finditer(r'f"""(.*?)"""|f"((?:[^"\\\n]|\\.)*)"', source, re.S):
            sql = m.group(1) or m.group(2) or ""
            if re.search(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|MATCH)\b", sql):
                fields = re.findall(r"{([^{}]+)}", sql)
                allowed = re.compile(r"^(FTS_TABLE|CONTENT_TABLE|search\.\w+|RANK|TOKENIZE|table|k|insert|delete|"
                                     r"assignments|columns|marks|where|_RETRYABLE|alias|"
                                     r"''\.join\(' AND ' \+ c for c in clauses\)|', '\.join\(FTS_COLUMNS\))$")
                offenders += [(module, f) for f in fields if not allowed.match(f.strip())]
    assert offenders == []


@pytest.mark.parametrize("option", ["--section", "--source", "--since", "--until"])
def test_hostile_filter_values_are_bound_not_executed(research_db, option):
    value = INJECTION if option in ("--section", "--source") else "2024-01-01' OR '1'='1"
    for command in (["search", "中山"], ["export", "--format", "jsonl"]):
        result = zsnews(*command, option, value, "--db", str(research_db))
        assert result.returncode in (0, 2), result.stderr
        assert "Traceback" not in result.stderr
        if result.returncode == 2:
            assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    conn = sqlite3.connect(research_db)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    conn.close()


def test_hostile_lang_and_db_paths_are_refused_cleanly(research_db, tmp_path):
    result = zsnews("search", "中山", "--lang", INJECTION, "--db", str(research_db))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    weird = tmp_path / "x'; DROP TABLE articles; --.db"
    shutil.copy(research_db, weird)
    result = zsnews("search", "中山", "--db", str(weird), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert zsnews("stats", "--db", str(weird)).returncode == 0
    missing = zsnews("search", "中山", "--db", str(tmp_path / "nope'; --.db"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1
    conn = sqlite3.connect(weird)
    assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 7
    conn.close()


@pytest.mark.parametrize("args", [
    ["search", "中山", "--since", "not-a-date"],
    ["search", "中山", "--until", "2024-13-45"],
    ["search", "中山", "--limit", "-1"],
    ["search", "中山", "--limit", "zero"],
    ["search", "中山", "--format", "xml"],
    ["search", '"unbalanced'],
    ["export", "--format", "xml"],
    ["export", "--since", "yesterday-ish"],
    ["stats", "--format", "yaml"],
    ["runs", "--limit", "0"],
    ["failures", "--lang", "fr"],
    ["crawl", "--log-level", "LOUD"],
    ["crawl", "-s", "NOEQUALS"],
])
def test_bad_arguments_are_one_line_errors_with_exit_code_2(research_db, args):
    result = zsnews(*args, "--db", str(research_db))
    assert result.returncode == 2, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, result.stderr
