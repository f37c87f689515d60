"""Search benchmark: `zsnews search` latency in process, on a generated archive.

Articles are built from text fragments of the fixture articles (English:
runs of 3-8 words; Chinese: clauses between punctuation), so words and
phrases occur with the fixture texts' frequencies; lengths are realistic
(en ~400 words, zh ~800 characters), dates spread over 2015-2025. The
archive's schema comes from `zsnews_crawler.storage.Archive` (its
migrations); rows are bulk-inserted, then the index is built with
`zsnews_crawler.search.rebuild` (timed). Queries go through
`zsnews_crawler.search.search(conn, query, Filters(...), limit=20)`, the
function behind `zsnews search`, on a read-only connection as the CLI opens it.

Query terms are picked from a seeded sample of the fixture vocabulary by their
measured document frequency: "typical" terms are found in about 1% of the
articles of their language, a "common" stress term in about half of them.
"""

from __future__ import annotations

import random
import re
import sqlite3
import time
from contextlib import nullcontext
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from .common import log, median, table, verdict
from .parse import fixture_cases

TARGET_P95_MS = 50.0
EN_WORDS = 400
ZH_CHARS = 800
FRAGMENTS_PER_EN = 75  # ~5.4 words each
DATE_FILTER = {"since": "2020-01-01", "until": "2020-12-31"}
TYPICAL_DF = 0.01
COMMON_DF = 0.5


def corpus_fragments() -> dict[str, list[str]]:
    en: list[str] = []
    zh: list[str] = []
    titles: dict[str, list[str]] = {"en": [], "zh": []}
    for case in fixture_cases():
        truth = case["truth"]
        titles[truth["lang"]].append(truth["title"])
        body = truth["body_text"] or ""
        if truth["lang"] == "en":
            words = body.split()
            i = 0
            rng = random.Random(len(words))
            while i < len(words):
                n = rng.randint(3, 8)
                en.append(" ".join(words[i:i + n]))
                i += n
        else:
            zh += [c for c in re.split(r"[，。；：！？、\s“”（）]+", body) if len(c) >= 2]
    return {"en": en, "zh": zh, "en_titles": titles["en"], "zh_titles": titles["zh"]}


def make_doc(rng: random.Random, lang: str, fragments: list[str]) -> str:
    if lang == "en":
        parts = rng.choices(fragments, k=FRAGMENTS_PER_EN)
        paragraphs = [" ".join(parts[i:i + 15]) + "." for i in range(0, len(parts), 15)]
        return "\n\n".join(paragraphs)
    out: list[str] = []
    length = 0
    while length < ZH_CHARS:
        clauses = rng.choices(fragments, k=rng.randint(2, 5))
        sentence = "，".join(clauses) + "。"
        out.append(sentence)
        length += len(sentence)
    return "\n\n".join("".join(out[i:i + 4]) for i in range(0, len(out), 4))


def build_archive(path: Path, size: int, seed: int = 6) -> dict[str, Any]:
    """A fresh archive of `size` articles (half per language), without the search index built."""
    from zsnews_crawler.storage import Archive

    Archive(path).close()  # the schema, by the project's migrations
    frags = corpus_fragments()
    rng = random.Random(seed)
    start_day = date(2015, 1, 1)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    data_bytes = 0
    t0 = time.perf_counter()
    rows = []
    for i in range(size):
        lang = "en" if i % 2 == 0 else "zh"
        body = make_doc(rng, lang, frags[lang])
        title = rng.choice(frags[f"{lang}_titles"]) + f" {i}"
        day = start_day + timedelta(days=rng.randrange(11 * 365))
        published = f"{day.isoformat()}T{rng.randrange(8, 20):02d}:{rng.randrange(60):02d}:00+08:00"
        article_id = 100_000 + i
        data_bytes += len(title.encode()) + len(body.encode())
        rows.append((f"{lang}:{article_id}", lang, article_id, f"https://x/{article_id}.html", '["News"]', 376,
                     title, published, published[:10], "Zhongshan Daily", body, "bench", f"h{i}",
                     "2025-01-01T00:00:00+00:00", "2025-01-01T00:00:00+00:00"))
        if len(rows) == 5000:
            _insert(conn, rows)
            rows = []
    _insert(conn, rows)
    conn.execute("COMMIT")
    conn.close()
    return {"generate_insert_s": time.perf_counter() - t0, "data_bytes": data_bytes,
            "db_bytes_without_index": path.stat().st_size}


def _insert(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    conn.executemany(
        """INSERT INTO articles (id, lang, article_id, url, section, cateid, title, published, published_raw,
             source, body_text, extractor, content_hash, first_seen, last_seen) VALUES
             (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)


def build_index(path: Path) -> dict[str, Any]:
    from zsnews_crawler import search as zsearch

    before = _db_size(path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    t0 = time.perf_counter()
    conn.execute("BEGIN")
    count = zsearch.rebuild(conn)
    conn.execute("COMMIT")
    seconds = time.perf_counter() - t0
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    tables = {}
    try:
        for name, size in conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"):
            tables[name] = size
    except sqlite3.OperationalError:
        pass
    conn.close()
    index_tables = {k: v for k, v in tables.items() if k.startswith(zsearch.CONTENT_TABLE)}
    return {"index_build_s": seconds, "indexed": count, "db_bytes_before": before, "db_bytes_after": _db_size(path),
            "index_bytes": sum(index_tables.values()) if index_tables else _db_size(path) - before,
            "articles_table_bytes": tables.get("articles"), "index_tables": index_tables}


def _db_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def candidate_terms(frags: dict[str, list[str]], rng: random.Random, per_type: int = 40) -> dict[str, list[str]]:
    """A seeded sample of possible query terms of each type, taken from the fragments."""
    en_words: set[str] = set()
    en_phrases: set[str] = set()
    for f in frags["en"]:
        words = [w.strip(".,;:!?\"'()").lower() for w in f.split()]
        en_words.update(w for w in words if w.isalpha() and len(w) >= 4)
        en_phrases.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
                          if a.isalpha() and b.isalpha() and max(len(a), len(b)) >= 4)
    zh_two: set[str] = set()
    zh_four: set[str] = set()
    cjk = re.compile(r"^[\u4e00-\u9fff]+$")
    for f in frags["zh"]:
        zh_two.update(f[i:i + 2] for i in range(len(f) - 1) if cjk.match(f[i:i + 2]))
        zh_four.update(f[i:i + 4] for i in range(len(f) - 3) if cjk.match(f[i:i + 4]))
    pools = {"en word": sorted(en_words), "en phrase": sorted(en_phrases), "zh 2-char word": sorted(zh_two),
             "zh 4-char phrase": sorted(zh_four)}
    return {name: rng.sample(pool, min(per_type, len(pool))) for name, pool in pools.items()}


def pick_terms(conn: sqlite3.Connection, size: int, frags: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per type, the 5 sampled terms whose document frequency in the generated archive is nearest
    TYPICAL_DF of the articles of their language; for single words also a COMMON_DF stress term."""
    from zsnews_crawler import search as zsearch

    per_lang = size / 2
    terms: dict[str, list[str]] = {}
    for name, pool in candidate_terms(frags, random.Random(1)).items():
        counted = []
        for term in pool:
            query = f'"{term}"' if name == "en phrase" else term
            expression = zsearch.compile_query(query)
            n = conn.execute(f"SELECT count(*) FROM [{zsearch.FTS_TABLE}] WHERE [{zsearch.FTS_TABLE}] MATCH ?",
                             [expression]).fetchone()[0]
            counted.append((n / per_lang, query))
        terms[name] = [q for _, q in sorted(counted, key=lambda c: (abs(c[0] - TYPICAL_DF), c[1]))[:5]]
        if name in ("en word", "zh 2-char word"):
            terms[name + " (common)"] = [min(counted, key=lambda c: (abs(c[0] - COMMON_DF), c[1]))[1]]
    return terms


def measure(path: Path, terms: dict[str, list[str]], samples: int, proposed: bool = False) -> dict[str, Any]:
    """p50/p95 per query type; `proposed`: the prototypes of bench/proposals.py instead of search.search."""
    from zsnews_crawler import search as zsearch
    from zsnews_crawler.storage import open_readonly

    from .proposals import patched_matched_spans, search_ranked_first

    db = open_readonly(path)
    conn = db.conn
    out: dict[str, Any] = {}
    search_fn = search_ranked_first if proposed else zsearch.search
    with patched_matched_spans() if proposed else nullcontext():
        for name, queries in terms.items():
            for dated in (False, True):
                filters = zsearch.Filters(**DATE_FILTER) if dated else None
                times = []
                results = {}
                for q in queries:  # warm the page cache for this query, as a second user would find it
                    results[q] = [(h.id, h.snippet) for h in search_fn(conn, q, filters, limit=20)]
                # The stress terms match half the archive: a few samples suffice, and keep the run short.
                rounds = max(1, (5 if name.endswith("(common)") else samples) // len(queries))
                for _ in range(rounds):
                    for q in queries:
                        t0 = time.perf_counter()
                        search_fn(conn, q, filters, limit=20)
                        times.append((time.perf_counter() - t0) * 1000)
                times.sort()
                matches = []
                for q in queries:
                    expression = zsearch.compile_query(q)
                    matches.append(conn.execute(f"SELECT count(*) FROM [{zsearch.FTS_TABLE}] "
                                                f"WHERE [{zsearch.FTS_TABLE}] MATCH ?", [expression]).fetchone()[0])
                key = name + (" + date filter" if dated else "")
                out[key] = {"queries": queries, "samples": len(times), "p50_ms": median(times),
                            "p95_ms": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))],
                            "max_ms": times[-1], "median_matches": median(matches), "stress": "common" in name,
                            "results": results}
    conn.close()
    return out


def run(quick: bool, workdir: Path, size: int | None = None) -> dict[str, Any]:
    size = size or (2_000 if quick else 200_000)
    samples = 10 if quick else 40
    path = workdir / f"search-{size}.db"
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    log(f"search: generating an archive of {size} articles")
    built = build_archive(path, size)
    log(f"search: generated in {built['generate_insert_s']:.1f}s; building the index")
    index = build_index(path)
    log(f"search: index built in {index['index_build_s']:.1f}s; querying")
    with sqlite3.connect(path) as conn:
        terms = pick_terms(conn, size, corpus_fragments())
    latencies = measure(path, terms, samples)
    log("search: the same queries with the proposed changes (bench/proposals.py)")
    from .proposals import META_TABLE, add_search_meta

    with sqlite3.connect(path) as conn:
        t0 = time.perf_counter()
        add_search_meta(conn)
        meta_s = time.perf_counter() - t0
        try:
            meta_bytes = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name = ?", [META_TABLE]).fetchone()[0]
        except sqlite3.OperationalError:
            meta_bytes = None
    proposed = measure(path, terms, samples, proposed=True)
    identical = all(proposed[k]["results"] == v["results"] for k, v in latencies.items())
    for table_ in (latencies, proposed):
        for v in table_.values():
            v.pop("results")
    typical = {k: v for k, v in latencies.items() if not v["stress"]}
    met = all(v["p95_ms"] < TARGET_P95_MS for v in typical.values())
    result = {"size": size, "samples_per_type": samples, **built, **index, "latency": latencies,
              "proposed": {"latency": proposed, "identical_results": identical, "meta_build_s": meta_s,
                           "meta_bytes": meta_bytes,
                           "met": all(v["p95_ms"] < TARGET_P95_MS for v in proposed.values() if not v["stress"])},
              "index_ratio": index["index_bytes"] / built["data_bytes"], "met": met}
    result["markdown"] = markdown(result, quick)
    for p in path.parent.glob(path.name + "*"):
        p.unlink()
    return result


def markdown(r: dict[str, Any], quick: bool) -> str:
    rows = []
    for name, v in r["latency"].items():
        ok = v["p95_ms"] < TARGET_P95_MS
        p = r["proposed"]["latency"][name]
        rows.append([name, ", ".join(v["queries"][:3]) + ("…" if len(v["queries"]) > 3 else ""),
                     int(v["median_matches"]), v["p50_ms"], v["p95_ms"],
                     "(stress, no target)" if v["stress"] else verdict(ok), p["p50_ms"], p["p95_ms"]])
    gap = []
    for name, v in r["latency"].items():
        if not v["stress"] and v["p95_ms"] >= TARGET_P95_MS:
            gap.append(f"{name}: p95 {v['p95_ms']:.0f} ms, {v['p95_ms'] / TARGET_P95_MS:.1f}x the target")
    per_article_ms = 1000 * r["index_build_s"] / r["size"]
    return (
        f"## 4. Search ({r['size']:,} generated articles, half en, half zh)\n\n"
        f"In process through `zsnews_crawler.search.search(conn, query, Filters, limit=20)` on a read-only "
        f"connection; {r['samples_per_type']} timed queries per row (5 different terms of the type, rotated) "
        f"after one warm-up each. Date filter: since {DATE_FILTER['since']} until {DATE_FILTER['until']} "
        "(about 9% of the articles).\n\n"
        + table(["query type", "terms", "median matches", "p50 ms", "p95 ms", f"p95 < {TARGET_P95_MS:.0f} ms",
                 "proposed: p50 ms", "proposed: p95 ms"], rows)
        + f"\n\n- Generating and inserting the rows: {r['generate_insert_s']:.1f} s (not part of the product).\n"
        f"- Index build (`search.rebuild`): **{r['index_build_s']:.1f} s** ({per_article_ms:.2f} ms per article).\n"
        f"- Data (title + body_text, UTF-8): {r['data_bytes'] / 2**20:,.0f} MiB; index (search tables): "
        f"{r['index_bytes'] / 2**20:,.0f} MiB = **{r['index_ratio']:.2f}x the data**; database "
        f"{r['db_bytes_before'] / 2**20:,.0f} MiB before the index, {r['db_bytes_after'] / 2**20:,.0f} MiB after.\n"
        f"- Target p95 < {TARGET_P95_MS:.0f} ms for every typical query type: **{verdict(r['met'])}**"
        + (" (" + "; ".join(gap) + ")" if gap else "") + ".\n"
        + f"- With the proposed changes (bench/proposals.py: windowed snippet mapping + ranking on a narrow "
        f"`articles_search_meta` table, built in {r['proposed']['meta_build_s']:.1f} s"
        + (f", {r['proposed']['meta_bytes'] / 2**20:,.1f} MiB" if r["proposed"]["meta_bytes"] else "")
        + f"): same hits and snippets: **{r['proposed']['identical_results']}**; target "
        f"**{verdict(r['proposed']['met'])}**.\n"
        + ("- Quick mode: a small archive; the figures say nothing about 1,000,000 articles.\n" if quick else "")
    )
