"""`zsnews`: the command line, a thin layer over the library."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import click

from . import export, search, stats, storage
from .mirror import MirrorError, default_root, start_mirror
from .normalize import normalize_article
from .pages import NotAnArticle, extract_article

db_option = click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), default=None,
    help="Archive file (default: $ZSNEWS_ARCHIVE_DB or archive/zsnews.db).",
)


def _db_path(db_path: str | None) -> str:
    return db_path or storage.default_db_path()


def _open_readonly(db_path: str | None):
    try:
        return storage.open_readonly(_db_path(db_path))
    except storage.ArchiveError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="zsnews-crawler")
def main() -> None:
    """Archive Zhongshan Daily (en.zsnews.cn, www.zsnews.cn) into SQLite."""


@main.command()
@click.option("--root", type=click.Path(file_okay=False, exists=True), default=None,
              help="Site folder with one subfolder per host (default: the bundled fixture site).")
@click.option("--port-en", type=click.IntRange(0, 65535), default=0, help="Port for en.zsnews.cn (0: any free port).")
@click.option("--port-zh", type=click.IntRange(0, 65535), default=0, help="Port for www.zsnews.cn (0: any free port).")
@click.option("--faults", default=None, metavar="SPEC",
              help="Inject faults, shares per kind: e.g. 500=0.1,503=0.1,reset=0.05,slow=0.02,truncate=0.05,"
                   "404=0.02,redirect_loop=0.02,error_page=0.02,binary=0.02,huge=0.02,charset=0.05,tracking=0.3.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the fault decisions.")
@click.option("--slow-seconds", type=click.FloatRange(min=0), default=3.0, show_default=True,
              help="How long a 'slow' answer waits.")
@click.option("--lasting-on", type=click.Choice(["articles", "all"]), default="articles", show_default=True,
              help="Pages that lasting faults (404, redirect_loop, error_page, binary, huge, charset) may hit.")
def mirror(root: str | None, port_en: int, port_zh: int, faults: str | None, seed: int,
           slow_seconds: float, lasting_on: str) -> None:
    """Serve a local copy of both sites on 127.0.0.1 until interrupted.

    Example: zsnews mirror --port-en 8001 --port-zh 8002 --faults 503=0.2,reset=0.05 --seed 7
    """
    options = {"slow_seconds": slow_seconds, "lasting_on": lasting_on} if faults else {}
    try:
        running = start_mirror(root or default_root(), {"en": port_en, "zh": port_zh},
                               faults=faults, seed=seed, **options)
    except MirrorError as exc:
        raise click.UsageError(str(exc)) if "fault" in str(exc) else click.ClickException(str(exc)) from None
    for lang, url in running.base_urls.items():
        click.echo(f"{lang} {url}")
    sys.stdout.flush()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        running.shutdown()
        if running.faults is not None:
            injected = ", ".join(f"{k} {n}" for k, n in sorted(running.faults.injected.items()))
            click.echo(f"faults injected: {injected or 'none'}", err=True)


@main.command()
@click.option("--url", required=True, help="The page's URL on the real site (decides language and id).")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
def extract(url: str, file: str) -> None:
    """Print the extraction of a saved page as JSON.

    Example: zsnews extract --url https://en.zsnews.cn/News/content/376/40943.html page.html
    """
    try:
        article = normalize_article(extract_article(url, Path(file).read_bytes()))
    except NotAnArticle as exc:
        click.echo(f"Error: not an article: {exc}", err=True)
        sys.exit(1)
    record = article.to_dict()
    for key in ("fetched_url", "fetched_at", "next_page"):
        record.pop(key)
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


def print_summary(db) -> None:
    """Articles per language and section, and failures."""
    click.echo("articles per language and section:")
    rows = db.query(
        "SELECT lang, section, count(*) AS n FROM articles GROUP BY lang, section ORDER BY lang, n DESC"
    )
    for row in rows:
        section = " > ".join(json.loads(row["section"] or "[]")) or "(none)"
        click.echo(f"  {row['lang']}  {row['n']:4d}  {section}")
    totals = {r["lang"]: r["n"] for r in db.query("SELECT lang, count(*) AS n FROM articles GROUP BY lang")}
    click.echo("total: " + ", ".join(f"{lang} {n}" for lang, n in sorted(totals.items())))
    failures = list(db.query("SELECT kind, url, reason FROM failures ORDER BY kind, url"))
    click.echo(f"failures: {len(failures)}")
    for row in failures:
        click.echo(f"  {row['kind']}  {row['url']}  ({row['reason']})")


@main.command()
@db_option
def summary(db_path: str | None) -> None:
    """Short summary of the archive: articles per language and section, failures.

    Example: zsnews summary --db archive/demo.db
    """
    print_summary(_open_readonly(db_path))


@main.command()
@click.option("--db", "db_path", type=click.Path(dir_okay=False), default="archive/demo.db",
              show_default=True, help="Archive to crawl into.")
def demo(db_path: str) -> None:
    """Crawl both languages of the bundled fixture site (served by the mirror) into --db."""
    from .runner import run_spiders

    Path(db_path).unlink(missing_ok=True)
    running = start_mirror(default_root())
    try:
        click.echo("mirror: " + ", ".join(f"{k} {v}" for k, v in running.base_urls.items()))
        run_spiders(["en", "zh"], {
            "ZSNEWS_EN_BASE_URL": running.base_urls["en"],
            "ZSNEWS_ZH_BASE_URL": running.base_urls["zh"],
            "ARCHIVE_DB": db_path,
            # Our own loopback server: no need to be gentle with it.
            "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "LOG_LEVEL": "WARNING",
        })
    finally:
        running.shutdown()
    click.echo(f"archive: {db_path}")
    print_summary(_open_readonly(db_path))


# --- research: search, export, stats, reindex, serve ---------------------------


class OneLineUsageError(click.ClickException):
    """A bad query or filter: one line on stderr, exit code 2 like click's usage errors."""

    exit_code = 2


def filter_options(command):
    """--lang, --since, --until, --section, --source (shared by search and export)."""
    options = [
        click.option("--lang", type=click.Choice(["en", "zh"]), default=None, help="Only this language."),
        click.option("--since", default=None, help="Published on or after this date (YYYY-MM-DD, YYYY-MM, YYYY)."),
        click.option("--until", default=None, help="Published on or before this date (inclusive; 2024-03 = March)."),
        click.option("--section", default=None, help="Only articles with this section anywhere in their path."),
        click.option("--source", default=None, help="Only articles credited to this source (exact)."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _filters(lang, since, until, section, source) -> search.Filters:
    try:
        return search.Filters(lang=lang, since=since, until=until, section=section, source=source)
    except search.SearchError as exc:
        raise OneLineUsageError(str(exc)) from None


def _check_query(query: str) -> None:
    try:
        search.compile_query(query)
    except search.SearchError as exc:
        raise OneLineUsageError(str(exc)) from None


def _no_index(db_path: str | None) -> click.ClickException:
    return click.ClickException(f"the archive has no search index: run zsnews reindex --db {_db_path(db_path)}")


@main.command("search")
@click.argument("query")
@filter_options
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True, help="Most results to show.")
@click.option("--format", "output_format", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True)
@db_option
def search_command(query, lang, since, until, section, source, limit, output_format, db_path) -> None:
    """Full-text search in English or Chinese, best matches first.

    QUERY uses FTS5 syntax: words (all must match), "a phrase", prefix*, OR,
    NOT, title:word. A Chinese word of two characters or more finds every
    article containing it.

    Example: zsnews search --lang zh "深中通道 开通"
    """
    filters = _filters(lang, since, until, section, source)
    _check_query(query)
    db = _open_readonly(db_path)
    try:
        hits = search.search(db.conn, query, filters, limit=limit)
    except search.SearchError as exc:
        raise OneLineUsageError(str(exc)) from None
    except search.IndexMissing:
        raise _no_index(db_path) from None
    records = [hit.__dict__ for hit in hits]
    if output_format == "json":
        click.echo(json.dumps(records, ensure_ascii=False, indent=2))
    elif output_format == "csv":
        import csv

        writer = csv.DictWriter(sys.stdout, fieldnames=list(search.SearchHit.__annotations__))
        writer.writeheader()
        writer.writerows(records)
    else:
        for hit in hits:
            click.echo(f"{hit.id}  {(hit.published or '')[:10]:10}  {hit.title or '(no title)'}")
            click.echo(f"    {hit.snippet}")
        click.echo(f"{len(hits)} result{'s' if len(hits) != 1 else ''}", err=True)


@main.command("export")
@click.option("--format", "output_format", type=click.Choice(export.FORMATS), default="jsonl", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="File to write (default: stdout; required for parquet).")
@click.option("--query", default=None, help="Only articles matching this search query.")
@filter_options
@db_option
def export_command(output_format, output, query, lang, since, until, section, source, db_path) -> None:
    """Export articles with their images to JSON Lines, CSV or Parquet.

    Example: zsnews export --lang en --since 2024-01 --format parquet -o en-2024.parquet
    """
    filters = _filters(lang, since, until, section, source)
    if query is not None:
        _check_query(query)
    if output_format == "parquet" and not output:
        raise OneLineUsageError("--format parquet writes a file: pass --output FILE.parquet")
    db = _open_readonly(db_path)
    try:
        if output_format == "parquet":
            count = export.export(db.conn, output_format, path=output, filters=filters, query=query)
        elif output:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                count = export.export(db.conn, output_format, out=fh, filters=filters, query=query)
        else:
            count = export.export(db.conn, output_format, out=sys.stdout,
                                  filters=filters, query=query)
    except export.ExportError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"exported {count} article{'s' if count != 1 else ''}" + (f" to {output}" if output else ""),
               err=True)


@main.command("stats")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Also draw articles per month per language to this PNG file.")
@db_option
def stats_command(output_format, plot, db_path) -> None:
    """Counts by language, section, source and month; date ranges; failures by kind.

    Example: zsnews stats --db archive/demo.db --plot months.png
    """
    counts = stats.collect(_open_readonly(db_path).conn)
    if output_format == "json":
        click.echo(json.dumps(counts, ensure_ascii=False, indent=2))
    else:
        click.echo(stats.format_table(counts))
    if plot:
        try:
            stats.plot_months(counts, plot)
        except stats.PlotError as exc:
            raise click.ClickException(str(exc)) from None
        click.echo(f"plot: {plot}", err=True)


@main.command()
@db_option
def reindex(db_path) -> None:
    """Rebuild the full-text search index from the articles table.

    Example: zsnews reindex --db archive/zsnews.db
    """
    path = _db_path(db_path)
    if not Path(path).is_file():
        raise click.ClickException(f"no archive at {path} (crawl first, or pass --db)")
    archive = storage.Archive(path)
    try:
        count = search.rebuild(archive.db.conn)
    finally:
        archive.close()
    click.echo(f"indexed {count} article{'s' if count != 1 else ''} in {path}")


@main.command()
@db_option
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
def serve(db_path, port) -> None:
    """Browse and search the archive in Datasette on http://127.0.0.1:PORT/ (read-only).

    Example: zsnews serve --db archive/demo.db --port 8001
    """
    import uvicorn

    from .datasette import make_datasette

    path = _db_path(db_path)
    _open_readonly(path).conn.close()  # a clear error for a missing or foreign file
    ds = make_datasette(path)
    click.echo(f"serving {path} on http://127.0.0.1:{port}/{Path(path).stem} (Ctrl-C to stop)", err=True)
    uvicorn.run(ds.app(), host="127.0.0.1", port=port, log_level="warning")


def _pairs(values: tuple[str, ...], what: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", param_hint=what)
        pairs[key.strip()] = val
    return pairs


EXIT_LOCKED = 75  # EX_TEMPFAIL: cron may try again later


@main.command()
@click.argument("which", type=click.Choice(["en", "zh", "all"]), default="all")
@click.option("-a", "spider_args", multiple=True, metavar="NAME=VALUE",
              help="Spider argument (since, until, sections, max_pages, refresh, full); repeatable.")
@click.option("-s", "settings", multiple=True, metavar="NAME=VALUE", help="Scrapy setting; repeatable.")
@click.option("--log-level", default="INFO", show_default=True,
              type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]))
@db_option
def crawl(which: str, spider_args: tuple[str, ...], settings: tuple[str, ...], log_level: str,
          db_path: str | None) -> None:
    """Crawl as cron should: one run at a time, logged, resumable; exit 0 only on success.

    Exit codes: 0 success; 1 a spider failed (layout drift, bad argument, interrupted);
    2 usage error; 75 another crawl is running.

    Example: zsnews crawl all -a refresh=3
    """
    from .cron import LockHeld, run_crawl

    langs = ["en", "zh"] if which == "all" else [which]
    args = _pairs(spider_args, "-a")
    overrides = _pairs(settings, "-s")
    try:
        outcomes = run_crawl(langs, _db_path(db_path), args, overrides, log_level)
    except LockHeld as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_LOCKED)
    for outcome in outcomes:
        stats = outcome.stats
        click.echo(
            f"{outcome.spider}: {outcome.status} ({outcome.finish_reason}); "
            f"{stats.get('zsnews/articles_new', 0)} new, {stats.get('zsnews/articles_updated', 0)} updated, "
            f"{stats.get('zsnews/articles_unchanged', 0)} unchanged, "
            f"{sum(v for k, v in stats.items() if k.startswith('zsnews/failures/'))} failures, "
            f"{stats.get('downloader/request_count', 0)} requests"
        )
    if not all(o.ok for o in outcomes):
        sys.exit(1)


@main.command()
@click.option("--since", default=None, help="Only captures made on or after this date.")
@click.option("--warc-dir", type=click.Path(file_okay=False), default=None,
              help="Folder of WARC captures (default: warc/{archive name}/ beside the archive).")
@db_option
def reparse(since: str | None, warc_dir: str | None, db_path: str | None) -> None:
    """Re-run the current parsers over the raw WARC captures, without any network request.

    Example: zsnews reparse --since 2024-01-01
    """
    from .dates import DateError, parse_date_arg
    from .reparse import reparse as run_reparse
    from .warc import default_warc_dir

    try:
        since_day = parse_date_arg(since, "--since")
    except DateError as exc:
        raise click.UsageError(str(exc)) from None
    path = _db_path(db_path)
    folder = Path(warc_dir) if warc_dir else default_warc_dir(path)
    if not folder.is_dir():
        raise click.ClickException(f"no WARC captures in {folder}")
    counts = run_reparse(folder, path, since_day.isoformat() if since_day else None)
    click.echo(", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "no article captures")


@main.command()
@click.option("--lang", type=click.Choice(["en", "zh"]), default=None)
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table")
@db_option
def failures(lang: str | None, output_format: str, db_path: str | None) -> None:
    """List pages that failed (URL, kind, HTTP status, reason, attempts).

    Example: zsnews failures --lang zh
    """
    db = _open_readonly(db_path)
    rows = list(db.query(
        "SELECT url, lang, kind, status, reason, attempts, first_seen, last_seen FROM failures "
        "WHERE (:lang IS NULL OR lang = :lang) ORDER BY last_seen DESC, url", {"lang": lang}))
    if output_format == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        click.echo(f"{row['last_seen']}  {row['kind']:<12} x{row['attempts']}  {row['url']}  {row['reason']}")
    click.echo(f"{len(rows)} failures")


@main.command()
@click.option("--limit", type=click.IntRange(1, None), default=20, show_default=True)
@db_option
def runs(limit: int, db_path: str | None) -> None:
    """List the latest crawl runs with their counts and status.

    Example: zsnews runs --limit 5
    """
    db = _open_readonly(db_path)
    for row in db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT ?", [limit]):
        click.echo(
            f"#{row['id']} {row['spider']} {row['started']} -> {row['finished']} {row['status']} "
            f"({row['finish_reason']}): {row['pages_fetched']} pages, {row['articles_new']} new, "
            f"{row['articles_updated']} updated, {row['articles_unchanged']} unchanged, "
            f"{row['failures']} failures"
        )


if __name__ == "__main__":
    main()
