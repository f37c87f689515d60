"""Profiles: where the crawl process and a search query spend their time, and a
measured prototype of the proposed change (bench/proposals.py).

* crawl: `python -m cProfile -m scrapy crawl zsnews_{en,zh}` on a generated
  site (politeness off), CPU time grouped by package and the top functions;
* search: cProfile of queries on a generated archive, then, without the
  profiler, the split between the main SQL query, the per-hit highlight()
  queries and the Python snippet code, before and after the proposal
  (interleaved rounds in one process; the snippets must come out identical).
"""

from __future__ import annotations

import cProfile
import io
import pstats
import sqlite3
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from .common import PYTHON, ROOT, log, median, table
from .crawl import FAST, MirrorProcess, _settings_args, run_process
from .gen_site import build_site
from .search import DATE_FILTER, build_archive, build_index, corpus_fragments, pick_terms

PACKAGES = ("zsnews_crawler", "scrapy", "twisted", "lxml", "parsel", "w3lib", "sqlite_utils", "trafilatura",
            "jieba", "dateparser", "json", "sqlite3", "re", "asyncio", "logging")


def _package(filename: str) -> str:
    if filename.startswith("~") or filename == "{built-in}":
        return "builtins (C)"
    for name in PACKAGES:
        if f"/{name}/" in filename or filename.endswith(f"/{name}.py"):
            return name
    return "other Python"


def _stats_summary(stats: pstats.Stats, top: int = 15) -> dict[str, Any]:
    by_package: dict[str, float] = defaultdict(float)
    rows = []
    for (filename, line, func), (_cc, ncalls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        by_package[_package(filename)] += tottime
        rows.append((tottime, cumtime, ncalls, f"{Path(filename).name}:{line}({func})", filename))
    total = sum(by_package.values())
    rows.sort(reverse=True)
    ours = sorted((r for r in rows if "zsnews_crawler" in r[4]), key=lambda r: -r[1])
    return {
        "total_s": total,
        "by_package": dict(sorted(by_package.items(), key=lambda kv: -kv[1])),
        "top_tottime": [{"function": r[3], "tottime_s": r[0], "cumtime_s": r[1], "calls": r[2]} for r in rows[:top]],
        "top_ours_cumtime": [{"function": r[3], "tottime_s": r[0], "cumtime_s": r[1], "calls": r[2]}
                             for r in ours[:top]],
    }


def profile_crawl(quick: bool, workdir: Path, kind: str = "ours") -> dict[str, Any]:
    """cProfile of our spiders ("ours") or of bench/bare_spider.py ("bare"), en then zh, merged."""
    size = 500 if quick else 4000
    root = workdir / f"profile-site-{size}"
    if not root.exists():
        build_site(root, size)
    mirror = MirrorProcess(root)
    merged: pstats.Stats | None = None
    try:
        for lang in ("en", "zh"):
            out = workdir / f"crawl-{kind}-{lang}.prof"
            settings = {**FAST, "BENCH_STATS_FILE": str(workdir / f"profile-stats-{kind}-{lang}.json")}
            if kind == "ours":
                settings.update({f"ZSNEWS_{lang.upper()}_BASE_URL": mirror.base_urls[lang],
                                 "ARCHIVE_DB": str(workdir / "profile.db")})
                cmd = [PYTHON, "-m", "cProfile", "-o", str(out), "-m", "scrapy", "crawl", f"zsnews_{lang}",
                       *_settings_args(settings)]
                cwd = ROOT
            else:
                cmd = [PYTHON, "-m", "cProfile", "-o", str(out), "-m", "scrapy", "runspider",
                       str(ROOT / "bench" / "bare_spider.py"), "-a", f"base={mirror.base_urls[lang]}",
                       "-a", f"lang={lang}", *_settings_args(settings)]
                cwd = workdir
            run_process(cmd, cwd, workdir / f"profile-log-{kind}-{lang}.txt")
            stats = pstats.Stats(str(out), stream=io.StringIO())
            merged = stats if merged is None else merged.add(stats)
    finally:
        mirror.stop()
    assert merged is not None
    return {"articles": size, **_stats_summary(merged)}


def profile_search(quick: bool, workdir: Path) -> dict[str, Any]:
    from zsnews_crawler import search as zsearch
    from zsnews_crawler.storage import open_readonly

    from .proposals import patched_matched_spans

    size = 2000 if quick else 20_000
    path = workdir / f"profile-search-{size}.db"
    build_archive(path, size)
    index = build_index(path)
    # How much of the index build is our Python (index_text), how much FTS5.
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT title, body_text FROM articles").fetchall()
    t0 = time.process_time()
    for title, body in rows:
        zsearch.index_text(title)
        zsearch.index_text(body)
    index_text_s = time.process_time() - t0
    with sqlite3.connect(path) as conn:
        terms = pick_terms(conn, size, corpus_fragments())
    queries = [q for name, qs in terms.items() if "common" not in name for q in qs[:2]]
    db = open_readonly(path)
    conn = db.conn

    profiler = cProfile.Profile()
    profiler.enable()
    for q in queries:
        zsearch.search(conn, q, None, limit=20)
    profiler.disable()
    summary = _stats_summary(pstats.Stats(profiler, stream=io.StringIO()), top=10)

    # Without the profiler: where a query's wall time goes, before and after the proposal.
    parts: dict[str, dict[str, list[float]]] = {"before": defaultdict(list), "after": defaultdict(list)}
    real_make_snippet = zsearch.make_snippet
    clock = {"snippet": 0.0}

    def timed_make_snippet(*args: Any, **kwargs: Any) -> str:
        t0 = time.perf_counter()
        try:
            return real_make_snippet(*args, **kwargs)
        finally:
            clock["snippet"] += time.perf_counter() - t0

    identical = True
    rounds = 3 if quick else 5
    zsearch.make_snippet = timed_make_snippet
    try:
        for _ in range(rounds):
            for label in ("before", "after"):
                for q in queries:
                    for dated in (False, True):
                        filters = zsearch.Filters(**DATE_FILTER) if dated else None
                        clock["snippet"] = 0.0
                        if label == "after":
                            with patched_matched_spans():
                                t0 = time.perf_counter()
                                hits = zsearch.search(conn, q, filters, limit=20)
                                total = time.perf_counter() - t0
                            snippet = clock["snippet"]
                            reference = [h.snippet for h in zsearch.search(conn, q, filters, limit=20)]
                            identical &= reference == [h.snippet for h in hits]
                        else:
                            t0 = time.perf_counter()
                            zsearch.search(conn, q, filters, limit=20)
                            total = time.perf_counter() - t0
                            snippet = clock["snippet"]
                        parts[label]["total_ms"].append(total * 1000)
                        parts[label]["snippet_ms"].append(snippet * 1000)
    finally:
        zsearch.make_snippet = real_make_snippet

    # The main query alone, and the ranking done by FTS5 alone (no joins), for the SQL proposal.
    sql_ms: dict[str, list[float]] = defaultdict(list)
    rank_only = (f"SELECT rowid, {zsearch.RANK} AS score FROM [{zsearch.FTS_TABLE}] "
                 f"WHERE [{zsearch.FTS_TABLE}] MATCH ? ORDER BY score LIMIT 20")
    main_sql = (f"SELECT f.rowid, a.id, a.body_text, {zsearch.RANK} AS score FROM [{zsearch.FTS_TABLE}] f "
                f"JOIN [{zsearch.CONTENT_TABLE}] s ON s.search_id = f.rowid JOIN articles a ON a.id = s.article_key "
                f"WHERE [{zsearch.FTS_TABLE}] MATCH ? ORDER BY score, a.published DESC, a.id LIMIT 20")
    for _ in range(rounds):
        for q in queries:
            expression = zsearch.compile_query(q)
            for name, sql in (("main query (joins, all matches)", main_sql), ("FTS5 rank only", rank_only)):
                t0 = time.perf_counter()
                conn.execute(sql, [expression]).fetchall()
                sql_ms[name].append((time.perf_counter() - t0) * 1000)
    conn.close()
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    return {
        "size": size, "queries": queries, "rounds": rounds, "profile": summary, "identical_snippets": identical,
        "index_build_s": index["index_build_s"], "index_text_cpu_s": index_text_s,
        "before": {k: median(v) for k, v in parts["before"].items()},
        "after": {k: median(v) for k, v in parts["after"].items()},
        "sql_ms": {k: median(v) for k, v in sql_ms.items()},
    }


def run(quick: bool, workdir: Path, earlier: dict[str, Any]) -> dict[str, Any]:
    log("profile: crawl under cProfile")
    crawl = profile_crawl(quick, workdir)
    crawl["bare"] = profile_crawl(quick, workdir, "bare")
    log("profile: search under cProfile and the snippet prototype")
    search = profile_search(quick, workdir)
    result = {"crawl": crawl, "search": search}
    result["markdown"] = markdown(result)
    return result


def markdown(r: dict[str, Any]) -> str:
    c, s = r["crawl"], r["search"]
    bare = c["bare"]
    pkg_rows = [[k, v, f"{v / c['total_s']:.0%}", bare["by_package"].get(k, 0.0), v - bare["by_package"].get(k, 0.0)]
                for k, v in list(c["by_package"].items())[:10]]
    top_rows = [[f"`{x['function']}`", x["tottime_s"], x["cumtime_s"], x["calls"]] for x in c["top_tottime"][:12]]
    ours_rows = [[f"`{x['function']}`", x["cumtime_s"], f"{x['cumtime_s'] / c['total_s']:.0%}"]
                 for x in c["top_ours_cumtime"][:10]]
    sp = s["profile"]
    s_rows = [[f"`{x['function']}`", x["tottime_s"], x["cumtime_s"], x["calls"]] for x in sp["top_tottime"][:10]]
    b, a = s["before"], s["after"]
    return (
        "## 5. Profiles\n\n"
        f"### Crawl process (cProfile, {c['articles']} generated articles, en + zh, profiler overhead included)\n\n"
        f"Profiled CPU: ours {c['total_s']:.1f} s, the bare spider on the same site {bare['total_s']:.1f} s "
        f"(difference {c['total_s'] - bare['total_s']:.1f} s, "
        f"{1000 * (c['total_s'] - bare['total_s']) / c['articles']:.1f} ms per article under the profiler). "
        "Own time by package:\n\n"
        + table(["package", "ours tottime s", "ours share", "bare tottime s", "ours - bare s"], pkg_rows)
        + "\n\nTop functions by own time:\n\n" + table(["function", "tottime s", "cumtime s", "calls"], top_rows)
        + "\n\nOur functions by cumulative time:\n\n" + table(["function", "cumtime s", "share"], ours_rows)
        + f"\n\n### Search query ({s['size']:,} generated articles; {len(s['queries'])} typical queries)\n\n"
        + "cProfile, top functions by own time:\n\n" + table(["function", "tottime s", "cumtime s", "calls"], s_rows)
        + f"\n\nIndex build of this archive: {s['index_build_s']:.1f} s, of which `index_text` (Python, "
        f"CPU time) {s['index_text_cpu_s']:.1f} s ({s['index_text_cpu_s'] / s['index_build_s']:.0%}); the rest "
        "is SQLite/FTS5."
        + "\n\nWithout the profiler, median per query (queries with and without the date filter, "
        f"{s['rounds']} interleaved rounds):\n\n"
        + table(["", "total ms", "snippet code ms", "SQL + highlight() ms"], [
            ["now", b["total_ms"], b["snippet_ms"], b["total_ms"] - b["snippet_ms"]],
            ["with `matched_spans_windowed` (bench/proposals.py)", a["total_ms"], a["snippet_ms"],
             a["total_ms"] - a["snippet_ms"]],
        ])
        + f"\n\nSnippets identical before and after: **{s['identical_snippets']}**. Main SQL query alone vs "
        "FTS5 ranking alone (median ms): "
        + ", ".join(f"{k} {v:.1f}" for k, v in s["sql_ms"].items()) + "."
    )
