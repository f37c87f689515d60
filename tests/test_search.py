"""Full-text search in English and Chinese: the library, the index upkeep and `zsnews search`."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest
from click.testing import CliRunner

from zsnews_crawler import search
from zsnews_crawler.cli import main
from zsnews_crawler.items import Article, Image
from zsnews_crawler.storage import Archive, open_readonly

from .bilingual_archive import ARTICLES, build


@pytest.fixture
def db_path(tmp_path):
    return build(tmp_path / "research.db")


def found(db_path, query, **filters) -> list[str]:
    db = open_readonly(db_path)
    try:
        return search.article_keys(db.conn, query, search.Filters(**filters))
    finally:
        db.conn.close()


@pytest.mark.parametrize("query, expected", [
    # two-character words, wherever they sit: 孙中山, 中山市, 与中山; not 山中，山
    ("中山", ["zh:101", "zh:102", "zh:103"]),
    ("翠亨", ["zh:101"]),
    ("山市", ["zh:103"]),  # the middle of 中山市
    ("深中", ["en:202", "zh:102"]),  # also in an English article
    ("通道", ["en:202", "zh:102", "zh:104"]),
    ("深中通道", ["en:202", "zh:102"]),
    ("翠亨村是孙中山", ["zh:101"]),
    ("深中通道 开通", ["zh:102"]),  # every word must match
    ("中山 通道", ["zh:102"]),
    ("中山 OR 山路", ["zh:101", "zh:102", "zh:103", "zh:104"]),
    ("中山 NOT 龙舟", ["zh:101", "zh:102"]),
    ('"深圳与中山"', ["zh:102"]),
    ("桥", ["zh:102"]),  # one character works too, as a prefix of the bigrams
    ("山中", ["zh:104"]),
    ("中，山", ["zh:104"]),  # punctuation kept in a phrase
    ("title:翠亨", ["zh:101"]),
    ("市龙", []),  # 市 and 龙 are both in zh:103, never side by side
])
def test_chinese_search_finds_every_article_containing_the_words(db_path, query, expected):
    assert found(db_path, query) == expected


@pytest.mark.parametrize("query, expected", [
    ("bridge", ["en:202", "en:203"]),  # stemmed: Bridges
    ("village", ["en:201"]),
    ("zhongshan", ["en:202"]),
    ("Sun Yat-sen", ["en:201"]),
    ('"first anniversary"', ["en:202"]),
    ("river*", ["en:203"]),
    ("cuiheng OR dragon", ["en:201", "en:203"]),
    ("bridge NOT traffic", ["en:203"]),
    ("link 深中通道", ["en:202"]),
    ("title:bridge", []),
])
def test_english_search_matches_words_stems_phrases_and_prefixes(db_path, query, expected):
    assert found(db_path, query) == expected


@pytest.mark.parametrize("query, filters, expected", [
    ("中山", {"lang": "zh", "since": "2024-06", "until": "2024-12"}, ["zh:103"]),
    ("中山", {"section": "民生"}, ["zh:103"]),
    ("中山", {"section": "要闻"}, ["zh:101", "zh:102"]),
    ("中山", {"source": "中山日报"}, ["zh:101", "zh:102"]),
    ("深中通道", {"lang": "en"}, ["en:202"]),
    ("bridge", {"until": "2024-06-10"}, ["en:203"]),  # until is inclusive of the whole day
    ("bridge", {"since": "2024-06-11"}, ["en:202"]),
    ("bridge", {"section": "News"}, ["en:202"]),
])
def test_filters_restrict_results(db_path, query, filters, expected):
    assert found(db_path, query, **filters) == expected


def test_results_are_ranked_and_snippets_come_from_the_original_text(db_path):
    db = open_readonly(db_path)
    hits = search.search(db.conn, "深中通道 开通")
    assert [h.id for h in hits] == ["zh:102"]
    assert hits[0].snippet == "[深中通道][开通]以来，车流量持续增长。大桥连接深圳与中山。"
    ranked = search.search(db.conn, "通道")
    assert ranked[0].id == "zh:102"  # in its title and body; the others only in the body
    assert [h.score for h in ranked] == sorted(h.score for h in ranked)
    english = search.search(db.conn, "bridge", search.Filters(lang="en"))
    assert {h.id: h.snippet for h in english}["en:203"].startswith("[Bridges] and riverbanks")
    one_char = search.search(db.conn, "中山")
    assert {h.id: h.snippet for h in one_char}["zh:103"] == "端午节前夕，[中山]市各镇街举办龙舟赛。"


def test_updating_an_article_reindexes_it(db_path):
    changed = Article(**{**ARTICLES[2].__dict__, "body_text": "端午节前夕，市民观看划船比赛。"})
    archive = Archive(db_path)
    assert archive.store_article(changed).status == "updated"
    archive.close()
    assert found(db_path, "中山市") == []
    assert found(db_path, "划船") == ["zh:103"]
    assert found(db_path, "龙舟") == ["zh:103"]  # still in the title


def test_deleting_an_article_removes_it_from_the_index(db_path):
    archive = Archive(db_path)
    assert archive.delete_article("zh:101") is True
    assert archive.delete_article("zh:101") is False
    rows = archive.db.execute("SELECT count(*) FROM images WHERE article_id = 'zh:101'").fetchone()
    archive.close()
    assert rows[0] == 0
    assert found(db_path, "翠亨") == []
    assert found(db_path, "中山") == ["zh:102", "zh:103"]


QUERIES = ["中山", "深中通道 开通", "bridge", "桥", "cuiheng OR dragon", "通道"]


def test_reindex_rebuilds_the_same_results(db_path):
    before = {q: found(db_path, q) for q in QUERIES}
    archive = Archive(db_path)
    archive.db.execute("DELETE FROM articles_search WHERE article_key LIKE 'zh:%'")  # damage the index
    archive.close()
    assert found(db_path, "中山") == []
    result = CliRunner().invoke(main, ["reindex", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    assert "indexed 7 articles" in result.output
    assert {q: found(db_path, q) for q in QUERIES} == before


def test_migration_indexes_articles_already_in_an_archive(db_path):
    archive = Archive(db_path)
    archive.db.execute("DROP TABLE articles_search_fts")
    archive.db.execute("DROP TABLE articles_search")
    archive.db.execute("DELETE FROM _migrations WHERE name LIKE '%search%'")
    archive.close()
    with pytest.raises(search.IndexMissing):
        found(db_path, "中山")
    Archive(db_path).close()  # opening read-write migrates
    assert found(db_path, "中山") == ["zh:101", "zh:102", "zh:103"]


def test_search_command_prints_results_as_table_json_and_csv(db_path):
    runner = CliRunner()
    table = runner.invoke(main, ["search", "--db", str(db_path), "翠亨"])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines() == [
        "zh:101  2024-02-12  翠亨村迎来春节游客",
        "    位于南朗街道的[翠亨]村是孙中山先生的故乡。 春节期间，游客络绎不绝。",
    ]
    as_json = runner.invoke(main, ["search", "--db", str(db_path), "--format", "json", "--lang", "zh", "中山"])
    records = json.loads(as_json.stdout)
    assert sorted(r["id"] for r in records) == ["zh:101", "zh:102", "zh:103"]
    assert set(records[0]) == {"id", "lang", "title", "published", "source", "section", "url", "score", "snippet"}
    limited = runner.invoke(main, ["search", "--db", str(db_path), "--format", "csv", "--limit", "1", "中山"])
    lines = limited.stdout.splitlines()
    assert lines[0].startswith("id,lang,title") and len(lines) == 2


@pytest.mark.parametrize("args", [
    ['"unbalanced'],
    ["AND"],
    ["*"],
    [""],
    ["   "],
    ["NEAR("],
    ["--since", "2024-13-01", "中山"],
    ["--until", "not a date", "中山"],
])
def test_bad_queries_and_dates_are_one_line_errors_with_exit_code_2(db_path, args):
    result = CliRunner().invoke(main, ["search", "--db", str(db_path), *args])
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: ")
    assert "Traceback" not in result.stderr


def test_search_on_a_missing_archive_is_an_error(tmp_path):
    result = CliRunner().invoke(main, ["search", "--db", str(tmp_path / "none.db"), "中山"])
    assert result.exit_code == 1
    assert "no archive" in result.stderr


@pytest.mark.parametrize("query, expression", [
    ("中山市", '"中山 山市"'),
    ("深中通道 开通", '"深中 中通 通道" "开通"'),
    ("港", '"港"*'),
    ("bridge*", "bridge*"),
    ("Yat-sen", '"Yat-sen"'),
    ("title:翠亨", 'title:"翠亨"'),
])
def test_queries_translate_to_bigram_phrases(query, expression):
    assert search.match_expression(query) == expression


def test_index_text_writes_cjk_runs_as_bigrams_and_keeps_latin_text():
    assert search.index_text("深中通道 opened，中山") == " 深中 中通 通道 道  opened， 中山 山 "


FIXTURE_SITE = Path(__file__).parent / "fixtures" / "site"
ARTICLE_FIELDS = {f.name for f in fields(Article)}


@pytest.fixture(scope="module")
def fixture_archive(tmp_path_factory):
    """Every expected article of the fixture site, stored; and its title + body text by key."""
    path = tmp_path_factory.mktemp("fixtures") / "fixtures.db"
    archive = Archive(path)
    texts = {}
    for expected in sorted(FIXTURE_SITE.glob("*/**/*.expected.json")):
        record = json.loads(expected.read_text(encoding="utf-8"))
        record["images"] = [Image(**image) for image in record.get("images") or []]
        article = Article(**{k: v for k, v in record.items() if k in ARTICLE_FIELDS})
        archive.store_article(article)
        texts[article.id] = f"{article.title or ''}\n{article.body_text or ''}"
    archive.close()
    if not texts:
        pytest.skip("no fixture site")
    return path, texts


@pytest.mark.parametrize("query", ["中山", "公园", "活动", "市民", "翠亨", "孙中山", "村", "镇", "深中"])
def test_fixture_articles_found_by_chinese_substring(fixture_archive, query):
    path, texts = fixture_archive
    expected = sorted(key for key, text in texts.items() if query in text)
    assert found(path, query) == expected


@pytest.mark.parametrize("word", ["bridge", "park", "zhongshan", "cuiheng", "festival"])
def test_fixture_articles_found_by_english_prefix(fixture_archive, word):
    path, texts = fixture_archive
    expected = sorted(key for key, text in texts.items() if re.search(rf"(?<![^\W_]){word}", text, re.I))
    assert expected
    assert found(path, f"{word}*") == expected


# --- the speed-ups: windowed snippet mapping, ranking on articles_search_meta -------------------

def _highlights(conn, query):
    """(key, body_text, highlight() of the body) of every article matching `query`."""
    f = search.FTS_TABLE
    return conn.execute(
        f"""SELECT a.id, a.body_text, highlight([{f}], 1, ?, ?) FROM [{f}]
            JOIN [{search.CONTENT_TABLE}] s ON s.search_id = [{f}].rowid JOIN articles a ON a.id = s.article_key
            WHERE [{f}] MATCH ? ORDER BY a.id""",
        [search._OPEN, search._CLOSE, search.compile_query(query)],
    ).fetchall()


def _assert_windowed_spans_agree(body, highlighted, windows=(search.SNIPPET_WINDOW,)):
    """matched_spans within a window is a prefix of the whole-body mapping (its last span may end
    sooner, when a mark past the window would have merged into it); unlimited, it is the same.
    Returns the whole-body spans and those of the first window."""
    full = search._matched_spans_full(body, highlighted)
    assert search.matched_spans(body, highlighted, window=10**9) == full
    results = []
    for window in windows:
        windowed = search.matched_spans(body, highlighted, window=window)
        n = len(windowed)
        assert windowed[:-1] == full[:n - 1]
        if windowed:
            assert windowed[-1][0] == full[n - 1][0] and windowed[-1][1] <= full[n - 1][1]
        results.append(windowed)
    return results[0], full


def _deep_queries(texts):
    """A query per fixture article from near the end of its body: first matches far into the text."""
    queries = set()
    for text in texts.values():
        body = text.split("\n", 1)[1] if "\n" in text else text
        runs = re.findall(r"[\u4e00-\u9fff]{4,}", body[-300:])
        words = re.findall(r"[A-Za-z]{6,}", body[-300:])
        if runs:
            queries.add(runs[-1][:4])
        if words:
            queries.add(words[-1].lower())
    return sorted(queries)


SNIPPET_QUERIES = ["中山", "市民", "发展", "活动 中山", "的", "the", "zhongshan", "city OR park",
                   '"the city"', "develop*", "深中通道"]


def _compare_snippets(conn, queries, monkeypatch) -> tuple[int, int]:
    """For every hit of every query: the windowed spans agree with the whole-body mapping (also with a
    small window) and make_snippet gives the same text with either; returns (hits, hits truncated)."""
    compared = truncated = 0
    for query in queries:
        for key, body, highlighted in _highlights(conn, query):
            windowed, full = _assert_windowed_spans_agree(body or "", highlighted, (search.SNIPPET_WINDOW, 40))
            truncated += len(windowed) < len(full)
            new = search.make_snippet(body or "", highlighted)
            with monkeypatch.context() as m:
                m.setattr(search, "matched_spans", search._matched_spans_full)
                old = search.make_snippet(body or "", highlighted)
            assert new == old, (query, key)
            compared += 1
    return compared, truncated


def test_windowed_matched_spans_give_the_same_snippets_as_the_whole_body_mapping(fixture_archive, monkeypatch):
    path, texts = fixture_archive
    db = open_readonly(path)
    try:
        compared, _ = _compare_snippets(db.conn, SNIPPET_QUERIES + _deep_queries(texts), monkeypatch)
    finally:
        db.conn.close()
    assert compared > 200


def test_windowed_snippets_of_long_bodies_made_of_the_fixture_articles(fixture_archive, tmp_path, monkeypatch):
    """The fixture bodies are short (< 1,000 characters): joined end to end into long bodies, the first
    match lies thousands of characters in and marks lie past the window."""
    path, texts = fixture_archive
    db = open_readonly(path)
    records = db.conn.execute("SELECT lang, article_id, title, body_text FROM articles ORDER BY id").fetchall()
    db.conn.close()
    archive = Archive(tmp_path / "long.db")
    for n, (lang, article_id, title, _) in enumerate(records):
        same_lang = [r[3] or "" for r in records if r[0] == lang]
        rotated = same_lang[n % len(same_lang):] + same_lang[:n % len(same_lang)]
        body = "\n\n".join(rotated[:8])  # about 2,000 to 4,000 characters
        archive.store_article(Article(lang=lang, article_id=article_id, url=f"https://example.org/{lang}/{article_id}",
                                      title=title, body_text=body))
    try:
        compared, truncated = _compare_snippets(archive.db.conn, SNIPPET_QUERIES + _deep_queries(texts),
                                                monkeypatch)
    finally:
        archive.close()
    assert compared > 500
    assert truncated > 100  # the window did cut marks off: the comparison covers that case


def test_windowed_matched_spans_on_random_mixed_text(tmp_path):
    """Random bilingual bodies with many matches, small windows: the prefix property holds."""
    import random

    rng = random.Random(20240612)
    alphabet = list("中山市民公园深圳通道") + ["a", "b", "ab", " ", " ", "，", "。", "\n\n", "Park", "-"]
    archive = Archive(tmp_path / "random.db")
    bodies = []
    for n in range(60):
        body = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 400)))
        bodies.append(body)
        archive.store_article(Article(lang="zh", article_id=n + 1, url=f"https://www.zsnews.cn/{n + 1}.html",
                                      title="t", body_text=body))
    conn = archive.db.conn
    checked = 0
    for query in ["中山", "山市", "民", "公园 深圳", "通道 OR ab", "park", '"深圳 通道"', "中山 OR 山市"]:
        for _, body, highlighted in _highlights(conn, query):
            _assert_windowed_spans_agree(body, highlighted, (0, 5, 40, search.SNIPPET_WINDOW))
            checked += 1
    archive.close()
    assert checked > 100


def test_matched_spans_of_a_stale_index_are_empty():
    body = "深中通道开通以来，车流量持续增长。"
    highlighted = search.index_text(body).replace("深中", search._OPEN + "深中" + search._CLOSE, 1)
    assert search.matched_spans(body, highlighted) == [(0, 2)]
    assert search.matched_spans("深圳" + body, highlighted) == []
    assert search.matched_spans(body, search.index_text(body)) == []  # no marks


def _search_reference(conn, query, filters=None, limit=20):
    """search.search as it was before articles_search_meta: every match joined to its article row."""
    expression = search.compile_query(query)
    clauses, params = (filters or search.Filters()).where("a")
    params.update(match=expression, limit=-1 if limit is None else limit)
    f = search.FTS_TABLE
    rows = conn.execute(
        f"""SELECT f.rowid, a.id, a.lang, a.title, a.published, a.source, a.section, a.url, a.body_text,
                   {search.RANK} AS score
            FROM [{f}] f JOIN [{search.CONTENT_TABLE}] s ON s.search_id = f.rowid
            JOIN articles a ON a.id = s.article_key
            WHERE [{f}] MATCH :match {''.join(' AND ' + c for c in clauses)}
            ORDER BY score, a.published DESC, a.id LIMIT :limit""", params).fetchall()
    hits = []
    windowed, search.matched_spans = search.matched_spans, search._matched_spans_full  # snippets as before
    try:
        for rowid, key, lang, title, published, source, section, url, body, score in rows:
            highlighted = conn.execute(
                f"SELECT highlight([{f}], 1, ?, ?) FROM [{f}] WHERE [{f}] MATCH ? AND rowid = ?",
                [search._OPEN, search._CLOSE, expression, rowid]).fetchone()[0]
            snippet = search.make_snippet(body or "", highlighted)
            hits.append(search.SearchHit(key, lang, title, published, source, section, url, score, snippet))
    finally:
        search.matched_spans = windowed
    return hits


REFERENCE_FILTERS = [None, {"lang": "zh"}, {"lang": "en", "since": "2020"}, {"until": "2023-06"},
                     {"section": "要闻"}, {"source": "中山日报"}]


@pytest.mark.parametrize("query", ["中山", "市民", "the", "zhongshan OR park", "活动", "city*"])
@pytest.mark.parametrize("filters", REFERENCE_FILTERS)
def test_search_gives_the_hits_order_and_snippets_of_the_reference_query(fixture_archive, query, filters):
    path, _ = fixture_archive
    db = open_readonly(path)
    try:
        for limit in (1, 3, 20, None):
            f = search.Filters(**filters) if filters else None
            assert search.search(db.conn, query, f, limit=limit) == _search_reference(db.conn, query, f, limit)
    finally:
        db.conn.close()


def test_exact_ties_are_cut_at_the_limit_by_key_as_before(tmp_path):
    archive = Archive(tmp_path / "ties.db")
    for n in (5, 3, 9, 1, 7):  # the same text and date: equal score, equal published
        archive.store_article(Article(lang="en", article_id=n, url=f"https://en.zsnews.cn/{n}.html", title="Park",
                                      published="2024-01-01T08:00:00+08:00", body_text="A new park opened."))
    conn = archive.db.conn
    assert [h.id for h in search.search(conn, "park", limit=2)] == ["en:1", "en:3"]
    assert search.search(conn, "park", limit=3) == _search_reference(conn, "park", limit=3)
    archive.close()


def _meta_in_step(conn) -> list[tuple]:
    """The meta table's rows, after checking they are exactly what articles_search and articles say."""
    meta = conn.execute(f"SELECT search_id, article_key, lang, published FROM [{search.META_TABLE}] "
                        "ORDER BY search_id").fetchall()
    expected = conn.execute(f"""SELECT s.search_id, s.article_key, a.lang, a.published
                                FROM [{search.CONTENT_TABLE}] s JOIN articles a ON a.id = s.article_key
                                ORDER BY s.search_id""").fetchall()
    assert meta == expected
    assert len(meta) == conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    return meta


def test_meta_table_stays_in_step_with_inserts_updates_deletes_and_reindex(db_path):
    archive = Archive(db_path)
    conn = archive.db.conn
    assert len(_meta_in_step(conn)) == len(ARTICLES)
    archive.store_article(Article(lang="zh", article_id=105, url="https://www.zsnews.cn/105.html",
                                  title="中山新公园", published="2023-03-01T08:00:00+08:00", body_text="公园开放。"))
    assert ("zh:105", "zh", "2023-03-01T08:00:00+08:00") in [row[1:] for row in _meta_in_step(conn)]
    moved = Article(**{**ARTICLES[2].__dict__, "published": "2023-05-04T08:00:00+08:00"})  # zh:103, was 2024-06
    assert archive.store_article(moved).status == "updated"
    assert ("zh:103", "zh", "2023-05-04T08:00:00+08:00") in [row[1:] for row in _meta_in_step(conn)]
    assert archive.store_article(moved).status == "unchanged"
    assert archive.delete_article("zh:101") is True
    assert "zh:101" not in [row[1] for row in _meta_in_step(conn)]
    archive.close()
    assert found(db_path, "中山", since="2024") == ["zh:102"]  # dates come from the meta table
    assert found(db_path, "中山", until="2023") == ["zh:103", "zh:105"]
    assert found(db_path, "公园", lang="en") == []
    before = {q: found(db_path, q) for q in QUERIES}
    archive = Archive(db_path)
    archive.db.execute(f"DELETE FROM [{search.META_TABLE}]")  # damage it
    archive.close()
    result = CliRunner().invoke(main, ["reindex", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    archive = Archive(db_path)
    assert len(_meta_in_step(archive.db.conn)) == len(ARTICLES)  # 7 - 1 deleted + 1 new
    archive.close()
    assert {q: found(db_path, q) for q in QUERIES} == before


def test_migration_004_adds_the_meta_table_to_an_archive_from_before_it(db_path):
    db = open_readonly(db_path)
    before = {q: search.search(db.conn, q, limit=None) for q in QUERIES}
    db.conn.close()
    archive = Archive(db_path)
    archive.db.execute(f"DROP TABLE [{search.META_TABLE}]")  # as an archive made by migrations 001-003
    archive.db.execute("DELETE FROM _migrations WHERE name = '004_search_meta'")
    archive.close()
    db = open_readonly(db_path)  # read-only, not migrated: search joins the articles rows instead
    assert {q: search.search(db.conn, q, limit=None) for q in QUERIES} == before
    assert found(db_path, "中山", lang="zh", since="2024-06", until="2024-12") == ["zh:103"]
    db.conn.close()
    archive = Archive(db_path)  # opening read-write migrates
    names = [row[0] for row in archive.db.execute("SELECT name FROM _migrations ORDER BY name")]
    assert names == ["001_initial", "002_revisions_runs", "003_search", "004_search_meta"]
    assert len(_meta_in_step(archive.db.conn)) == len(ARTICLES)
    archive.close()
    db = open_readonly(db_path)
    assert {q: search.search(db.conn, q, limit=None) for q in QUERIES} == before
    db.conn.close()
