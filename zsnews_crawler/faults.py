"""Fault injection for the mirror: a deterministic plan of what goes wrong.

A fault SPEC gives shares per kind, e.g. ``500=0.1,503=0.1,reset=0.05,slow=0.02``.
Every decision is a hash of (seed, host, URL[, attempt]), never a global
random sequence, so the same seed gives the same faults whatever the order
and concurrency of the requests.

* Transient kinds hit the *first* request of a URL (path and query) with
  the given share; the next request of the same URL is served clean:
  ``500``, ``502``, ``503``; ``reset`` (the connection is reset before any
  answer); ``slow`` (the answer waits ``slow_seconds``, past a crawler's
  download timeout); ``truncate`` (Content-Length larger than the body sent,
  then the connection closes).
* Lasting kinds hit a share of *article pages* (every request of the page,
  whatever its query), or of every page with ``lasting_on="all"`` (a lasting
  fault on a listing hides the articles behind it, which nothing can account
  for): ``404``; ``redirect_loop`` (P -> P?loop=1 -> P ...); ``error_page``
  (a 200 page of the site's chrome saying the page does not exist);
  ``binary`` (random bytes served as text/html); ``huge`` (the page padded
  past 10 MB by an inline script); ``charset`` (wrong or missing charset:
  UTF-8 bytes labelled GBK in the header, GBK bytes labelled UTF-8 in the
  header with a correct <meta>, or GBK bytes with no label anywhere).
* ``tracking``: the share of article links on listing pages that are
  rewritten with tracking parameters (``?utm_source=…&from=…``), each also
  linked a second time with other ones.

robots.txt is never faulted unless ``fault_robots`` is set.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from .urls import article_ref

TRANSIENT = ("500", "502", "503", "reset", "slow", "truncate")
LASTING = ("404", "redirect_loop", "error_page", "binary", "huge", "charset")
LISTING = ("tracking",)
KINDS = TRANSIENT + LASTING + LISTING
# Lasting faults after which the page cannot become an article.
LOSING = ("404", "redirect_loop", "error_page", "binary")
HUGE_BYTES = 10 * 2**20
CHARSET_VARIANTS = ("header_lies_gbk", "header_lies_utf8", "unlabelled_gbk")
TRACKING_A = "utm_source=wechat&utm_medium=social&from=timeline"
TRACKING_B = "from=groupmessage&isappinstalled=0"


class FaultSpecError(ValueError):
    """A fault specification that cannot be used; the message is one line."""


def parse_spec(spec: str | Mapping[str, float] | None) -> dict[str, float]:
    """`500=0.1,reset=0.05` (or a dict) -> {kind: share}, checked."""
    if not spec:
        return {}
    if isinstance(spec, str):
        pairs: dict[str, float] = {}
        for item in spec.split(","):
            if not item.strip():
                continue
            kind, sep, value = item.partition("=")
            if not sep:
                raise FaultSpecError(f"{item.strip()!r} is not KIND=SHARE")
            try:
                pairs[kind.strip()] = float(value)
            except ValueError:
                raise FaultSpecError(f"share of {kind.strip()!r} is not a number: {value!r}") from None
        spec = pairs
    shares = dict(spec)
    for kind, share in shares.items():
        if kind not in KINDS:
            raise FaultSpecError(f"unknown fault {kind!r} (known: {', '.join(KINDS)})")
        if not 0 <= share <= 1:
            raise FaultSpecError(f"share of {kind!r} must be between 0 and 1, not {share}")
    for group in (TRANSIENT, LASTING):
        total = sum(shares.get(k, 0) for k in group)
        if total > 1 + 1e-9:
            raise FaultSpecError(f"shares of {'/'.join(group)} add up to {total:g}, more than 1")
    return shares


def unit(seed: int, *parts: object) -> float:
    """A number in [0, 1) fixed by the seed and the parts."""
    digest = hashlib.sha256("\x1f".join(map(str, (seed, *parts))).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _pick(u: float, shares: Mapping[str, float], kinds: tuple[str, ...]) -> str | None:
    edge = 0.0
    for kind in kinds:
        edge += shares.get(kind, 0.0)
        if u < edge:
            return kind
    return None


@dataclass
class FaultPlan:
    shares: dict[str, float]
    seed: int = 0
    slow_seconds: float = 3.0
    lasting_on: str = "articles"  # or "all"
    fault_robots: bool = False
    injected: Counter = field(default_factory=Counter)  # kind -> times injected
    _attempts: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_spec(cls, spec: str | Mapping[str, float] | None, seed: int = 0, **options: object) -> FaultPlan:
        if options.get("lasting_on", "articles") not in ("articles", "all"):
            raise FaultSpecError(f"lasting_on must be 'articles' or 'all', not {options['lasting_on']!r}")
        return cls(parse_spec(spec), seed, **options)  # type: ignore[arg-type]

    def exempt(self, path: str) -> bool:
        return path == "/robots.txt" and not self.fault_robots

    def lasting_fault(self, host: str, path: str) -> str | None:
        """The lasting fault of a page (by path, query ignored), if any."""
        if self.exempt(path):
            return None
        if self.lasting_on == "articles" and article_ref(f"https://{host}{path}") is None:
            return None
        return _pick(unit(self.seed, host, path, "lasting"), self.shares, LASTING)

    def transient_fault(self, host: str, target: str, attempt: int) -> str | None:
        """The transient fault of the `attempt`-th request of a URL: only the first is hit."""
        if attempt != 1 or self.exempt(urlsplit(target).path):
            return None
        return _pick(unit(self.seed, host, target, "transient"), self.shares, TRANSIENT)

    def charset_variant(self, host: str, path: str) -> str:
        return CHARSET_VARIANTS[int(unit(self.seed, host, path, "charset") * len(CHARSET_VARIANTS))]

    def next_fault(self, host: str, target: str) -> str | None:
        """Count a request of `target` (path?query) and return the fault to inject."""
        with self._lock:
            self._attempts[(host, target)] += 1
            attempt = self._attempts[(host, target)]
        fault = self.lasting_fault(host, urlsplit(target).path) or self.transient_fault(host, target, attempt)
        if fault:
            self.count(fault)
        return fault

    def count(self, kind: str, n: int = 1) -> None:
        with self._lock:
            self.injected[kind] += n

    def tracked(self, host: str, href: str) -> bool:
        return unit(self.seed, host, href, "tracking") < self.shares.get("tracking", 0.0)


# --- bodies ---------------------------------------------------------------------

_META_CHARSET = re.compile(rb"(<meta[^>]*?charset\s*=\s*[\"']?)([\w-]+)", re.I)


def page_encoding(body: bytes) -> str:
    """The encoding a fixture page is written in: UTF-8 when it decodes so, else its <meta>."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        m = _META_CHARSET.search(body[:4096])
        return m.group(2).decode("ascii").lower() if m else "gb18030"


def wrong_charset(body: bytes, variant: str) -> tuple[bytes, str]:
    """(body, Content-Type) with a wrong or missing charset; the text is unchanged."""
    encoding = page_encoding(body)
    is_gbk = encoding.replace("-", "") in ("gbk", "gb2312", "gb18030")
    if variant == "header_lies_gbk" or (is_gbk and variant == "header_lies_utf8"):
        # The header names the other encoding than the bytes are in.
        return body, f"text/html; charset={'utf-8' if is_gbk else 'gbk'}"
    text = body.decode(encoding)
    gbk = text.encode("gb18030")
    if variant == "header_lies_utf8":
        # GBK bytes and a <meta> saying so, but the server's header says UTF-8.
        return _META_CHARSET.sub(rb"\1gbk", gbk), "text/html; charset=utf-8"
    # unlabelled_gbk: no charset in the header nor in the page.
    return _META_CHARSET.sub(rb"\1", gbk).replace(b"charset=", b""), "text/html"


def pad_huge(body: bytes, size: int = HUGE_BYTES) -> bytes:
    """The page with an inline script blob before </body>, past `size` bytes."""
    blob = b'<script>var blob="' + b"A" * max(0, size - len(body)) + b'";</script>'
    at = body.lower().rfind(b"</body>")
    return body + blob if at < 0 else body[:at] + blob + body[at:]


def binary_body(seed: int, host: str, path: str, size: int = 32 * 1024) -> bytes:
    """Deterministic random bytes that start like a PNG file."""
    out = bytearray(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}|{host}|{path}|{counter}".encode()).digest()
        counter += 1
    return bytes(out[:size])


ERROR_PAGES = {
    "en.zsnews.cn": """<!DOCTYPE html><html><head><meta charset="utf-8"><title>Error - zsnews.cn</title></head>
<body><div>Language: <a href="/">English</a> | <a href="https://www.zsnews.cn/">Chinese</a></div>
<div><a href="/">Home</a> | <a href="/AboutZhongshan/">About Zhongshan</a> | <a href="/News/">News</a> |
<a href="/Business/">Business</a> | <a href="/CultureEducation/">CULTURE &amp; EDUCATION</a> |
<a href="/Services/">Services</a></div>
<h2>Sorry!</h2><p>The page you requested does not exist or has been removed.</p>
<p><a href="/">Back to home page</a></p>
<div>About Zhongshan News Business Culture Services</div>
<div>Copyright © 2018-2019 Zhongshan Daily Newspaper Group. All rights reserved. Presented by zsnews.cn</div>
</body></html>""",
    "www.zsnews.cn": """<!DOCTYPE html><html><head><meta charset="utf-8"><meta name="generator" content="ZSNEWS">
<title>系统提示_中山网</title></head><body>
<div><a href="/">首页</a> | <a href="/news/index/lists/cateid/35.html">本地</a> |
<a href="/news/index/lists/cateid/36.html">镇区</a> | <a href="/news/index/lists/cateid/37.html">热点</a></div>
<h1>系统提示</h1>
<p>对不起，您访问的页面不存在或已被删除！</p>
<p>页面将在3秒后自动跳转，如果没有跳转，请<a href="/">点击这里返回首页</a>。</p>
<div>中山日报社 版权所有 Copyright © 2025 zsnews.cn All Rights Reserved</div>
</body></html>""",
}


def error_page(host: str) -> bytes:
    return ERROR_PAGES.get(host, ERROR_PAGES["en.zsnews.cn"]).encode("utf-8")


_HREF = re.compile(rb"""href=(["'])(.*?)\1""", re.I)


def add_tracking(body: bytes, plan: FaultPlan, host: str, page_path: str) -> bytes:
    """Rewrite a share of a listing's article links with tracking parameters and
    link each of them once more with other parameters."""
    extra: list[bytes] = []

    def rewrite(m: re.Match[bytes]) -> bytes:
        href = m.group(2).decode("utf-8", "replace")
        target = urljoin(f"https://{host}{page_path}", href)
        if "?" in href or article_ref(target) is None or not plan.tracked(host, href):
            return m.group(0)
        plan.count("tracking")
        extra.append(f'<a href="{href}?{TRACKING_B}">{href}</a>'.encode())
        return b"href=" + m.group(1) + f"{href}?{TRACKING_A}".encode() + m.group(1)

    body = _HREF.sub(rewrite, body)
    if not extra:
        return body
    block = b"<div>" + b" ".join(extra) + b"</div>"
    at = body.lower().rfind(b"</body>")
    return body + block if at < 0 else body[:at] + block + body[at:]
