"""URL knowledge of both sites: article patterns, canonical form, and the
mapping between the real hosts and the base URL a crawl is configured with
(the real site, or the local mirror)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

REAL_HOSTS = {"en": "en.zsnews.cn", "zh": "www.zsnews.cn"}
# Hosts that mean the same site as the real host.
HOST_ALIASES = {"en": {"en.zsnews.cn"}, "zh": {"www.zsnews.cn", "zsnews.cn"}}

EN_ARTICLE = re.compile(
    r"^/(?P<section>(?:[A-Za-z0-9_-]+/){1,3})content/(?P<cateid>\d+)/(?P<id>\d+)\.html$"
)
ZH_ARTICLE = re.compile(
    r"^/(?P<channel>[A-Za-z0-9_]+)/index/view/(?:cateid/(?P<cateid>\d+)/)?"
    r"id/(?P<id>\d+)(?:_(?P<page>\d+))?\.html$"
)

# Query parameters that only track the visitor; they never select content.
TRACKING_PARAMS = re.compile(r"^(utm_[a-z]+|from|spm|share|isappinstalled|timestamp|fbclid)$", re.I)
ASSET_EXTENSIONS = re.compile(
    r"\.(jpe?g|png|gif|webp|bmp|svg|ico|css|js|mp4|mp3|flv|swf|pdf|docx?|xlsx?|zip|rar)$", re.I
)


@dataclass(frozen=True)
class ArticleRef:
    lang: str
    article_id: int
    cateid: int | None
    page: int  # 1 for the first page of a (possibly paginated) article


def article_ref(url: str) -> ArticleRef | None:
    """Identify an article URL of either site (on the real host or a mirror)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. "http://[": not a URL of ours
        return None
    lang = lang_of(url)
    if lang == "en" or (lang is None and EN_ARTICLE.match(parts.path)):
        m = EN_ARTICLE.match(parts.path)
        if m:
            return ArticleRef("en", int(m["id"]), int(m["cateid"]), 1)
    if lang == "zh" or lang is None:
        m = ZH_ARTICLE.match(parts.path)
        if m:
            cateid = int(m["cateid"]) if m["cateid"] else None
            return ArticleRef("zh", int(m["id"]), cateid, int(m["page"] or 1))
    return None


def lang_of(url: str) -> str | None:
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return None
    for lang, aliases in HOST_ALIASES.items():
        if host in aliases:
            return lang
    return None


def strip_tracking(url: str) -> str:
    """The URL without fragment and tracking parameters; the other parameters are
    kept byte for byte (decoding and re-encoding them would change them)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if not parts.query:
        return urlunsplit(parts._replace(fragment=""))
    kept = [pair for pair in parts.query.split("&")
            if pair and not TRACKING_PARAMS.match(unquote_plus(pair.split("=", 1)[0]))]
    return urlunsplit(parts._replace(query="&".join(kept), fragment=""))


def join(base: str, href: str) -> str | None:
    """urljoin, or None when the link cannot be a URL (e.g. "http://[")."""
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        return None
    return url


@dataclass(frozen=True)
class SiteMap:
    """Maps one site's real host onto the base URL a crawl uses, and back."""

    lang: str
    base_url: str

    @property
    def real_host(self) -> str:
        return REAL_HOSTS[self.lang]

    @property
    def base_netloc(self) -> str:
        return urlsplit(self.base_url).netloc.lower()

    def is_own(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
        except ValueError:
            return False
        if parts.scheme not in ("http", "https"):
            return False
        netloc = parts.netloc.lower()
        return netloc == self.base_netloc or (parts.hostname or "") in HOST_ALIASES[self.lang]

    def to_fetch(self, url: str) -> str:
        """The URL to request: real-host links are moved onto the configured base."""
        parts = urlsplit(strip_tracking(url))
        base = urlsplit(self.base_url)
        if (parts.hostname or "") in HOST_ALIASES[self.lang] or parts.netloc.lower() == base.netloc.lower():
            parts = parts._replace(scheme=base.scheme, netloc=base.netloc)
        return urlunsplit(parts)

    def canonical(self, url: str) -> str:
        """The URL on the real host over https, as stored in the archive."""
        parts = urlsplit(strip_tracking(url))
        if parts.netloc.lower() == self.base_netloc or (parts.hostname or "") in HOST_ALIASES[self.lang]:
            parts = parts._replace(scheme="https", netloc=self.real_host)
        if article_ref(urlunsplit(parts)):
            parts = parts._replace(query="")
        return urlunsplit(parts)

    def absolute(self, base: str, href: str) -> str | None:
        """Resolve a link found on a page; None for links that are not web pages."""
        href = (href or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
            return None
        url = join(base, href)
        if url is None or urlsplit(url).scheme not in ("http", "https"):
            return None
        return url


def canonical_url(url: str) -> str:
    """Canonical form of a URL of either site, whatever host it was fetched from
    (falls back to the real-host rewrite only for the known hosts)."""
    lang = lang_of(url)
    if lang is None:
        return strip_tracking(url)
    try:
        return SiteMap(lang, f"https://{REAL_HOSTS[lang]}").canonical(url)
    except ValueError:  # a port out of range, say: left as it is
        return strip_tracking(url)
