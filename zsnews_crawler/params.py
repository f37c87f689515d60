"""Spider arguments, validated in one place."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from .dates import DateError, parse_date_arg
from .pages.selectors import ZH_CATEGORY_NAMES


class ArgumentError(ValueError):
    """A spider argument that cannot be used; the message is one line."""


def _whole_number(name: str, value: str | int | None, minimum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ArgumentError(f"invalid {name} {value!r}: expected a whole number") from None
    if number < minimum:
        raise ArgumentError(f"invalid {name} {value!r}: must be at least {minimum}")
    return number


def _token(value: str) -> str:
    return re.sub(r"[\W_]+", "", value).lower()


@dataclass
class CrawlParams:
    since: date | None = None
    until: date | None = None
    sections: list[str] = field(default_factory=list)
    max_pages: int | None = None
    refresh_days: int | None = None  # re-fetch known articles published in the last N days
    full: bool = False  # ignore what the archive already holds

    @classmethod
    def from_args(
        cls, since: str | None = None, until: str | None = None,
        sections: str | None = None, max_pages: str | int | None = None,
        refresh: str | int | None = None, full: str | bool | None = None,
    ) -> CrawlParams:
        try:
            since_d = parse_date_arg(since, "since")
            until_d = parse_date_arg(until, "until")
        except DateError as exc:
            raise ArgumentError(str(exc)) from None
        if since_d and until_d and since_d > until_d:
            raise ArgumentError(f"since ({since_d}) is after until ({until_d})")
        pages = _whole_number("max_pages", max_pages, minimum=1)
        refresh_days = _whole_number("refresh", refresh, minimum=0)
        if str(full or "").lower() not in ("", "0", "1", "true", "false", "yes", "no"):
            raise ArgumentError(f"invalid full {full!r}: expected 1 or 0")
        wanted = [s.strip() for s in (sections or "").split(",") if s.strip()]
        return cls(since_d, until_d, wanted, pages, refresh_days,
                   str(full or "").lower() in ("1", "true", "yes"))

    # --- sections -------------------------------------------------------------

    def section_tokens(self) -> set[str]:
        tokens = {_token(s) for s in self.sections}
        # Chinese category names and their ids are interchangeable.
        for cateid, name in ZH_CATEGORY_NAMES.items():
            if name in self.sections or str(cateid) in self.sections:
                tokens |= {name, str(cateid)}
        return tokens

    def link_in_sections(self, url: str, text: str) -> bool:
        """Whether a listing link belongs to a requested section (always, without a filter)."""
        if not self.sections:
            return True
        tokens = self.section_tokens()
        path = url.split("://", 1)[-1].split("/", 1)[-1]
        segments = {_token(s) for s in re.split(r"[/?&=.]", path) if s}
        cateids = set(re.findall(r"cateid[/=](\d+)", url))
        return bool(tokens & segments or tokens & cateids or _token(text) in tokens)

    def article_in_sections(self, section: list[str], cateid: int | None) -> bool:
        if not self.sections:
            return True
        tokens = self.section_tokens()
        return bool({_token(s) for s in section} & tokens) or str(cateid) in tokens

    def api_cateids(self, configured: list[int]) -> list[int]:
        if not self.sections:
            return list(configured)
        tokens = self.section_tokens()
        return [c for c in configured if str(c) in tokens]

    def in_date_range(self, published: str | None) -> bool:
        if published is None or (self.since is None and self.until is None):
            return True
        day = date.fromisoformat(published[:10])
        return (self.since is None or day >= self.since) and (self.until is None or day <= self.until)
