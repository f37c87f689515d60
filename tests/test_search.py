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
