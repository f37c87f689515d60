"""Crawl benchmark: our spiders end to end (scrapy crawl -> parse -> pipelines ->
SQLite) against the bare spider that only downloads the same pages, on a
generated site served by the mirror in its own process; then the incremental
re-crawl after 1% new articles.

Each crawl is one `scrapy crawl` (or `scrapy runspider`) process per
language, run one after the other; its CPU time and peak RSS come from
`os.wait4` (the kernel's rusage of that child), its elapsed time and request
counts from the stats (bench/stats_ext.py). Peak RSS is the child's VmHWM
read from /proc every 0.1 s (ru_maxrss would include the parent's RSS at fork). Politeness is off for the
benchmark only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from .common import PYTHON, ROOT, log, median, table, verdict
from .gen_site import build_site

LANGS = ("en", "zh")
FAST = {
    "DOWNLOAD_DELAY": "0", "AUTOTHROTTLE_ENABLED": "False", "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16", "ROBOTSTXT_OBEY": "True", "LOG_LEVEL": "INFO",
    "TELNETCONSOLE_ENABLED": "False", "COOKIES_ENABLED": "False",
    "EXTENSIONS": json.dumps({"bench.stats_ext.JsonStats": 900}),
}
TARGET_RATIO = 0.75
TARGET_PEAK_MB = 300
TARGET_GROWTH_MB = 50
TARGET_REQUESTS_PER_NEW = 1.2

_MIRROR_CODE = (
    "import json, sys, threading\n"
    "from zsnews_crawler.mirror import start_mirror\n"
    "m = start_mirror(sys.argv[1])\n"
    "print(json.dumps(m.base_urls), flush=True)\n"
    "threading.Event().wait()\n"
)


class MirrorProcess:
    """`zsnews_crawler.mirror.start_mirror(root)` in a separate Python process."""

    def __init__(self, root: Path):
        self.proc = subprocess.Popen([PYTHON, "-c", _MIRROR_CODE, str(root)], cwd=ROOT, stdout=subprocess.PIPE,
                                     text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
                                     preexec_fn=die_with_parent)
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            raise RuntimeError("mirror process did not start")
        self.base_urls: dict[str, str] = json.loads(line)
        self.ps = psutil.Process(self.proc.pid)

    def cpu_seconds(self) -> float:
        t = self.ps.cpu_times()
        return t.user + t.system

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the benchmark process dies (Linux prctl)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _settings_args(settings: dict[str, str]) -> list[str]:
    args = []
    for key, value in settings.items():
        args += ["-s", f"{key}={value}"]
    return args


def _vm_hwm_mb(pid: int) -> float | None:
    """The process's peak resident set so far (VmHWM), in MiB."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_process(cmd: list[str], cwd: Path, log_file: Path) -> dict[str, Any]:
    """Run a crawl process; its wall time, CPU seconds (kernel rusage) and peak RSS.

    Peak RSS is the child's own VmHWM, read every 0.1 s until it exits: rusage's ru_maxrss is no use
    here, as Linux carries the parent's RSS at fork into the child's maximum.
    """
    samples: list[tuple[float, float]] = []
    peak = [0.0]
    start = time.perf_counter()
    with open(log_file, "w", encoding="utf-8") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err,
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=die_with_parent)
        stop = threading.Event()

        def sample() -> None:
            tick = 0
            while not stop.wait(0.1):
                hwm = _vm_hwm_mb(proc.pid)
                if hwm is None:
                    break
                peak[0] = max(peak[0], hwm)
                tick += 1
                if tick % 10 == 0:  # an RSS time series, one point a second
                    try:
                        samples.append((round(time.perf_counter() - start, 1),
                                        round(psutil.Process(proc.pid).memory_info().rss / 2**20, 1)))
                    except psutil.Error:
                        break

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}... exited {proc.returncode}; see {log_file}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": peak[0],
            "rss_series_mb": samples}


def crawl_once(kind: str, lang: str, mirror: MirrorProcess, workdir: Path, db: Path, tag: str) -> dict[str, Any]:
    """One process, one language: "ours" (scrapy crawl), "proposed" (ours with the stop rule of
    bench/incremental_proposal.py) or "bare" (scrapy runspider)."""
    stats_file = workdir / f"stats-{tag}-{kind}-{lang}.json"
    log_file = workdir / f"log-{tag}-{kind}-{lang}.txt"
    settings = {**FAST, "BENCH_STATS_FILE": str(stats_file)}
    base = mirror.base_urls[lang]
    if kind in ("ours", "proposed"):
        settings[f"ZSNEWS_{lang.upper()}_BASE_URL"] = base
        settings["ARCHIVE_DB"] = str(db)
        spider = f"zsnews_{lang}"
        if kind == "proposed":
            settings["SPIDER_MODULES"] = "bench.incremental_proposal"
            spider += "_proposed"
        cmd = [PYTHON, "-m", "scrapy", "crawl", spider, *_settings_args(settings)]
        cwd = ROOT  # the project's scrapy.cfg and settings
    else:
        cmd = [PYTHON, "-m", "scrapy", "runspider", str(ROOT / "bench" / "bare_spider.py"), "-a", f"base={base}",
               "-a", f"lang={lang}", *_settings_args(settings)]
        cwd = workdir  # no scrapy.cfg here: Scrapy's defaults plus the settings above
    mirror_cpu = mirror.cpu_seconds()
    result = run_process(cmd, cwd, log_file)
    result["mirror_cpu_s"] = mirror.cpu_seconds() - mirror_cpu
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    result["elapsed_s"] = stats.get("elapsed_time_seconds") or result["wall_s"]
    result["requests"] = stats.get("downloader/request_count", 0)
    result["responses"] = stats.get("downloader/response_count", 0)
    result["listing_pages"] = stats.get("zsnews/listing_pages")
    result["stats"] = {k: v for k, v in stats.items() if k.startswith(("zsnews/", "downloader/response_status",
                                                                      "item_", "robotstxt/", "finish_reason"))}
    if kind != "bare":
        with sqlite3.connect(db) as conn:
            result["articles"] = conn.execute("SELECT count(*) FROM articles WHERE lang = ?", [lang]).fetchone()[0]
        result["articles_new"] = stats.get("zsnews/articles_new", 0)
    else:
        result["articles"] = stats.get("bare/articles", 0)
    return result


def crawl_both(kind: str, mirror: MirrorProcess, workdir: Path, db: Path, tag: str) -> dict[str, Any]:
    per_lang = {lang: crawl_once(kind, lang, mirror, workdir, db, tag) for lang in LANGS}
    articles = sum(r["articles"] for r in per_lang.values())
    elapsed = sum(r["elapsed_s"] for r in per_lang.values())
    cpu = sum(r["cpu_s"] for r in per_lang.values())
    return {
        "articles": articles, "elapsed_s": elapsed, "articles_per_s": articles / elapsed,
        "cpu_s": cpu, "cpu_s_per_1000": 1000 * cpu / max(articles, 1),
        "peak_rss_mb": max(r["peak_rss_mb"] for r in per_lang.values()),
        "requests": sum(r["requests"] for r in per_lang.values()),
        "mirror_cpu_s": sum(r["mirror_cpu_s"] for r in per_lang.values()),
        "per_lang": per_lang,
    }


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("articles", "elapsed_s", "articles_per_s", "cpu_s_per_1000", "peak_rss_mb", "requests", "mirror_cpu_s")
    return {k: median([r[k] for r in runs]) for k in keys}


def run(quick: bool, workdir: Path) -> dict[str, Any]:
    sizes = [500] if quick else [1000, 10_000]
    repeats = 1 if quick else 3
    result: dict[str, Any] = {"sizes": sizes, "repeats": repeats, "by_size": {}}
    last_db: Path | None = None
    last_root: Path | None = None
    for size in sizes:
        root = workdir / f"site-{size}"
        t0 = time.perf_counter()
        built = build_site(root, size)
        log(f"crawl: generated site of {size} articles in {time.perf_counter() - t0:.1f}s: {built}")
        mirror = MirrorProcess(root)
        try:
            runs: dict[str, list[dict[str, Any]]] = {"ours": [], "bare": []}
            for i in range(repeats):
                for kind in ("ours", "bare") if i % 2 == 0 else ("bare", "ours"):
                    db = workdir / f"archive-{size}-{i}.db"
                    runs[kind].append(crawl_both(kind, mirror, workdir, db, f"{size}-{i}"))
                    r = runs[kind][-1]
                    log(f"crawl {size} #{i} {kind}: {r['articles']} articles in {r['elapsed_s']:.1f}s "
                        f"({r['articles_per_s']:.0f}/s), cpu {r['cpu_s']:.1f}s, peak {r['peak_rss_mb']:.0f} MB")
                    if kind == "ours":
                        last_db = db
            ratios = [o["articles_per_s"] / b["articles_per_s"]
                      for o, b in zip(runs["ours"], runs["bare"], strict=True)]
            result["by_size"][size] = {
                "generated": built, "runs": runs, "ours": _summary(runs["ours"]), "bare": _summary(runs["bare"]),
                "ratio_per_repeat": ratios, "ratio": median(ratios),
            }
        finally:
            mirror.stop()
        last_root = root
    result["incremental"] = incremental(sizes[-1], last_root, last_db, workdir) if last_db and last_root else None
    big, small = result["by_size"][sizes[-1]], result["by_size"][sizes[0]]
    result["peak_rss_mb"] = big["ours"]["peak_rss_mb"]
    result["rss_growth_mb"] = big["ours"]["peak_rss_mb"] - small["ours"]["peak_rss_mb"] if len(sizes) > 1 else None
    result["met_rate"] = big["ratio"] >= TARGET_RATIO
    result["met_rss"] = result["peak_rss_mb"] < TARGET_PEAK_MB and (
        result["rss_growth_mb"] is None or result["rss_growth_mb"] < TARGET_GROWTH_MB)
    result["markdown"] = markdown(result)
    return result


def incremental(size: int, root: Path, db: Path, workdir: Path) -> dict[str, Any]:
    """Grow the site by 1% (new ids on top of listings and API) and re-crawl into the archive of the
    last full crawl: with our spiders, and (on a copy of the same archive) with the proposed stop rule."""
    before = build_site(root, size)
    grown = build_site(root, size, add_percent=1.0)
    new = sum(grown[f"{lang}_articles"] - before[f"{lang}_articles"] for lang in LANGS)
    copy = db.with_name(db.stem + "-copy.db")
    with sqlite3.connect(db) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    mirror = MirrorProcess(root)
    out: dict[str, Any] = {"site_articles": size, "new_articles": new}
    try:
        for kind, archive in (("ours", db), ("proposed", copy)):
            r = crawl_both(kind, mirror, workdir, archive, f"{size}-incremental")
            stored_new = sum(x.get("articles_new", 0) for x in r["per_lang"].values())
            per_new = r["requests"] / max(new, 1)
            log(f"incremental {kind}: {new} new articles, {r['requests']} requests ({per_new:.2f} per new "
                f"article), {stored_new} stored as new")
            out[kind] = {
                "requests": r["requests"], "requests_per_new": per_new, "stored_new": stored_new,
                "elapsed_s": r["elapsed_s"],
                "per_lang": {lang: {k: x.get(k) for k in ("requests", "articles", "articles_new", "listing_pages",
                                                           "stats")}
                             for lang, x in r["per_lang"].items()},
                "met": per_new <= TARGET_REQUESTS_PER_NEW,
            }
    finally:
        mirror.stop()
    out.update({k: out["ours"][k] for k in ("requests", "requests_per_new", "stored_new", "met")})
    return out


def markdown(r: dict[str, Any]) -> str:
    rows = []
    for size, s in r["by_size"].items():
        for kind in ("ours", "bare"):
            m = s[kind]
            rows.append([size, kind, int(m["articles"]), m["articles_per_s"], m["cpu_s_per_1000"], m["peak_rss_mb"],
                         int(m["requests"]), m["elapsed_s"], m["mirror_cpu_s"]])
        rows.append([size, "ours / bare", "", s["ratio"], "", "", "", "", ""])
    big = r["by_size"][r["sizes"][-1]]
    lines = [
        "## 2. Crawl (generated site, mirror in a separate process)\n",
        f"Median of {r['repeats']} run(s) per kind and size, ours and bare interleaved; one process per language "
        "(en then zh), figures summed over both (peak RSS: the larger of the two). articles/s = articles / "
        "spider elapsed time (Scrapy's `elapsed_time_seconds`); CPU from the kernel's rusage of the crawl "
        "process (`os.wait4`), peak RSS from its VmHWM (/proc, read every 0.1 s). "
        "The mirror (Python's ThreadingHTTPServer) shares the 2 cores: its "
        "CPU seconds during the runs are in the last column.\n",
        table(["articles", "spider", "stored / fetched", "articles/s", "CPU s per 1,000", "peak RSS MB",
               "requests", "elapsed s", "mirror CPU s"], rows),
        "",
        f"- Rate ours/bare at {r['sizes'][-1]}: **{big['ratio']:.2f}** (per repeat: "
        f"{', '.join(f'{x:.2f}' for x in big['ratio_per_repeat'])}); target >= {TARGET_RATIO:.2f}: "
        f"**{verdict(r['met_rate'])}**.",
        f"- Peak RSS of ours at {r['sizes'][-1]}: {r['peak_rss_mb']:.0f} MB (target < {TARGET_PEAK_MB}); growth "
        + (f"from {r['sizes'][0]} to {r['sizes'][-1]}: {r['rss_growth_mb']:+.1f} MB (target < {TARGET_GROWTH_MB})"
           if r["rss_growth_mb"] is not None else "not measured (one size only in quick mode)")
        + f": **{verdict(r['met_rss'])}**.",
    ]
    inc = r.get("incremental")
    if inc:
        rows = []
        for kind, label in (("ours", "ours (now)"), ("proposed", "proposed stop rule")):
            x = inc[kind]
            listing = sum((v["listing_pages"] or 0) for v in x["per_lang"].values())
            rows.append([label, inc["new_articles"], x["requests"], listing, x["requests_per_new"], x["stored_new"],
                         x["elapsed_s"], verdict(x["met"])])
        lines += [
            "\n## 3. Incremental re-crawl\n",
            f"Site of {inc['site_articles']} articles grown by 1% ({inc['new_articles']} new ids on top of the "
            "listings and the API), crawled again into the archive of the last full crawl (one run each; the "
            "proposed rule, bench/incremental_proposal.py, runs on a copy of the same archive). Requests = "
            "`downloader/request_count`, robots.txt included.\n",
            table(["spider", "new articles", "requests", "listing pages", "requests per new article",
                   "stored as new", "elapsed s", f"<= {TARGET_REQUESTS_PER_NEW}"], rows),
        ]
    return "\n".join(lines)
