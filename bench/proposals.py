"""Prototypes of the changes proposed in RESULTS.md, measured against the code as it is.

Nothing here is used by the product. Proposal 1 (`matched_spans_windowed`)
replaces `search.matched_spans` inside the benchmark's process only
(`patched_matched_spans`); proposal 2 (`search_ranked_first`) is a copy of
`search.search` whose ranking query runs on a narrow table. The benchmarks
check that results and snippets are identical and time both. The lead
applies the changes to the package.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from zsnews_crawler import search as zsearch


def matched_spans_windowed(original: str, highlighted: str | None, window: int = 1024) -> list[tuple[int, int]]:
    """Same result as `search.matched_spans` for what a snippet can show, in time proportional to the
    position of the first match plus `window` index characters instead of the whole body.

    A snippet shows `width` (160) columns from shortly before the first match: at most 160 characters of
    the original, hence at most 3 * 160 index characters (a CJK character becomes "bigram + space"), so
    marks further than `window` (1024) index characters after the first one are never shown. Each piece of
    the index text maps character for character onto the original (a verbatim slice, or a CJK bigram or
    character taken at `start`), so one offset per piece is enough: no per-character origin list.
    """
    if not highlighted or zsearch._OPEN not in highlighted:
        return []
    plain: list[str] = []
    marked: list[tuple[int, int]] = []
    position = start = 0
    first: int | None = None
    for ch in highlighted:
        if ch == zsearch._OPEN:
            start = position
            if first is None:
                first = position
            elif position > first + window:
                break
        elif ch == zsearch._CLOSE:
            marked.append((start, position))
        else:
            plain.append(ch)
            position += 1
    if not marked:
        return []
    stop = marked[-1][1]
    piece_starts: list[int] = []  # index-text offset of each piece
    piece_origins: list[int] = []  # offset in `original` of its first character, -1 for a separator
    soup: list[str] = []
    at = 0
    for piece, origin in zsearch._index_pieces(original):
        piece_starts.append(at)
        piece_origins.append(origin)
        soup.append(piece)
        at += len(piece)
        if at >= stop:
            break
    prefix = "".join(soup)
    if not "".join(plain).startswith(prefix[: len(plain)]) or at < stop:
        return []  # the index is stale for this article
    spans: list[tuple[int, int]] = []
    for a, b in marked:
        lo = hi = -1
        i = bisect.bisect_right(piece_starts, a) - 1
        while i < len(piece_starts) and piece_starts[i] < b:
            origin = piece_origins[i]
            if origin >= 0:
                piece_end = piece_starts[i + 1] if i + 1 < len(piece_starts) else at
                s = origin + max(a, piece_starts[i]) - piece_starts[i]
                e = origin + min(b, piece_end) - piece_starts[i]
                if e > s:
                    lo = s if lo < 0 else min(lo, s)
                    hi = max(hi, e)
            i += 1
        if lo < 0:
            continue
        if spans and lo < spans[-1][1]:  # as search.matched_spans: adjacent terms stay apart
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


@contextmanager
def patched_matched_spans() -> Iterator[None]:
    original = zsearch.matched_spans
    zsearch.matched_spans = matched_spans_windowed
    try:
        yield
    finally:
        zsearch.matched_spans = original


# --- proposal 2: rank on a narrow table, fetch the article rows for the winners only -------------

META_TABLE = "articles_search_meta"


def add_search_meta(conn: sqlite3.Connection) -> None:
    """The narrow table the ranking query filters on (the change would keep it in step in
    `search.rebuild`, `index_article` and `remove_article`)."""
    conn.execute(f"DROP TABLE IF EXISTS [{META_TABLE}]")
    conn.execute(f"CREATE TABLE [{META_TABLE}] (search_id INTEGER PRIMARY KEY, lang TEXT, published TEXT)")
    conn.execute(f"""INSERT INTO [{META_TABLE}] (search_id, lang, published)
                     SELECT s.search_id, a.lang, a.published FROM [{zsearch.CONTENT_TABLE}] s
                     JOIN articles a ON a.id = s.article_key""")


def search_ranked_first(
    conn: sqlite3.Connection, query: str, filters: zsearch.Filters | None = None, limit: int | None = 20,
    marks: tuple[str, str] = zsearch.MARKS,
) -> list[zsearch.SearchHit]:
    """`search.search` with the ranking done on FTS5 + the narrow meta table; the wide
    articles rows (body_text) are read for the `limit` winners only."""
    filters = filters or zsearch.Filters()
    expression = zsearch.compile_query(query)
    narrow = not (filters.section or filters.source)
    clauses, params = filters.where("m" if narrow else "a")
    params["match"] = expression
    params["limit"] = -1 if limit is None else limit
    join_a = "" if narrow else (f"JOIN [{zsearch.CONTENT_TABLE}] s0 ON s0.search_id = f.rowid "
                                "JOIN articles a ON a.id = s0.article_key")
    F = zsearch.FTS_TABLE
    sql = f"""
        WITH ranked AS (
            SELECT f.rowid AS rowid, {zsearch.RANK} AS score, m.published AS published
            FROM [{F}] f JOIN [{META_TABLE}] m ON m.search_id = f.rowid {join_a}
            WHERE [{F}] MATCH :match {''.join(' AND ' + c for c in clauses)}
            ORDER BY score, m.published DESC LIMIT :limit)
        SELECT r.rowid, a.id, a.lang, a.title, a.published, a.source, a.section, a.url, a.body_text, r.score
        FROM ranked r JOIN [{zsearch.CONTENT_TABLE}] s ON s.search_id = r.rowid JOIN articles a ON a.id = s.article_key
        ORDER BY r.score, r.published DESC, a.id
    """
    hits = []
    for row in conn.execute(sql, params).fetchall():
        rowid, key, lang, title, published, source, section, url, body, score = row
        highlighted = conn.execute(
            f"SELECT highlight([{F}], 1, ?, ?) FROM [{F}] WHERE [{F}] MATCH ? AND rowid = ?",
            [zsearch._OPEN, zsearch._CLOSE, expression, rowid],
        ).fetchone()
        snippet = zsearch.make_snippet(body or "", highlighted[0] if highlighted else None, marks=marks)
        hits.append(zsearch.SearchHit(key, lang, title, published, source, section, url, score, snippet))
    return hits
