"""Run the benchmarks and write bench/RESULTS.md and bench/results.json.

    python bench/run.py            # full: every benchmark at full size (< 15 min on 2 cores)
    python bench/run.py --quick    # small sizes, < 2 min, asserts nothing about speed
    python bench/run.py --only parse,crawl --search-size 1000000 --keep

Exit status 1 when a benchmark raised (its error is in RESULTS.md); a missed
target is reported, never an error.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import warnings
from pathlib import Path

# Run as a script: import the package `bench` from the repository root, and keep
# bench/ itself off sys.path (its modules must not shadow stdlib or third-party names).
_ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(_ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != _ROOT / "bench"]

try:
    with warnings.catch_warnings():  # newspaper4k warns that nltk is missing: only its NLP needs it
        warnings.simplefilter("ignore")
        import newspaper  # noqa: F401
    import psutil  # noqa: F401
except ImportError as exc:
    sys.exit(f"bench/run.py needs the bench extra: pip install -e '.[bench]' ({exc})")

from bench import crawl, parse, profiling, search  # noqa: E402
from bench.common import BENCH, log, machine, table  # noqa: E402

STAGES = ("parse", "crawl", "search", "profile")


def main() -> int:
    parser = argparse.ArgumentParser(description="zsnews-crawler benchmarks")
    parser.add_argument("--quick", action="store_true", help="small sizes, every benchmark, under 2 minutes")
    parser.add_argument("--only", default=",".join(STAGES), help=f"comma-separated subset of {','.join(STAGES)}")
    parser.add_argument("--search-size", type=int, default=None,
                        help="articles in the search archive (default 2,000 quick, 200,000 full)")
    parser.add_argument("--out", type=Path, default=BENCH, help="folder for RESULTS.md and results.json")
    parser.add_argument("--keep", action="store_true", help="keep the temporary work folder")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other benchmarks of the results.json already in --out, replace only these")
    args = parser.parse_args()
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(STAGES)
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(sorted(unknown))}")

    # On SIGTERM unwind normally: the mirror and crawl processes are stopped, the work folder removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    workdir = Path(tempfile.mkdtemp(prefix="zsnews-bench-"))
    log(f"work folder {workdir}; mode {'quick' if args.quick else 'full'}; running {', '.join(only)}")
    results: dict = {"mode": "quick" if args.quick else "full", "machine": machine(), "benchmarks": {}}
    previous = args.out / "results.json"
    if args.merge and previous.is_file():
        earlier = json.loads(previous.read_text(encoding="utf-8"))
        if earlier.get("mode") != results["mode"]:
            parser.error(f"--merge: {previous} holds a {earlier.get('mode')} run, this is a {results['mode']} run")
        results["benchmarks"] = {k: v for k, v in earlier["benchmarks"].items() if k not in only and "markdown" in v}
    errors: dict[str, str] = {}
    try:
        run_stages(args, only, workdir, results, errors)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    write(results, args.out)
    log(f"total {results['total_seconds']:.0f}s; wrote {args.out / 'RESULTS.md'}")
    return 1 if errors else 0


def run_stages(args: argparse.Namespace, only: list[str], workdir: Path, results: dict, errors: dict) -> None:
    for stage in STAGES:
        if stage not in only:
            continue
        t0 = time.perf_counter()
        load_before = os.getloadavg()[0]
        try:
            if stage == "parse":
                r = parse.run(args.quick, workdir)
            elif stage == "crawl":
                r = crawl.run(args.quick, workdir)
            elif stage == "search":
                r = search.run(args.quick, workdir, size=args.search_size)
            else:
                r = profiling.run(args.quick, workdir, results["benchmarks"])
        except Exception as exc:
            log(f"{stage} failed: {exc!r}")
            errors[stage] = traceback.format_exc()
            r = {"error": f"{type(exc).__name__}: {exc}",
                 "markdown": f"## {stage}\n\n**Failed**: `{type(exc).__name__}: {exc}`\n\n```\n"
                             f"{traceback.format_exc()[-2500:]}```"}
        r["seconds"] = time.perf_counter() - t0
        r["loadavg_1min"] = [load_before, os.getloadavg()[0]]
        r["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        results["benchmarks"][stage] = r
        log(f"{stage} done in {r['seconds']:.0f}s")
    results["total_seconds"] = sum(r["seconds"] for r in results["benchmarks"].values())


def write(results: dict, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    m = results["machine"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    head = [
        "# Benchmark results",
        "",
        f"Written by `python bench/run.py{' --quick' if results['mode'] == 'quick' else ''}` "
        f"({results['mode']} mode); the benchmarks took {results['total_seconds']:.0f} s in all. "
        "See bench/README.md for the method and bench/PROPOSALS.md for the proposed changes.",
        "",
        table(["", ""], [
            ["date (UTC)", m["date"]], ["CPU", m["cpu"]], ["cores", m["cores"]], ["RAM", f"{m['ram_gb']} GB"],
            ["Python", m["python"]], ["SQLite", m["sqlite"]], ["platform", m["platform"]], ["libraries", libs],
            ["git commit", m["git_commit"]],
        ]),
        "",
    ]
    if results["mode"] == "quick":
        head += ["**Quick mode**: small sizes and few runs; the figures only show that every benchmark runs.", ""]
    head += ["The machine is shared: other sessions' test runs may use the same 2 cores during a benchmark "
             "(see the load averages under Run time); ratios are taken within one run to cancel most of it.", ""]
    body = [results["benchmarks"][s]["markdown"] for s in STAGES if s in results["benchmarks"]]
    times = table(["benchmark", "seconds", "finished (UTC)", "1-min load average before / after"],
                  [[s, r["seconds"], r.get("finished_at", ""),
                    f"{r['loadavg_1min'][0]:.2f} / {r['loadavg_1min'][1]:.2f}"]
                   for s, r in sorted(results["benchmarks"].items(), key=lambda kv: STAGES.index(kv[0]))])
    (out / "RESULTS.md").write_text("\n".join(head) + "\n\n".join(body) + "\n\n## Run time\n\n" + times + "\n",
                                    encoding="utf-8")
    data = results  # the Markdown of each benchmark stays in, for --merge
    (out / "results.json").write_text(json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n",
                                      encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
