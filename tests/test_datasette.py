"""Datasette on the archive: metadata, canned queries, search in both languages, `zsnews serve`."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from zsnews_crawler.datasette import load_metadata, make_datasette
from zsnews_crawler.storage import Archive

from .bilingual_archive import build

DOCS = Path(__file__).resolve().parents[1] / "docs" / "schema.md"


@pytest.fixture(scope="module")
def db_path(tmp_path_factory):
    return build(tmp_path_factory.mktemp("datasette") / "research.db")


@pytest.fixture(scope="module")
def get(db_path):
    """GET a path of the archive's Datasette in-process; returns (status, parsed JSON or text)."""
    ds = make_datasette(db_path)

    def fetch(path: str):
        response = asyncio.run(ds.client.get(f"/research{path}"))
        return response.status_code, response.json() if ".json" in path else response.text

    return fetch


def ids(rows) -> list[str]:
    return sorted(row["id"] for row in rows)


@pytest.mark.parametrize("query, lang, expected", [
    ("中山", "zh", ["zh:101", "zh:102", "zh:103"]),
    ("深中通道 开通", "zh", ["zh:102"]),
    ("山市", "zh", ["zh:103"]),
    ("bridge", "en", ["en:202", "en:203"]),
    ("深中通道", "en", ["en:202"]),
])
def test_canned_search_queries_work_in_both_languages(get, query, lang, expected):
    status, rows = get(f"/search_{lang}.json?_shape=array&q={quote(query)}")
    assert status == 200
    assert ids(rows) == expected


def test_canned_search_gives_highlighted_snippets_of_the_original_text(get):
    status, rows = get(f"/search_zh.json?_shape=array&q={quote('翠亨')}")
    assert rows[0]["snippet"] == "位于南朗街道的[翠亨]村是孙中山先生的故乡。 春节期间，游客络绎不绝。"


def test_empty_search_form_returns_no_rows_and_bad_query_an_error(get):
    assert get("/search_zh.json?_shape=array&q=") == (200, [])
    status, body = get("/search_en.json?q=AND")
    assert status == 400
    assert "syntax error" in body["error"]


@pytest.mark.parametrize("query, expected", [
    ("翠亨", ["zh:101"]),
    ("深中通道", ["en:202", "zh:102"]),
    ("bridge", ["en:202", "en:203"]),
])
def test_articles_table_search_box_uses_the_bilingual_index(get, query, expected):
    status, rows = get(f"/articles.json?_shape=array&_search={quote(query)}")
    assert status == 200
    assert ids(rows) == expected
    status, page = get(f"/articles?_search={quote(query)}")
    assert 'id="_search"' in page  # the search box is shown


def test_other_canned_queries(get):
    status, months = get("/articles_per_month.json?_shape=array")
    assert status == 200
    assert months == [
        {"month": "2024-02", "en": 1, "zh": 1, "total": 2},
        {"month": "2024-06", "en": 1, "zh": 2, "total": 3},
        {"month": "2025-06", "en": 1, "zh": 1, "total": 2},
    ]
    url = quote("https://img.zsnews.cn/cuiheng.jpg")
    status, rows = get(f"/articles_with_image.json?_shape=array&image_url={url}")
    assert ids(rows) == ["en:201", "zh:101"]
    status, failures = get("/recent_failures.json?_shape=array")
    assert sorted(f["kind"] for f in failures) == ["http_404", "http_404", "not_article"]


def test_facets_on_lang_section_and_source(get):
    status, data = get("/articles.json")
    facets = data["facet_results"]
    assert {f["value"]: f["count"] for f in facets["lang"]["results"]} == {"zh": 4, "en": 3}
    assert {f["value"]: f["count"] for f in facets["section"]["results"]}["要闻"] == 2
    assert {f["value"]: f["count"] for f in facets["source"]["results"]}["中山日报"] == 3


def archive_schema(tmp_path) -> dict[str, list[str]]:
    """Tables and columns of a fresh archive, without FTS5's own tables."""
    archive = Archive(tmp_path / "schema.db")
    db = archive.db
    tables = {
        name: [c.name for c in db[name].columns]
        for name in db.table_names()
        if not name.startswith("articles_search_fts")
    }
    archive.close()
    return tables


def test_metadata_describes_every_table_and_column(tmp_path):
    described = load_metadata()["databases"]["archive"]["tables"]
    for table, columns in archive_schema(tmp_path).items():
        assert described.get(table, {}).get("description"), f"no description for table {table}"
        missing = set(columns) - set(described[table].get("columns", {}))
        assert not missing, f"{table}: columns without description {sorted(missing)}"


def test_schema_doc_covers_every_table_and_column(tmp_path):
    text = DOCS.read_text(encoding="utf-8")
    for table, columns in archive_schema(tmp_path).items():
        section = re.search(rf"^### `{table}`\n(.*?)(?=^### |\Z)", text, re.S | re.M)
        assert section, f"docs/schema.md has no section for {table}"
        for column in columns:
            assert f"| `{column}` |" in section.group(1), f"docs/schema.md: {table}.{column} undocumented"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_zsnews_serve_answers_on_loopback(db_path):
    port = free_port()
    zsnews = Path(sys.executable).with_name("zsnews")
    server = subprocess.Popen([str(zsnews), "serve", "--db", str(db_path), "--port", str(port)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/research/search_zh.json?_shape=array&q={quote('翠亨')}"
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    body = response.read().decode("utf-8")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        assert '"id": "zh:101"' in body
    finally:
        server.terminate()
        server.wait(timeout=10)
