"""Export articles with their images to JSON Lines, CSV or Parquet, streaming.

Records are read from one cursor and written as they come (Parquet in
batches), so memory stays flat whatever the size of the archive. A record is
every column of `articles`, with `section` as a list and `images` as a list
of {url, caption, credit} in page order; CSV holds those two as JSON text.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from typing import IO, Any

from . import search

FORMATS = ("jsonl", "csv", "parquet")
JSON_COLUMNS = ("section", "images")
PARQUET_BATCH = 1000


class ExportError(Exception):
    """An export that cannot be done as asked (missing library, no search index)."""


def article_columns(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(name, declared type) of the articles table's columns, in table order."""
    return [(row[1], row[2].upper()) for row in conn.execute("PRAGMA table_info(articles)")]


def iter_records(
    conn: sqlite3.Connection, filters: search.Filters | None = None, query: str | None = None
) -> Iterator[dict[str, Any]]:
    """Articles passing `filters` (and matching `query`), ordered by language, date and key.

    Raises search.SearchError for a bad query, ExportError when a query is
    given and the archive has no search index.
    """
    clauses, params = (filters or search.Filters()).where("a")
    if query is not None:
        if not search.has_index(conn):
            raise ExportError("the archive has no search index (run zsnews reindex)")
        params["match"] = search.compile_query(query)
        clauses.append(
            f"a.id IN (SELECT article_key FROM [{search.CONTENT_TABLE}] WHERE search_id IN "
            f"(SELECT rowid FROM [{search.FTS_TABLE}] WHERE [{search.FTS_TABLE}] MATCH :match))"
        )
    where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"""
        SELECT a.*, (
            SELECT json_group_array(json_object('url', i.url, 'caption', i.caption, 'credit', i.credit))
            FROM (SELECT * FROM images WHERE images.article_id = a.id ORDER BY position) AS i
        ) AS [images]
        FROM articles a {where}
        ORDER BY a.lang, a.published, a.id
    """
    # Executed here, not on first iteration: a bad query fails before any output is opened.
    return _records(conn.execute(sql, params))


def _records(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    for row in cursor:
        record = dict(zip(names, row, strict=True))
        record["section"] = json.loads(record["section"] or "[]")
        record["images"] = json.loads(record["images"] or "[]")
        yield record


def write_jsonl(records: Iterator[dict[str, Any]], out: IO[str]) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(records: Iterator[dict[str, Any]], out: IO[str], columns: list[str]) -> int:
    writer = csv.DictWriter(out, fieldnames=columns)
    writer.writeheader()
    count = 0
    for record in records:
        for key in JSON_COLUMNS:
            record[key] = json.dumps(record[key], ensure_ascii=False)
        writer.writerow(record)
        count += 1
    return count


def parquet_schema(columns: list[tuple[str, str]]):
    import pyarrow as pa

    fields = []
    for name, declared in columns:
        if name == "section":
            kind = pa.list_(pa.string())
        elif "INT" in declared:
            kind = pa.int64()
        elif declared in ("REAL", "FLOAT", "DOUBLE"):
            kind = pa.float64()
        else:
            kind = pa.string()
        fields.append(pa.field(name, kind))
    image = pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
    fields.append(pa.field("images", pa.list_(image)))
    return pa.schema(fields)


def write_parquet(
    records: Iterator[dict[str, Any]], path: str, columns: list[tuple[str, str]], batch_size: int = PARQUET_BATCH
) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError("Parquet export needs pyarrow: pip install 'zsnews-crawler[parquet]'") from None
    schema = parquet_schema(columns)
    count = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) >= batch_size:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or count == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    return count


def export(
    conn: sqlite3.Connection, fmt: str, out: IO[str] | None = None, path: str | None = None,
    filters: search.Filters | None = None, query: str | None = None,
) -> int:
    """Write the selected articles in `fmt` to the text stream `out` (jsonl, csv) or to `path`.

    Returns the number of articles written.
    """
    columns = article_columns(conn)
    records = iter_records(conn, filters, query)
    if fmt == "parquet":
        if path is None:
            raise ExportError("Parquet is written to a file: pass an output path")
        return write_parquet(records, path, columns)
    if out is None:
        raise ExportError(f"{fmt} export needs an output stream")
    if fmt == "jsonl":
        return write_jsonl(records, out)
    if fmt == "csv":
        return write_csv(records, out, [name for name, _ in columns] + ["images"])
    raise ExportError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
