from __future__ import annotations

from .base import ZsnewsSpider


class EnglishSpider(ZsnewsSpider):
    """Crawls en.zsnews.cn: home page, then the menu's sections and their pages.

    Arguments: since, until (dates), sections (e.g. "News,Gallery"), max_pages.

    @url https://en.zsnews.cn/
    """

    name = "zsnews_en"
    lang = "en"
    base_url_setting = "ZSNEWS_EN_BASE_URL"
