import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from zsnews_crawler.cli import main

from .conftest import SITE, expected_cases

ROOT = Path(__file__).resolve().parent.parent


def test_extract_prints_the_normalised_article_as_json():
    url, page, expected = next(c for c in expected_cases() if c[2]["lang"] == "zh")
    result = CliRunner().invoke(main, ["extract", "--url", url, str(page)])
    assert result.exit_code == 0, result.output
    record = json.loads(result.output)
    assert {k: record[k] for k in ("title", "published", "body_text", "source")} == {
        k: expected[k] for k in ("title", "published", "body_text", "source")}
    assert record["extractor"]


def test_extract_of_a_non_article_exits_1_with_one_line(tmp_path):
    advert = SITE / "en.zsnews.cn/News/content/376/99999.html"
    result = CliRunner().invoke(main, ["extract", "--url", "https://en.zsnews.cn/News/content/376/99999.html",
                                       str(advert)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("Error: not an article")


def test_reading_commands_report_a_missing_archive_in_one_line(tmp_path):
    for command in (["summary"], ["failures"], ["runs"]):
        result = CliRunner().invoke(main, [*command, "--db", str(tmp_path / "none.db")])
        assert result.exit_code == 1
        assert result.output.strip().startswith("Error: no archive at") and result.output.count("\n") == 1


def test_crawl_rejects_malformed_settings_with_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["crawl", "en", "-s", "NOEQUALS", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "KEY=VALUE" in result.output


def test_reparse_rejects_a_bad_since_date(tmp_path):
    result = CliRunner().invoke(main, ["reparse", "--since", "soonish", "--db", str(tmp_path / "a.db")])
    assert result.exit_code == 2 and "invalid --since" in result.output


def test_demo_crawls_the_bundled_site_and_prints_the_summary(tmp_path):
    db = tmp_path / "demo.db"
    result = subprocess.run([sys.executable, "-m", "zsnews_crawler.cli", "demo", "--db", str(db)],
                            cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    n_en = sum(1 for _, _, r in expected_cases() if r["lang"] == "en")
    n_zh = sum(1 for _, _, r in expected_cases() if r["lang"] == "zh")
    assert f"total: en {n_en}, zh {n_zh}" in result.stdout
    assert "failures: 2" in result.stdout
    assert "Business > Investment Climate" in result.stdout and "本地" in result.stdout
    # The demo's raw captures stay in its own folder, apart from the real archive's.
    assert list((tmp_path / "warc" / "demo").glob("*.warc.gz"))
    assert not list((tmp_path / "warc").glob("*.warc.gz"))


def test_every_command_has_an_example_and_is_documented():
    docs = (ROOT / "README.md").read_text(encoding="utf-8") + (ROOT / "docs" / "schema.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"zsnews {name}" in docs or (name == "demo" and "make demo" in docs), name
        help_text = command.help or ""
        assert help_text.strip(), name
        if name != "demo":
            assert "Example:" in help_text or "zsnews" in help_text, name
