"""The archive: the one module that owns the SQLite database.

Schema changes are recorded migrations; writers upsert an article and its
images in one transaction; readers open the file read-only.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from . import search
from .items import Article, Failure
from .normalize import content_hash

DEFAULT_DB = "archive/zsnews.db"


class ArchiveError(Exception):
    """A problem with the archive file, worded for the user."""


def default_db_path() -> str:
    return os.environ.get("ZSNEWS_ARCHIVE_DB") or DEFAULT_DB


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


# --- schema -------------------------------------------------------------------

def _m001_initial(db: sqlite_utils.Database) -> None:
    db["articles"].create(
        {
            "id": str, "lang": str, "article_id": int, "url": str, "section": str,
            "cateid": int, "title": str, "published": str, "published_raw": str,
            "source": str, "author": str, "editor": str, "body_text": str, "body_html": str,
            "extractor": str, "content_hash": str, "first_seen": str, "last_seen": str,
            "fetched_url": str,
        },
        pk="id",
        not_null={"lang", "article_id", "url", "content_hash", "first_seen", "last_seen"},
    )
    db["articles"].create_index(["lang", "published"])
    db["articles"].create_index(["source"])
    db["images"].create(
        {"article_id": str, "position": int, "url": str, "caption": str, "credit": str},
        pk=("article_id", "position"),
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["images"].create_index(["url"])
    db["failures"].create(
        {
            "url": str, "lang": str, "kind": str, "status": int, "reason": str,
            "first_seen": str, "last_seen": str, "attempts": int,
        },
        pk="url",
    )


def _m002_revisions_runs(db: sqlite_utils.Database) -> None:
    db["revisions"].create(
        {
            "id": int, "article_id": str, "first_seen": str, "last_seen": str, "replaced_at": str,
            "title": str, "body_text": str, "content_hash": str,
        },
        pk="id",  # no foreign key: history outlives a deleted article
    )
    db["revisions"].create_index(["article_id"])
    db["crawl_runs"].create(
        {
            "id": int, "spider": str, "lang": str, "started": str, "finished": str,
            "pages_fetched": int, "listing_pages": int, "article_pages": int,
            "articles_new": int, "articles_updated": int, "articles_unchanged": int,
            "failures": int, "http_errors": str, "finish_reason": str, "status": str,
            "drift": str, "args": str,
        },
        pk="id",
    )


def _m003_search(db: sqlite_utils.Database) -> None:
    # Full-text index for English and Chinese (see search.py), filled from the rows already here.
    search.rebuild(db.conn)


def _m004_search_meta(db: sqlite_utils.Database) -> None:
    # The narrow table search ranks and filters on (articles_search_meta), filled from the index.
    search.add_meta(db.conn)


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_initial", _m001_initial),
    ("002_revisions_runs", _m002_revisions_runs),
    ("003_search", _m003_search),
    ("004_search_meta", _m004_search_meta),
]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations this database has not had yet; return their names."""
    if "_migrations" not in db.table_names():
        db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
    done = {row["name"] for row in db["_migrations"].rows}
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        with db.conn:
            step(db)
            db["_migrations"].insert({"name": name, "applied_at": now_iso()})
        applied.append(name)
    return applied


# --- writing ------------------------------------------------------------------

@dataclass
class StoreResult:
    status: str  # "new", "updated" or "unchanged"
    id: str


class Archive:
    """Read-write access to the archive file (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike[str]):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 30000")
        self.db = sqlite_utils.Database(conn)
        self.db.enable_wal()
        self.db.execute("PRAGMA foreign_keys = ON")
        self.db.execute("PRAGMA synchronous = NORMAL")
        migrate(self.db)

    def close(self) -> None:
        self.db.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def store_article(self, article: Article, seen_at: str | None = None) -> StoreResult:
        """Insert or update one article and its images atomically."""
        seen_at = seen_at or now_iso()
        digest = content_hash(article)
        article_key = article.id
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT content_hash FROM articles WHERE id = ?", [article_key]
            ).fetchone()
            if row is not None and row[0] == digest:
                conn.execute("UPDATE articles SET last_seen = ? WHERE id = ?", [seen_at, article_key])
                status = "unchanged"
            else:
                record = {
                    "id": article_key, "lang": article.lang, "article_id": article.article_id,
                    "url": article.url, "section": json.dumps(article.section, ensure_ascii=False),
                    "cateid": article.cateid, "title": article.title,
                    "published": article.published, "published_raw": article.published_raw,
                    "source": article.source, "author": article.author, "editor": article.editor,
                    "body_text": article.body_text, "body_html": article.body_html,
                    "extractor": article.extractor, "content_hash": digest,
                    "last_seen": seen_at, "fetched_url": article.fetched_url,
                }
                # Plain SQL here: sqlite-utils' writes commit on their own,
                # which would split the article from its images.
                if row is None:
                    record["first_seen"] = seen_at
                    _insert(conn, "articles", record)
                    status = "new"
                else:
                    # The version being replaced is kept as a revision.
                    conn.execute(
                        """INSERT INTO revisions
                             (article_id, first_seen, last_seen, replaced_at, title, body_text, content_hash)
                           SELECT id, first_seen, last_seen, ?, title, body_text, content_hash
                           FROM articles WHERE id = ?""",
                        [seen_at, article_key],
                    )
                    assignments = ", ".join(f"[{k}] = ?" for k in record)
                    conn.execute(
                        f"UPDATE articles SET {assignments} WHERE id = ?",
                        [*record.values(), article_key],
                    )
                    status = "updated"
                search.index_article(conn, article_key, article)
                conn.execute("DELETE FROM images WHERE article_id = ?", [article_key])
                for position, img in enumerate(article.images):
                    _insert(conn, "images", {
                        "article_id": article_key, "position": position, "url": img.url,
                        "caption": img.caption, "credit": img.credit,
                    })
            conn.execute("DELETE FROM failures WHERE url = ?", [article.url])
        return StoreResult(status, article_key)

    def delete_article(self, article_key: str) -> bool:
        """Remove one article, its images and its search entry; False when there was none."""
        with self.transaction() as conn:
            search.remove_article(conn, article_key)
            conn.execute("DELETE FROM images WHERE article_id = ?", [article_key])
            deleted = conn.execute("DELETE FROM articles WHERE id = ?", [article_key]).rowcount
        return deleted > 0

    def record_failure(self, failure: Failure, seen_at: str | None = None) -> None:
        seen_at = seen_at or now_iso()
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO failures (url, lang, kind, status, reason, first_seen, last_seen, attempts)
                   VALUES (?, ?, ?, ?, ?, ?, ?, 1)
                   ON CONFLICT(url) DO UPDATE SET kind = excluded.kind, status = excluded.status,
                     reason = excluded.reason, last_seen = excluded.last_seen,
                     attempts = failures.attempts + 1""",
                [failure.url, failure.lang, failure.kind, failure.status, failure.reason,
                 seen_at, seen_at],
            )

    def record_run(self, run: dict) -> int:
        """Add a row to crawl_runs; lists and dicts are stored as JSON."""
        record = {k: json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v
                  for k, v in run.items()}
        with self.transaction() as conn:
            _insert(conn, "crawl_runs", record)
            return conn.execute("SELECT last_insert_rowid()").fetchone()[0]


def _insert(conn: sqlite3.Connection, table: str, record: dict) -> None:
    columns = ", ".join(f"[{k}]" for k in record)
    marks = ", ".join("?" for _ in record)
    conn.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})", list(record.values()))



# --- reading ------------------------------------------------------------------

def open_readonly(path: str | os.PathLike[str]) -> sqlite_utils.Database:
    """Open an existing archive read-only; ArchiveError when it is missing or not SQLite."""
    p = Path(path)
    if not p.is_file():
        raise ArchiveError(f"no archive at {p} (crawl first, or pass --db)")
    conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ArchiveError(f"{p} is not a SQLite archive: {exc}") from exc
    db = sqlite_utils.Database(conn)
    if "articles" not in db.table_names():
        conn.close()
        raise ArchiveError(f"{p} holds no articles table: not a zsnews archive")
    return db


def article_record(db: sqlite_utils.Database, article_key: str) -> dict | None:
    """One article as a dict with `section` decoded and its `images` attached."""
    rows = list(db.query("SELECT * FROM articles WHERE id = ?", [article_key]))
    if not rows:
        return None
    record = rows[0]
    record["section"] = json.loads(record["section"] or "[]")
    record["images"] = [
        {"url": r["url"], "caption": r["caption"], "credit": r["credit"]}
        for r in db.query(
            "SELECT url, caption, credit FROM images WHERE article_id = ? ORDER BY position",
            [article_key],
        )
    ]
    return record


def _rows_if_archived(path: str | os.PathLike[str], sql: str, params: list) -> list[tuple]:
    """Rows of a read-only query, or none when there is no archive yet (a first run)."""
    if not Path(path).is_file():
        return []
    db = open_readonly(path)
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.conn.close()


def known_articles(path: str | os.PathLike[str], lang: str) -> dict[int, str | None]:
    """Article ids of one language already in the archive, with their publication time."""
    return dict(_rows_if_archived(path, "SELECT article_id, published FROM articles WHERE lang = ?", [lang]))


_RETRYABLE = "(kind = 'network' OR COALESCE(status, 0) >= 500 OR COALESCE(status, 0) IN (408, 429))"


def settled_failures(path: str | os.PathLike[str], lang: str) -> set[str]:
    """URLs that failed for a lasting reason (not an article, 404): an incremental
    run does not fetch them again."""
    sql = f"SELECT url FROM failures WHERE lang = ? AND NOT {_RETRYABLE}"
    return {url for (url,) in _rows_if_archived(path, sql, [lang])}


def retryable_failures(path: str | os.PathLike[str], lang: str) -> list[str]:
    """URLs whose last fetch failed for a reason that may pass (server errors, network)."""
    sql = f"SELECT url FROM failures WHERE lang = ? AND {_RETRYABLE} ORDER BY url"
    return [url for (url,) in _rows_if_archived(path, sql, [lang])]
