"""Records the crawler produces: an article with its images, and a failure."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Image:
    url: str | None = None
    caption: str | None = None
    credit: str | None = None


@dataclass
class Article:
    lang: str | None = None
    article_id: int | None = None
    url: str | None = None
    section: list[str] = field(default_factory=list)
    cateid: int | None = None
    title: str | None = None
    published: str | None = None
    published_raw: str | None = None
    source: str | None = None
    author: str | None = None
    editor: str | None = None
    body_text: str | None = None
    body_html: str | None = None
    images: list[Image] = field(default_factory=list)
    extractor: str | None = None
    # Crawl context, not article content: where the page was fetched from and
    # when, and the link to the next page of a paginated article.
    fetched_url: str | None = None
    fetched_at: str | None = None
    next_page: str | None = None

    @property
    def id(self) -> str:
        return f"{self.lang}:{self.article_id}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Failure:
    """A page that did not become an article, and why."""

    url: str | None = None
    reason: str | None = None
    kind: str | None = None  # not_article, http_404, http_error, parse_error, ...
    status: int | None = None
    lang: str | None = None
    fetched_at: str | None = None
