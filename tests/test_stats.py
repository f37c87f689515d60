"""`zsnews stats`: counts by language, section, source, month, failures; and the monthly plot."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from zsnews_crawler.cli import main

from .bilingual_archive import build


@pytest.fixture
def db_path(tmp_path):
    return build(tmp_path / "research.db")


def test_stats_json_counts_the_archive(db_path):
    result = CliRunner().invoke(main, ["stats", "--db", str(db_path), "--format", "json"])
    assert result.exit_code == 0, result.output
    stats = json.loads(result.stdout)
    assert stats["articles"] == 7
    assert stats["by_lang"] == {"en": 3, "zh": 4}
    assert stats["published_range"]["zh"] == {"first": "2024-02-12T09:00:00+08:00",
                                              "last": "2025-06-30T10:00:00+08:00"}
    assert {"lang": "zh", "section": "要闻 > 交通", "articles": 1} in stats["by_section"]
    assert {"lang": "zh", "source": "中山日报", "articles": 3} in stats["by_source"]
    assert stats["by_month"] == [
        {"month": "2024-02", "lang": "en", "articles": 1}, {"month": "2024-02", "lang": "zh", "articles": 1},
        {"month": "2024-06", "lang": "en", "articles": 1}, {"month": "2024-06", "lang": "zh", "articles": 2},
        {"month": "2025-06", "lang": "en", "articles": 1}, {"month": "2025-06", "lang": "zh", "articles": 1},
    ]
    assert stats["failures"] == 3
    assert stats["failures_by_kind"] == {"http_404": 2, "not_article": 1}


def test_stats_table_is_readable(db_path):
    result = CliRunner().invoke(main, ["stats", "--db", str(db_path)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "articles: 7"
    assert "  zh       4  published 2024-02-12T09:00:00+08:00 .. 2025-06-30T10:00:00+08:00" in lines
    assert "  zh       2  2024-06" in lines
    assert "       2  http_404" in lines


def test_plot_writes_a_png(db_path, tmp_path):
    png = tmp_path / "months.png"
    result = CliRunner().invoke(main, ["stats", "--db", str(db_path), "--plot", str(png)])
    assert result.exit_code == 0, result.output
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000  # a drawn chart, not an empty canvas


def test_month_range_fills_gaps():
    from zsnews_crawler.stats import _month_range

    assert _month_range(["2024-11", "2025-02"]) == ["2024-11", "2024-12", "2025-01", "2025-02"]
