"""`zsnews`: the command line, a thin layer over the library."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path

import click

from . import storage
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
def mirror(root: str | None, port_en: int, port_zh: int) -> None:
    """Serve a local copy of both sites on 127.0.0.1 until interrupted.

    Example: zsnews mirror --port-en 8001 --port-zh 8002
    """
    try:
        running = start_mirror(root or default_root(), {"en": port_en, "zh": port_zh})
    except MirrorError as exc:
        raise click.ClickException(str(exc)) from None
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
    """Short summary of the archive: articles per language and section, failures."""
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


if __name__ == "__main__":
    main()
