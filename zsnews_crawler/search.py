"""Full-text search over the archive, for English and Chinese alike.

SQLite's tokenizers do not split Chinese into words, so the index does not
hold the article text itself but an *index text* derived from it: Latin
text is copied as it is (FTS5's ``porter unicode61`` tokenizer then
lower-cases and stems it), and every run of CJK characters becomes its
overlapping character bigrams followed by its last character on its own::

    "深中通道开通 today" -> " 深中 中通 通道 道开 开通 通 today"

A Chinese query term becomes the phrase of its bigrams ("中山市" ->
``"中山 山市"``), which matches exactly the articles holding the term as a
substring, whatever a word segmenter would have made of the text. The lone
last character keeps two runs apart (a phrase cannot run over a comma) and
lets a one-character query (``港``) work as the prefix query ``港*``.

Tables (created by storage's migrations ``003_search`` and ``004_search_meta``):

* ``articles_search(search_id, article_key, title, body)``: the index text
  of each article's title and body_text, one row per article.
* ``articles_search_fts``: an FTS5 index with ``articles_search`` as its
  external content, kept in step by triggers.
* ``articles_search_meta(search_id, article_key, lang, published)``: a
  narrow copy of what ranking and the usual filters need, so that the
  ranking query reads neither the wide ``articles`` rows nor the index
  text; the article rows are read for the hits kept only.

Snippets are cut from the original body_text: FTS5's ``highlight()`` marks
the matched tokens in the index text, and the offsets are mapped back (for
the part of the body a snippet can show only).
"""

from __future__ import annotations

import bisect
import re
import sqlite3
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from .items import Article

CONTENT_TABLE = "articles_search"
FTS_TABLE = "articles_search_fts"
# What the ranking query sorts and filters on, one narrow row per article. The statements that read or
# write it name it literally (SQL is formatted with a fixed set of names only: tests/test_hostile.py).
META_TABLE = "articles_search_meta"
TOKENIZE = "porter unicode61 remove_diacritics 2"
# bm25 weights of the FTS columns (title, body): a hit in the title counts more.
RANK = f"bm25({FTS_TABLE}, 5.0, 1.0)"
FTS_COLUMNS = ("title", "body")
MARKS = ("[", "]")

# Han ideographs (with extensions and compatibility forms), 〇 and kana.
_CJK_CLASS = "\u3007\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CJK_RUN = re.compile(f"[{_CJK_CLASS}]+")
_CJK_CHAR = re.compile(f"[{_CJK_CLASS}]")
# What FTS5 accepts as a bareword: ASCII letters, digits, underscore, anything non-ASCII.
_BAREWORD = re.compile(r"[A-Za-z0-9_\x1a\u0080-\U0010ffff]+")
_OPERATORS = {"AND", "OR", "NOT", "NEAR"}
_COLUMN_FILTER = re.compile(r"^-?(\w+):(.*)$", re.S)
# FTS5 highlight() markers: control characters never found in normalised text.
_OPEN, _CLOSE = "\x02", "\x03"
_MARK = re.compile(f"[{_OPEN}{_CLOSE}]")
# Index characters past the first match that a snippet can still show: it shows 160 columns, at most
# 160 characters of the original, and a CJK character takes 3 index characters ("bigram + space").
SNIPPET_WINDOW = 1024


class SearchError(ValueError):
    """A query or filter the user has to fix (bad syntax, bad date)."""


class IndexMissing(Exception):
    """The archive predates the search index."""


# --- index text ---------------------------------------------------------------

def _index_pieces(text: str, query: bool = False) -> Iterator[tuple[str, int]]:
    """Yield (piece, start) pieces of the index text of `text`.

    A piece is either a verbatim slice of `text` starting at `start`, or one
    CJK token (bigram or single character) taken from `text` at `start`;
    separating spaces are yielded with start -1.

    In query mode the last CJK run of the text, when nothing searchable
    follows it, gets no lone last character: the text searched may go on
    after it.
    """
    position = 0
    for run in _CJK_RUN.finditer(text):
        if run.start() > position:
            yield text[position:run.start()], position
        i, j = run.span()
        last_run = query and not any(ch.isalnum() for ch in text[j:])
        yield " ", -1
        for k in range(i, j - 1):
            yield text[k:k + 2], k
            yield " ", -1
        if not last_run or j - i == 1:
            yield text[j - 1], j - 1
            yield " ", -1
        position = j
    if position < len(text):
        yield text[position:], position


def index_text(text: str | None) -> str:
    """The text that goes into the FTS index for `text` (see the module docstring)."""
    if not text:
        return ""
    return "".join(piece for piece, _ in _index_pieces(text))


def _index_text_with_origins(text: str) -> tuple[str, list[tuple[int, int]]]:
    """The index text and, for each of its characters, the span of `text` it comes from."""
    chars: list[str] = []
    origins: list[tuple[int, int]] = []
    for piece, start in _index_pieces(text):
        chars.append(piece)
        if start < 0:
            origins.extend([(-1, -1)] * len(piece))
        else:
            origins.extend((start + n, start + n + 1) for n in range(len(piece)))
    return "".join(chars), origins


# --- keeping the index ---------------------------------------------------------

def create_index(conn: sqlite3.Connection) -> None:
    """Create the (empty) search tables, replacing any old ones (rebuild() adds the triggers)."""
    conn.execute(f"DROP TABLE IF EXISTS [{FTS_TABLE}]")
    conn.execute(f"DROP TABLE IF EXISTS [{META_TABLE}]")
    conn.execute(f"DROP TABLE IF EXISTS [{CONTENT_TABLE}]")
    conn.execute(f"""CREATE TABLE [{CONTENT_TABLE}] (
        search_id INTEGER PRIMARY KEY,
        article_key TEXT NOT NULL UNIQUE REFERENCES articles(id),
        title TEXT,
        body TEXT
    )""")
    conn.execute(
        f"CREATE VIRTUAL TABLE [{FTS_TABLE}] USING fts5(title, body, content='{CONTENT_TABLE}', "
        f"content_rowid='search_id', tokenize='{TOKENIZE}')"
    )
    _create_meta(conn)


def _create_meta(conn: sqlite3.Connection) -> None:
    conn.execute(f"""CREATE TABLE [{META_TABLE}] (
        search_id INTEGER PRIMARY KEY,
        article_key TEXT NOT NULL,
        lang TEXT,
        published TEXT
    )""")


def _fill_meta(conn: sqlite3.Connection) -> None:
    conn.execute(f"""INSERT INTO articles_search_meta (search_id, article_key, lang, published)
                     SELECT s.search_id, s.article_key, a.lang, a.published FROM [{CONTENT_TABLE}] s
                     JOIN articles a ON a.id = s.article_key""")


def add_meta(conn: sqlite3.Connection) -> None:
    """Create and fill the ranking table beside an existing index (an upgrade: no re-indexing)."""
    conn.execute(f"DROP TABLE IF EXISTS [{META_TABLE}]")
    _create_meta(conn)
    _fill_meta(conn)


def _create_triggers(conn: sqlite3.Connection) -> None:
    insert = f"INSERT INTO [{FTS_TABLE}] (rowid, title, body) VALUES (new.search_id, new.title, new.body);"
    delete = (f"INSERT INTO [{FTS_TABLE}] ([{FTS_TABLE}], rowid, title, body) "
              "VALUES ('delete', old.search_id, old.title, old.body);")
    conn.execute(f"CREATE TRIGGER [{CONTENT_TABLE}_ai] AFTER INSERT ON [{CONTENT_TABLE}] BEGIN {insert} END")
    conn.execute(f"CREATE TRIGGER [{CONTENT_TABLE}_ad] AFTER DELETE ON [{CONTENT_TABLE}] BEGIN {delete} END")
    conn.execute(
        f"CREATE TRIGGER [{CONTENT_TABLE}_au] AFTER UPDATE ON [{CONTENT_TABLE}] BEGIN {delete} {insert} END"
    )


def rebuild(conn: sqlite3.Connection) -> int:
    """(Re)build the whole index from the articles table; return the number of articles indexed.

    Runs in a savepoint, so it is atomic on its own and nests in a transaction.
    """
    conn.execute("SAVEPOINT search_rebuild")
    try:
        create_index(conn)
        rows = conn.execute("SELECT id, title, body_text FROM articles ORDER BY rowid")
        conn.executemany(
            f"INSERT INTO [{CONTENT_TABLE}] (article_key, title, body) VALUES (?, ?, ?)",
            ((key, index_text(title), index_text(body)) for key, title, body in rows),
        )
        conn.execute(f"INSERT INTO [{FTS_TABLE}] ([{FTS_TABLE}]) VALUES ('rebuild')")
        _fill_meta(conn)
        _create_triggers(conn)
        count = conn.execute(f"SELECT count(*) FROM [{CONTENT_TABLE}]").fetchone()[0]
    except BaseException:
        conn.execute("ROLLBACK TO search_rebuild")
        conn.execute("RELEASE search_rebuild")
        raise
    conn.execute("RELEASE search_rebuild")
    return count


def index_article(conn: sqlite3.Connection, article_key: str, article: Article) -> None:
    """Add or replace one article in the index (plain SQL: safe inside the caller's transaction)."""
    conn.execute(
        f"""INSERT INTO [{CONTENT_TABLE}] (article_key, title, body) VALUES (?, ?, ?)
            ON CONFLICT(article_key) DO UPDATE SET title = excluded.title, body = excluded.body""",
        [article_key, index_text(article.title), index_text(article.body_text)],
    )
    conn.execute(
        f"""INSERT OR REPLACE INTO articles_search_meta (search_id, article_key, lang, published)
            SELECT search_id, article_key, ?, ? FROM [{CONTENT_TABLE}] WHERE article_key = ?""",
        [article.lang, article.published, article_key],
    )


def remove_article(conn: sqlite3.Connection, article_key: str) -> None:
    """Drop one article from the index."""
    conn.execute(f"""DELETE FROM articles_search_meta WHERE search_id IN
                     (SELECT search_id FROM [{CONTENT_TABLE}] WHERE article_key = ?)""", [article_key])
    conn.execute(f"DELETE FROM [{CONTENT_TABLE}] WHERE article_key = ?", [article_key])


def has_index(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", [FTS_TABLE]).fetchone()
    return row is not None


def _search_tables(conn: sqlite3.Connection) -> set[str]:
    """Which of the FTS and meta tables the archive has."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE name IN (?, ?)", [FTS_TABLE, META_TABLE])
    return {name for (name,) in rows}


# --- queries --------------------------------------------------------------------

_LEXER = re.compile(r'\s+|"(?:[^"]|"")*"\*?|"|[(),]|[^\s"(),]+')


def _phrase(text: str, prefix: bool = False) -> str:
    """A term or quoted string as an FTS5 string in our index's terms."""
    if not any(ch.isalnum() for ch in text):
        raise SearchError(f"nothing to search for in {text + ('*' if prefix else '')!r}")
    if _CJK_CHAR.search(text):
        pieces = _index_pieces(text, query=True)
        converted = "".join(piece for piece, _ in pieces).strip()
        # A lone CJK character ending the term (a one-character run) may go on in the text:
        # as a prefix it matches the bigrams it starts as well as the character alone.
        tokens = re.findall(r"\w+", converted)
        prefix = prefix or (len(tokens[-1]) == 1 and bool(_CJK_CHAR.match(tokens[-1])))
    else:
        converted = text
    quoted = '"' + converted.replace('"', '""') + '"'
    return quoted + ("*" if prefix else "")


def match_expression(query: str) -> str:
    """Translate a user query to an FTS5 MATCH expression for our index.

    The query uses FTS5's syntax (words, "quoted phrases", prefix*, AND, OR,
    NOT, NEAR(...), parentheses, title: or body: column filters); words next
    to each other must all match. Chinese words and phrases are turned into
    phrases of bigrams, and words holding punctuation (Yat-sen, U.S.) into
    phrases. Raises SearchError for an empty query, an unbalanced quote or a
    term with nothing to search for; FTS5 itself judges the rest (see
    check_expression).
    """
    if not query or not query.strip():
        raise SearchError("empty search query")
    out: list[str] = []
    groups: list[str] = []  # open parentheses: "NEAR" for NEAR(...), else "group"
    for match in _LEXER.finditer(query):
        token = match.group()
        if token.isspace():
            continue
        if token == '"':
            raise SearchError(f"unbalanced quote in search query {query!r}")
        if token == "(":
            groups.append("NEAR" if out and out[-1] == "NEAR" else "group")
            converted = token
        elif token == ")":
            if groups:
                groups.pop()
            converted = token
        elif token == ",":
            # Only NEAR(a b, 5) has a use for a comma; elsewhere it separates words.
            if not groups or groups[-1] != "NEAR":
                continue
            converted = token
        elif token.startswith('"'):
            prefix = token.endswith("*")
            converted = _phrase(token[1:-2 if prefix else -1].replace('""', '"'), prefix)
        elif token in _OPERATORS:
            converted = token
        else:
            column = _COLUMN_FILTER.match(token)
            if column and column.group(1) in FTS_COLUMNS:
                rest = column.group(2)
                converted = token[: len(token) - len(rest)] + (_term(rest) if rest else "")
            else:
                converted = _term(token)
        if out and (out[-1].endswith(":") and _COLUMN_FILTER.match(out[-1]) or out[-1] == "NEAR"):
            out[-1] += converted  # "title:" or "NEAR" then what it applies to: FTS5 wants them together
        else:
            out.append(converted)
    return " ".join(out)


def _term(token: str) -> str:
    prefix = token.endswith("*")
    word = token.rstrip("*") if prefix else token
    if not _CJK_CHAR.search(word) and _BAREWORD.fullmatch(word):
        return token
    return _phrase(word, prefix)


_checker: sqlite3.Connection | None = None


def check_expression(expression: str) -> None:
    """Raise SearchError when FTS5 rejects a MATCH expression (checked on an empty index)."""
    global _checker
    if _checker is None:
        _checker = sqlite3.connect(":memory:", check_same_thread=False)
        _checker.execute(f"CREATE VIRTUAL TABLE q USING fts5({', '.join(FTS_COLUMNS)}, tokenize='{TOKENIZE}')")
    try:
        _checker.execute("SELECT count(*) FROM q WHERE q MATCH ?", [expression]).fetchone()
    except sqlite3.OperationalError as exc:
        raise SearchError(f"invalid search query: {exc}") from None


def compile_query(query: str) -> str:
    """match_expression() checked by FTS5: the expression to bind to MATCH."""
    expression = match_expression(query)
    check_expression(expression)
    return expression


# --- filters ----------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def _date_bounds(value: str) -> tuple[date, date]:
    """First day of a YYYY, YYYY-MM or YYYY-MM-DD period and the day after it."""
    found = _DATE.match(value.strip())
    if not found:
        from .dates import DateError, parse_date_arg

        try:
            day = parse_date_arg(value)  # "3 days ago", "5 March 2024", ...
        except DateError:
            raise SearchError(f"{value!r} is not a date (YYYY-MM-DD, YYYY-MM or YYYY)") from None
        if day is None:
            raise SearchError("empty date")
        return day, day + timedelta(days=1)
    year, month, day = (int(part) if part else None for part in found.groups())
    try:
        if day is not None:
            first = date(year, month, day)
            return first, first + timedelta(days=1)
        if month is not None:
            first = date(year, month, 1)
            return first, (first + timedelta(days=31)).replace(day=1)
        return date(year, 1, 1), date(year + 1, 1, 1)
    except ValueError as exc:
        raise SearchError(f"{value!r} is not a date: {exc}") from None


@dataclass
class Filters:
    """Restrictions shared by search, export and the Datasette plugin.

    `since` and `until` are inclusive dates (YYYY-MM-DD, YYYY-MM or YYYY:
    `until="2024-03"` runs to the end of March); `section` matches any
    element of an article's section list.
    """

    lang: str | None = None
    since: str | None = None
    until: str | None = None
    section: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        # Validate now, so a bad date is reported before any query runs.
        for value in (self.since, self.until):
            if value:
                _date_bounds(value)

    def where(self, alias: str = "a") -> tuple[list[str], dict[str, Any]]:
        """SQL conditions on the articles table (as `alias`) and their named parameters."""
        clauses: list[str] = []
        params: dict[str, Any] = {}
        if self.lang:
            clauses.append(f"{alias}.lang = :lang")
            params["lang"] = self.lang
        if self.since:
            clauses.append(f"{alias}.published >= :since")
            params["since"] = _date_bounds(self.since)[0].isoformat()
        if self.until:
            # published is an ISO date or datetime: everything before the next day.
            clauses.append(f"{alias}.published < :until")
            params["until"] = _date_bounds(self.until)[1].isoformat()
        if self.section:
            clauses.append(f"EXISTS (SELECT 1 FROM json_each({alias}.section) WHERE json_each.value = :section)")
            params["section"] = self.section
        if self.source:
            clauses.append(f"{alias}.source = :source")
            params["source"] = self.source
        return clauses, params


# --- searching ------------------------------------------------------------------------

@dataclass
class SearchHit:
    id: str
    lang: str
    title: str | None
    published: str | None
    source: str | None
    section: str | None
    url: str
    score: float
    snippet: str


def search(
    conn: sqlite3.Connection, query: str, filters: Filters | None = None, limit: int | None = 20,
    marks: tuple[str, str] = MARKS,
) -> list[SearchHit]:
    """Articles matching `query`, best first (bm25), each with a snippet of its body.

    Raises SearchError for a query FTS5 cannot parse, IndexMissing when the
    archive has no search index.
    """
    tables = _search_tables(conn)
    if FTS_TABLE not in tables:
        raise IndexMissing("the archive has no search index")
    expression = compile_query(query)
    filters = filters or Filters()
    # Rank and filter on FTS5 + the narrow meta table (lang and dates are in it): the wide articles rows
    # (body_text) are read for the `limit` hits kept only. A filter on section or source, or an archive
    # opened read-only before migration 004, joins the articles rows into the ranking instead.
    narrow = META_TABLE in tables and not (filters.section or filters.source)
    alias = "m" if narrow else "a"
    clauses, params = filters.where(alias)
    params["match"] = expression
    params["limit"] = -1 if limit is None else limit
    if narrow:
        ranked = f"""
            SELECT f.rowid AS search_id, m.article_key AS article_key, m.published AS published, {RANK} AS score
            FROM [{FTS_TABLE}] f JOIN articles_search_meta m ON m.search_id = f.rowid
            WHERE [{FTS_TABLE}] MATCH :match {''.join(' AND ' + c for c in clauses)}
            ORDER BY score, m.published DESC, m.article_key
            LIMIT :limit"""
    else:
        ranked = f"""
            SELECT f.rowid AS search_id, a.id AS article_key, a.published AS published, {RANK} AS score
            FROM [{FTS_TABLE}] f JOIN [{CONTENT_TABLE}] s ON s.search_id = f.rowid
            JOIN articles a ON a.id = s.article_key
            WHERE [{FTS_TABLE}] MATCH :match {''.join(' AND ' + c for c in clauses)}
            ORDER BY score, a.published DESC, a.id
            LIMIT :limit"""
    sql = ("WITH ranked AS (" + ranked + """)
        SELECT r.search_id, a.id, a.lang, a.title, a.published, a.source, a.section, a.url, a.body_text, r.score
        FROM ranked r JOIN articles a ON a.id = r.article_key
        ORDER BY r.score, r.published DESC, r.article_key""")
    hits = []
    for row in conn.execute(sql, params).fetchall():
        rowid, key, lang, title, published, source, section, url, body, score = row
        highlighted = conn.execute(
            f"SELECT highlight([{FTS_TABLE}], 1, ?, ?) FROM [{FTS_TABLE}] WHERE [{FTS_TABLE}] MATCH ? AND rowid = ?",
            [_OPEN, _CLOSE, expression, rowid],
        ).fetchone()
        snippet = make_snippet(body or "", highlighted[0] if highlighted else None, marks=marks)
        hits.append(SearchHit(key, lang, title, published, source, section, url, score, snippet))
    return hits


def article_keys(conn: sqlite3.Connection, query: str, filters: Filters | None = None) -> list[str]:
    """Keys of every article matching `query` (sorted): handy for checks and scripts."""
    return sorted(hit.id for hit in search(conn, query, filters, limit=None))


# --- snippets -----------------------------------------------------------------------

def _width(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def matched_spans(
    original: str, highlighted: str | None, window: int = SNIPPET_WINDOW
) -> list[tuple[int, int]]:
    """Spans of `original` matched by the query, from highlight() output on its index text.

    Only the marks up to `window` index characters after the first one count: what a snippet can
    show. The index text of `original` is produced up to the last of them only, one offset per
    piece (each piece maps character for character onto `original`), so the cost follows the
    position of the first match rather than the length of the body. For the part a snippet shows
    the result is that of `_matched_spans_full`.
    """
    if not highlighted or _OPEN not in highlighted:
        return []
    marked: list[tuple[int, int]] = []
    removed = start = 0  # markers seen so far: a marker's position in the index text is its own minus these
    first: int | None = None
    cut = len(highlighted)
    for mark in _MARK.finditer(highlighted):
        position = mark.start() - removed
        if mark.group() == _OPEN:
            if first is None:
                first = position
            elif position > first + window:
                cut = mark.start()
                break
            start = position
        else:
            marked.append((start, position))
        removed += 1
    if not marked:
        return []
    plain = _MARK.sub("", highlighted[:cut])
    stop = marked[-1][1]
    # One entry per index piece: where it starts in the index text, and in `original` (-1: a separator).
    piece_starts: list[int] = []
    piece_origins: list[int] = []
    soup: list[str] = []
    at = 0
    for piece, origin in _index_pieces(original):
        piece_starts.append(at)
        piece_origins.append(origin)
        soup.append(piece)
        at += len(piece)
        if at >= stop:
            break
    common = min(at, len(plain))
    if at < stop or plain[:common] != "".join(soup)[:common]:
        return []  # the index is stale for this article: no highlighting rather than a wrong one
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
        if spans and lo < spans[-1][1]:  # overlapping bigrams of two terms; adjacent terms stay apart
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


def _matched_spans_full(original: str, highlighted: str | None) -> list[tuple[int, int]]:
    """matched_spans over the whole body, one origin per index character: the reference the tests
    check matched_spans against (slower; not used by search)."""
    if not highlighted:
        return []
    plain: list[str] = []
    marked: list[tuple[int, int]] = []
    start = 0
    for ch in highlighted:
        if ch == _OPEN:
            start = len(plain)
        elif ch == _CLOSE:
            marked.append((start, len(plain)))
        else:
            plain.append(ch)
    soup, origins = _index_text_with_origins(original)
    if "".join(plain) != soup:
        return []  # the index is stale for this article: no highlighting rather than a wrong one
    spans: list[tuple[int, int]] = []
    for a, b in marked:
        covered = [origins[n] for n in range(a, b) if origins[n][0] >= 0]
        if not covered:
            continue
        lo, hi = min(s for s, _ in covered), max(e for _, e in covered)
        if spans and lo < spans[-1][1]:  # overlapping bigrams of two terms; adjacent terms stay apart
            spans[-1] = (spans[-1][0], max(hi, spans[-1][1]))
        else:
            spans.append((lo, hi))
    return spans


def make_snippet(
    original: str, highlighted: str | None, width: int = 160, marks: tuple[str, str] = MARKS
) -> str:
    """About `width` columns of `original` around its first match, matches wrapped in `marks`.

    CJK characters count as two columns; line breaks become spaces.
    """
    spans = matched_spans(original, highlighted)
    first = spans[0][0] if spans else 0
    # Start a little before the first match, on a word boundary for Latin text.
    begin, budget = first, width // 4
    while begin > 0 and budget > 0:
        begin -= 1
        budget -= _width(original[begin])
    if begin > 0 and not _CJK_CHAR.match(original[first:first + 1] or " "):
        space = original.find(" ", begin, first)
        begin = space + 1 if space >= 0 else begin
    end, used = begin, 0
    while end < len(original) and used < width:
        used += _width(original[end])
        end += 1
    if end < len(original) and not _CJK_CHAR.match(original[end - 1]):
        space = original.rfind(" ", begin, end)
        end = space if space > first else end
    pieces = []
    position = begin
    for a, b in spans:
        if b <= begin or a >= end:
            continue
        a, b = max(a, begin), min(b, end)
        pieces += [original[position:a], marks[0], original[a:b], marks[1]]
        position = b
    pieces.append(original[position:end])
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return ("…" if begin > 0 else "") + text + ("…" if end < len(original) else "")
