"""Build a large copy of both sites from the fixture templates, for the crawl benchmark.

    python bench/gen_site.py OUT_DIR --articles 10000 [--add-percent 1]

Every fixture article page (except the split one) is a template: generated
article number i of a language copies template i mod T with a new id (in the
URL and wherever the old id appears in the page) and a numbered title, in the
template's own section. Listings are rebuilt: per section, newest first, 20
links a page, with a pager (First/Prev/numbers/Next/Last, 首页/上一页/…), a
home page per host linking every section, and for www.zsnews.cn the JSON
listing API (`/api/mobile/getlist.html?cateid=C`, newest 20). The layout is
the mirror's: `OUT/{en.zsnews.cn,www.zsnews.cn}/PATH`, query strings as `PATH@QUERY`.

Building again with more articles (`--add-percent`) keeps every existing page
byte for byte and puts the new ids at the top of the listings and the API,
as a site that published new articles would.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

try:
    from .common import SITE
except ImportError:  # run as a script
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.common import SITE

PER_PAGE = 20
EN_FIRST_ID = 100_000
ZH_FIRST_ID = 1_000_000
ZH_API_CATEIDS = (35, 36, 37, 38, 39)
HOSTS = {"en": "en.zsnews.cn", "zh": "www.zsnews.cn"}
EN_ARTICLE_DIR = re.compile(r"^(?P<section>.+)/content/(?P<cateid>\d+)$")


@dataclass
class Template:
    lang: str
    directory: str  # e.g. "News/content/376" or "news/index/view/cateid/35/id"
    section_path: str  # en: "News", "Business/InvestmentClimate"; zh: cateid as text
    cateid: int
    old_id: int
    title: str
    page: bytes


def load_templates() -> dict[str, list[Template]]:
    templates: dict[str, list[Template]] = {"en": [], "zh": []}
    for expected in sorted(SITE.glob("*/**/*.expected.json")):
        truth = json.loads(expected.read_text(encoding="utf-8"))
        page = expected.with_name(expected.name.replace(".expected.json", ".html"))
        if expected.with_name(f"{truth['article_id']}_2.html").exists():
            continue  # a split article: its second page would need a copy too
        directory = str(page.parent.relative_to(SITE / HOSTS[truth["lang"]]))
        if truth["lang"] == "en":
            match = EN_ARTICLE_DIR.match(directory)
            if not match:
                continue
            section_path = match["section"]
        else:
            if truth["cateid"] not in ZH_API_CATEIDS:
                continue
            section_path = str(truth["cateid"])
        templates[truth["lang"]].append(Template(
            truth["lang"], directory, section_path, int(truth["cateid"]), int(truth["article_id"]),
            truth["title"], page.read_bytes()))
    return templates


@dataclass
class Generated:
    lang: str
    article_id: int
    path: str  # URL path without the leading slash
    section_path: str
    cateid: int
    title: str
    template: Template


def plan(templates: list[Template], count: int, first_id: int) -> list[Generated]:
    out = []
    for i in range(count):
        t = templates[i % len(templates)]
        article_id = first_id + i
        out.append(Generated(t.lang, article_id, f"{t.directory}/{article_id}.html", t.section_path, t.cateid,
                             f"{t.title} ({i + 1})", t))
    return out


def article_page(a: Generated) -> bytes:
    page = a.template.page.replace(str(a.template.old_id).encode(), str(a.article_id).encode())
    for encoding in ("utf-8", "gbk"):
        for old, new in ((a.template.title, a.title),
                         (html.escape(a.template.title, quote=False), html.escape(a.title, quote=False))):
            try:
                page = page.replace(old.encode(encoding), new.encode(encoding))
            except UnicodeEncodeError:
                pass
    return page


# --- listings ---------------------------------------------------------------------------

def _pager(lang: str, page: int, pages: int, url_of) -> str:  # noqa: ANN001
    first, prev, nxt, last = ("First", "Prev", "Next", "Last") if lang == "en" else ("首页", "上一页", "下一页", "尾页")
    parts = []
    if page > 1:
        parts += [f'<a href="{url_of(1)}">{first}</a>', f'<a href="{url_of(page - 1)}">{prev}</a>']
    for p in range(max(1, page - 2), min(pages, page + 2) + 1):
        parts.append(f'<span class="current">{p}</span>' if p == page else f'<a href="{url_of(p)}">{p}</a>')
    if page < pages:
        parts += [f'<a href="{url_of(page + 1)}">{nxt}</a>', f'<a href="{url_of(pages)}">{last}</a>']
    return '<div class="pages">' + " ".join(parts) + "</div>"


def _en_listing_url(section_path: str, page: int) -> str:
    return f"/{section_path}/index.html" if page == 1 else f"/{section_path}/index_{page}.html"


def _zh_listing_url(cateid: str, page: int) -> str:
    if page == 1:
        return f"/news/index/lists/cateid/{cateid}.html"
    return f"/news/index/lists/cateid/{cateid}/page/{page}.html"


def _page(lang: str, title: str, nav: str, main: str) -> str:
    html_lang = "en" if lang == "en" else "zh-CN"
    other = ('<a href="https://www.zsnews.cn/">Chinese</a>' if lang == "en"
             else '<a href="https://en.zsnews.cn/">English</a>')
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title)}'
            f'</title>\n</head>\n<body>\n<div class="header"><div class="lang">{other}</div>\n'
            f'<div class="nav">{nav}</div></div>\n<div class="main">\n{main}\n</div>\n'
            '<div class="footer"><p class="copyright">Copyright &copy; zsnews.cn</p></div>\n</body>\n</html>\n')


def write_listings(out: Path, lang: str, articles: list[Generated]) -> int:
    """Write the listings, home page, robots.txt and API of one host; return the number of files."""
    host = out / HOSTS[lang]
    sections: dict[str, list[Generated]] = {}
    for a in articles:
        sections.setdefault(a.section_path, []).append(a)
    url_of_listing = _en_listing_url if lang == "en" else _zh_listing_url
    names = {s: (s.split("/")[-1] if lang == "en" else f"栏目{s}") for s in sections}
    home = '<a href="/">Home</a>' if lang == "en" else '<a href="/">首页</a>'
    nav = home + " | " + " | ".join(f'<a href="{url_of_listing(s, 1)}">{html.escape(names[s])}</a>'
                                    for s in sorted(sections))
    written = 0
    for section, items in sections.items():
        items = sorted(items, key=lambda a: -a.article_id)  # newest first
        pages = max(1, -(-len(items) // PER_PAGE))
        for p in range(1, pages + 1):
            chunk = items[(p - 1) * PER_PAGE: p * PER_PAGE]
            links = "\n".join(f'<li><a href="/{a.path}">{html.escape(a.title)}</a></li>' for a in chunk)
            main = (f'<h1 class="list-title">{html.escape(names[section])}</h1>\n<ul class="news-list">\n{links}\n'
                    f"</ul>\n" + _pager(lang, p, pages, lambda n, s=section: url_of_listing(s, n)))
            file = host / url_of_listing(section, p).lstrip("/")
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(_page(lang, names[section], nav, main), encoding="utf-8")
            written += 1
        if lang == "zh":
            api = [{"id": a.article_id, "title": a.title, "url": f"https://www.zsnews.cn/{a.path}",
                    "time": "2025-03-12 09:15:00"} for a in items[:PER_PAGE]]
            file = host / f"api/mobile/getlist.html@cateid={section}"
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(json.dumps(api, ensure_ascii=True).replace("/", "\\/"), encoding="utf-8")
            written += 1
    latest = sorted(articles, key=lambda a: -a.article_id)[:10]
    links = "\n".join(f'<li><a href="/{a.path}">{html.escape(a.title)}</a></li>' for a in latest)
    (host / "index.html").write_text(_page(lang, "Zhongshan", nav, f'<ul class="news-list">\n{links}\n</ul>'),
                                     encoding="utf-8")
    shutil.copyfile(SITE / HOSTS[lang] / "robots.txt", host / "robots.txt")
    return written + 2


def build_site(out: Path | str, articles: int, add_percent: float = 0.0) -> dict[str, int]:
    """Build (or grow) a site of `articles` articles (half per language) plus `add_percent` % new ones.

    Returns the number of articles per language and of listing files written.
    """
    out = Path(out)
    templates = load_templates()
    base = {"en": articles // 2, "zh": articles - articles // 2}
    counts = {lang: n + round(n * add_percent / 100) for lang, n in base.items()}
    report: dict[str, int] = {}
    for lang, first_id in (("en", EN_FIRST_ID), ("zh", ZH_FIRST_ID)):
        generated = plan(templates[lang], counts[lang], first_id)
        for a in generated:
            file = out / HOSTS[lang] / a.path
            if file.exists():
                continue
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_bytes(article_page(a))
        report[f"{lang}_articles"] = len(generated)
        report[f"{lang}_listing_files"] = write_listings(out, lang, generated)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--add-percent", type=float, default=0.0)
    args = parser.parse_args()
    print(json.dumps(build_site(args.out, args.articles, args.add_percent)))


if __name__ == "__main__":
    main()
