"""One wrapper around dateparser for both sites (China Standard Time).

The site prints dates in a handful of fixed formats; a regular-expression fast
path handles those, and dateparser handles anything else (relative dates are
resolved against the fetch time, never "now").
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, timedelta, timezone

CST = timezone(timedelta(hours=8), "CST")

_FAST = re.compile(
    r"^\s*(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*(?P<H>\d{1,2})\s*[:时]\s*(?P<M>\d{1,2})(?:\s*[:分]\s*(?P<S>\d{1,2})\s*秒?)?\s*分?)?\s*$"
)


class DateError(ValueError):
    """A date argument or value that cannot be understood."""


def _fold(text: str) -> str:
    # NFKC turns full-width digits, colons and ideographic spaces into ASCII.
    return unicodedata.normalize("NFKC", text).strip()


def parse_published(raw: str | None, fetched_at: datetime | None = None) -> datetime | None:
    """Parse a date as printed on the site into an aware datetime in UTC+08:00.

    Returns None when the text holds no recognisable date.
    """
    if not raw:
        return None
    text = _fold(raw)
    match = _FAST.match(text)
    if match:
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        try:
            return datetime(
                parts["y"], parts["m"], parts["d"],
                parts.get("H", 0), parts.get("M", 0), parts.get("S", 0), tzinfo=CST,
            )
        except ValueError:
            return None
    return _slow_parse(text, fetched_at)


def _slow_parse(text: str, fetched_at: datetime | None) -> datetime | None:
    import dateparser  # imported lazily: it costs ~0.3 s and is rarely needed

    settings = {
        "TIMEZONE": "Asia/Shanghai",
        "TO_TIMEZONE": "Asia/Shanghai",
        "RETURN_AS_TIMEZONE_AWARE": True,
        "PREFER_DAY_OF_MONTH": "first",
    }
    if fetched_at is not None:
        settings["RELATIVE_BASE"] = fetched_at.astimezone(CST).replace(tzinfo=None)
    try:
        parsed = dateparser.parse(text, languages=["zh", "en"], settings=settings)
    except Exception:  # dateparser raises assorted errors on odd input
        return None
    if parsed is None:
        return None
    return parsed.astimezone(CST)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def parse_date_arg(value: str | None, name: str = "date") -> date | None:
    """Parse a user-supplied date argument (YYYY-MM-DD, or anything dateparser
    reads such as "3 days ago"); raise DateError with a one-line message."""
    if value is None or str(value).strip() == "":
        return None
    parsed = parse_published(str(value), fetched_at=datetime.now(CST))
    if parsed is None:
        raise DateError(f"invalid {name} {value!r}: expected a date such as 2024-03-05")
    return parsed.date()
