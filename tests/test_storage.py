import sqlite3

import pytest

from zsnews_crawler.items import Article, Failure, Image
from zsnews_crawler.storage import Archive, ArchiveError, article_record, open_readonly


def article(**kw):
    base = dict(lang="en", article_id=40943, url="https://en.zsnews.cn/News/content/376/40943.html",
                section=["News"], cateid=376, title="Bridge opens", body_text="Text.",
                images=[Image(url="https://en.zsnews.cn/a.jpg", caption="Dusk.", credit="Wen Zhicheng")])
    base.update(kw)
    return Article(**base)


@pytest.fixture
def archive(tmp_path):
    a = Archive(tmp_path / "a.db")
    yield a
    a.close()


def test_article_and_images_are_stored_under_lang_and_id(archive):
    assert archive.store_article(article()).status == "new"
    rec = article_record(archive.db, "en:40943")
    assert rec["title"] == "Bridge opens" and rec["section"] == ["News"]
    assert rec["images"] == [{"url": "https://en.zsnews.cn/a.jpg", "caption": "Dusk.", "credit": "Wen Zhicheng"}]


def test_second_store_of_unchanged_article_only_moves_last_seen(archive):
    archive.store_article(article(), seen_at="2024-01-01T00:00:00+00:00")
    before = article_record(archive.db, "en:40943")
    assert archive.store_article(article(), seen_at="2024-02-01T00:00:00+00:00").status == "unchanged"
    after = article_record(archive.db, "en:40943")
    assert after["last_seen"] == "2024-02-01T00:00:00+00:00"
    assert {k: v for k, v in after.items() if k != "last_seen"} == {
        k: v for k, v in before.items() if k != "last_seen"}


def test_changed_article_is_updated_and_images_replaced(archive):
    archive.store_article(article())
    result = archive.store_article(article(title="Bridge opened", images=[]))
    assert result.status == "updated"
    rec = article_record(archive.db, "en:40943")
    assert rec["title"] == "Bridge opened" and rec["images"] == []
    assert archive.db["articles"].count == 1


def test_an_article_is_not_half_written_when_its_images_fail(archive, monkeypatch):
    bad = article(images=[Image(url="a"), Image(url="b")])
    real_execute = sqlite3.Connection.execute
    calls = {"images": 0}

    class Boom(Exception):
        pass

    def flaky(conn, sql, *args):
        if sql.startswith("INSERT INTO [images]"):
            calls["images"] += 1
            if calls["images"] == 2:
                raise Boom
        return real_execute(conn, sql, *args)

    conn = archive.db.conn
    proxy = type("P", (), {"execute": lambda self, sql, *a: flaky(conn, sql, *a),
                           "__getattr__": lambda self, n: getattr(conn, n)})()
    monkeypatch.setattr(archive.db, "_conn", proxy, raising=False)
    monkeypatch.setattr(type(archive.db), "conn", property(lambda self: proxy), raising=False)
    with pytest.raises(Boom):
        archive.store_article(bad)
    monkeypatch.undo()
    assert archive.db["articles"].count == 0
    assert archive.db["images"].count == 0


def test_failures_are_upserted_with_attempts_and_cleared_by_success(archive):
    url = "https://en.zsnews.cn/News/content/376/40943.html"
    archive.record_failure(Failure(url=url, kind="http_503", status=503, reason="HTTP 503"))
    archive.record_failure(Failure(url=url, kind="http_503", status=503, reason="HTTP 503"))
    assert [r["attempts"] for r in archive.db["failures"].rows] == [2]
    archive.store_article(article())
    assert archive.db["failures"].count == 0


def test_wal_mode_and_migrations_recorded(archive):
    assert archive.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert "001_initial" in {r["name"] for r in archive.db["_migrations"].rows}


def test_readonly_open_refuses_writes_and_reports_missing_files(tmp_path, archive):
    archive.store_article(article())
    db = open_readonly(archive.path)
    with pytest.raises(sqlite3.OperationalError):
        db.execute("DELETE FROM articles")
    with pytest.raises(ArchiveError, match="no archive"):
        open_readonly(tmp_path / "missing.db")
    junk = tmp_path / "junk.db"
    junk.write_text("not a database at all" * 100)
    with pytest.raises(ArchiveError):
        open_readonly(junk)
