"""Datasette plugin: search the archive in English and Chinese.

* SQL function ``zsnews_query(q)``: a user query (FTS5 syntax, Chinese
  allowed) as a MATCH expression for ``articles_search_fts``; an empty query
  matches nothing, and one our parser rejects is passed on as typed for FTS5
  to report. The canned search queries use it.
* SQL function ``zsnews_snippet(body_text, highlighted)``: a snippet of the
  original text from ``highlight(articles_search_fts, 1, char(2), char(3))``.
* The ``articles`` table gets a search box (``?_search=``) backed by the
  same index; Datasette's own search cannot use it, as the index holds
  bigrams of the text rather than the text.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils.asgi import BadRequest

from zsnews_crawler import search

SEARCH_WHERE = (
    f"id IN (SELECT article_key FROM [{search.CONTENT_TABLE}] WHERE search_id IN "
    f"(SELECT rowid FROM [{search.FTS_TABLE}] WHERE [{search.FTS_TABLE}] MATCH :zsnews_search))"
)


def query_expression(query: str | None) -> str:
    if not query or not query.strip():
        return '""'  # an empty phrase: no rows rather than an error on a blank form
    try:
        return search.compile_query(query)
    except search.SearchError:
        # Raising here would only show "user-defined function raised exception":
        # FTS5 rejecting the query as typed says more.
        return query


def snippet(body_text: str | None, highlighted: str | None) -> str:
    return search.make_snippet(body_text or "", highlighted)


@hookimpl
def prepare_connection(conn):
    conn.create_function("zsnews_query", 1, query_expression, deterministic=True)
    conn.create_function("zsnews_snippet", 2, snippet, deterministic=True)


# trylast: run after Datasette's own search filter, so that our search box setting wins.
@hookimpl(trylast=True)
def filters_from_request(request, database, table, datasette):
    if table != "articles":
        return None

    async def inner():
        db = datasette.get_database(database)
        if not await db.table_exists(search.FTS_TABLE):
            return None
        query = request.args.get("_search")
        extra_context = {"supports_search": True}
        if not query:
            return FilterArguments([], extra_context=extra_context)
        try:
            expression = search.compile_query(query)
        except search.SearchError as exc:
            raise BadRequest(str(exc)) from None
        extra_context["search"] = query
        return FilterArguments(
            [SEARCH_WHERE], {"zsnews_search": expression}, [f'search matches "{query}"'], extra_context
        )

    return inner
