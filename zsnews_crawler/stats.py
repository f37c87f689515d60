"""Counts over the archive for a researcher's first look, and a plot of them."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from typing import Any


class PlotError(Exception):
    """The plot cannot be drawn (matplotlib missing)."""


def _rows(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


def collect(conn: sqlite3.Connection) -> dict[str, Any]:
    """Counts by language, section, source, month; date range per language; failures by kind.

    Sections are counted by full path (["News", "Local"] -> "News > Local");
    months are YYYY-MM of `published` (articles without a date are left out
    of by_month).
    """
    by_lang = {lang: n for lang, n in _rows(conn, "SELECT lang, count(*) FROM articles GROUP BY lang ORDER BY lang")}
    date_range = {
        lang: {"first": first, "last": last}
        for lang, first, last in _rows(
            conn, "SELECT lang, min(published), max(published) FROM articles GROUP BY lang ORDER BY lang"
        )
    }
    by_section = [
        {"lang": lang, "section": " > ".join(json.loads(section or "[]")), "articles": n}
        for lang, section, n in _rows(
            conn, "SELECT lang, section, count(*) AS n FROM articles GROUP BY lang, section ORDER BY lang, n DESC"
        )
    ]
    by_source = [
        {"lang": lang, "source": source, "articles": n}
        for lang, source, n in _rows(
            conn, "SELECT lang, source, count(*) AS n FROM articles GROUP BY lang, source ORDER BY lang, n DESC"
        )
    ]
    by_month = [
        {"month": month, "lang": lang, "articles": n}
        for month, lang, n in _rows(
            conn,
            """SELECT substr(published, 1, 7) AS month, lang, count(*) FROM articles
               WHERE published IS NOT NULL GROUP BY month, lang ORDER BY month, lang""",
        )
    ]
    failures = {kind: n for kind, n in _rows(conn, "SELECT kind, count(*) FROM failures GROUP BY kind ORDER BY kind")}
    return {
        "articles": sum(by_lang.values()),
        "by_lang": by_lang,
        "published_range": date_range,
        "by_section": by_section,
        "by_source": by_source,
        "by_month": by_month,
        "failures": sum(failures.values()),
        "failures_by_kind": failures,
    }


def format_table(stats: dict[str, Any]) -> str:
    """The stats as aligned plain text, one block per count."""
    lines = [f"articles: {stats['articles']}"]
    for lang, n in stats["by_lang"].items():
        span = stats["published_range"].get(lang, {})
        lines.append(f"  {lang}  {n:6d}  published {span.get('first') or '?'} .. {span.get('last') or '?'}")
    blocks = [
        ("by section", "section", stats["by_section"]),
        ("by source", "source", stats["by_source"]),
        ("by month", "month", stats["by_month"]),
    ]
    for title, key, rows in blocks:
        lines.append(f"{title}:")
        lines.extend(f"  {row['lang']}  {row['articles']:6d}  {row[key] or '(none)'}" for row in rows)
    lines.append(f"failures: {stats['failures']}")
    lines.extend(f"  {n:6d}  {kind}" for kind, n in stats["failures_by_kind"].items())
    return "\n".join(lines)


def _month_range(months: list[str]) -> list[str]:
    """Every YYYY-MM from the first to the last of `months`, so that empty months show as 0."""
    months = [m for m in months if re.fullmatch(r"\d{4}-\d{2}", m)]
    if not months:
        return []
    year, month = map(int, months[0].split("-"))
    filled = []
    while f"{year:04d}-{month:02d}" <= months[-1]:
        filled.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def plot_months(stats: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Draw articles per month, one line per language, to a PNG file."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: files only
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        raise PlotError("plotting needs matplotlib: pip install 'zsnews-crawler[plot]'") from None
    months = _month_range(sorted({row["month"] for row in stats["by_month"]}))
    counts = {(row["month"], row["lang"]): row["articles"] for row in stats["by_month"]}
    fig, ax = plt.subplots(figsize=(10, 4.5), dpi=100)
    try:
        for lang in sorted({row["lang"] for row in stats["by_month"]}):
            ax.plot(months, [counts.get((m, lang), 0) for m in months], marker="o", label=lang)
        ax.set_title("Zhongshan Daily archive: articles per month")
        ax.set_xlabel("month published")
        ax.set_ylabel("articles")
        if months:
            ax.legend(title="language")
        step = max(1, len(months) // 24)  # at most ~24 labels
        ax.set_xticks(range(0, len(months), step), months[::step], rotation=45, ha="right")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, format="png")
    finally:
        plt.close(fig)
