"""`zsnews export`: articles with their images to JSON Lines, CSV and Parquet, read back."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from zsnews_crawler import export
from zsnews_crawler.cli import main
from zsnews_crawler.storage import open_readonly

from .bilingual_archive import ARTICLES, build


@pytest.fixture
def db_path(tmp_path):
    return build(tmp_path / "research.db")


def run(*args):
    result = CliRunner().invoke(main, ["export", *map(str, args)])
    return result


def expected_records() -> dict[str, dict]:
    """What the export must hold for each test article, straight from the Article objects."""
    return {
        a.id: {
            "id": a.id, "lang": a.lang, "article_id": a.article_id, "url": a.url, "section": a.section,
            "title": a.title, "published": a.published, "source": a.source, "body_text": a.body_text,
            "images": [{"url": i.url, "caption": i.caption, "credit": i.credit} for i in a.images],
        }
        for a in ARTICLES
    }


def assert_same_articles(records: list[dict]) -> None:
    expected = expected_records()
    assert sorted(r["id"] for r in records) == sorted(expected)
    for record in records:
        assert {k: record[k] for k in expected[record["id"]]} == expected[record["id"]]


def test_jsonl_to_stdout_round_trips(db_path):
    result = run("--db", db_path)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert_same_articles(records)
    assert [r["id"] for r in records] == ["en:201", "en:203", "en:202", "zh:101", "zh:103", "zh:104", "zh:102"]
    assert "exported 7 articles" in result.stderr


def test_csv_round_trips_with_json_columns(db_path, tmp_path):
    out = tmp_path / "articles.csv"
    result = run("--db", db_path, "--format", "csv", "--output", out)
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["section"] = json.loads(row["section"])
        row["images"] = json.loads(row["images"])
        row["article_id"] = int(row["article_id"])
    assert_same_articles(rows)
    body = next(r for r in rows if r["id"] == "zh:101")["body_text"]
    assert body == "位于南朗街道的翠亨村是孙中山先生的故乡。\n\n春节期间，游客络绎不绝。"  # newlines survive


def test_parquet_round_trips_with_typed_columns(db_path, tmp_path):
    out = tmp_path / "articles.parquet"
    result = run("--db", db_path, "--format", "parquet", "-o", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    assert str(table.schema.field("article_id").type) == "int64"
    assert str(table.schema.field("section").type) == "list<element: string>"
    assert_same_articles(table.to_pylist())


def test_parquet_is_written_in_batches(db_path, tmp_path):
    out = tmp_path / "batches.parquet"
    db = open_readonly(db_path)
    count = export.write_parquet(export.iter_records(db.conn), str(out), export.article_columns(db.conn), batch_size=3)
    assert count == 7
    assert pq.ParquetFile(out).metadata.num_row_groups == 3  # 3 + 3 + 1


def test_filters_and_query_select_articles(db_path):
    result = run("--db", db_path, "--lang", "zh", "--query", "中山", "--since", "2024-06")
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == ["zh:103", "zh:102"]
    result = run("--db", db_path, "--section", "News", "--format", "csv")
    assert [row["id"] for row in csv.DictReader(result.stdout.splitlines())] == ["en:201", "en:202"]


@pytest.mark.parametrize("args", [
    ["--query", '"unbalanced'],
    ["--since", "2024-02-30"],
    ["--format", "parquet"],  # no --output: binary output does not go to a terminal
])
def test_bad_arguments_are_one_line_errors(db_path, tmp_path, args):
    result = run("--db", db_path, *args)
    assert result.exit_code == 2
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith("Error: ")
    assert result.stdout == ""
