import pytest

from zsnews_crawler.urls import SiteMap, article_ref, canonical_url, strip_tracking


@pytest.mark.parametrize(
    ("url", "lang", "article_id", "cateid", "page"),
    [
        ("https://en.zsnews.cn/News/content/376/40943.html", "en", 40943, 376, 1),
        ("http://en.zsnews.cn/AboutZhongshan/Gallery/content/375/37870.html", "en", 37870, 375, 1),
        ("https://en.zsnews.cn/Video/OverseasChinese/content/399/41923.html", "en", 41923, 399, 1),
        ("https://www.zsnews.cn/news/index/view/cateid/37/id/721845.html", "zh", 721845, 37, 1),
        ("https://www.zsnews.cn/trade/index/view/cateid/45/id/698538.html", "zh", 698538, 45, 1),
        ("https://www.zsnews.cn/news/index/view/cateid/35/id/700020_2.html", "zh", 700020, 35, 2),
    ],
)
def test_article_urls_of_the_real_schemes_are_recognised(url, lang, article_id, cateid, page):
    ref = article_ref(url)
    assert (ref.lang, ref.article_id, ref.cateid, ref.page) == (lang, article_id, cateid, page)


@pytest.mark.parametrize(
    "url",
    [
        "https://en.zsnews.cn/News/index.html",
        "https://en.zsnews.cn/",
        "https://www.zsnews.cn/news/index/lists/cateid/35.html",
        "https://www.zsnews.cn/api/mobile/getlist.html?cateid=35",
    ],
)
def test_listing_and_api_urls_are_not_articles(url):
    assert article_ref(url) is None


def test_http_and_https_and_tracking_give_one_canonical_url():
    forms = [
        "http://en.zsnews.cn/News/content/376/40943.html",
        "https://en.zsnews.cn/News/content/376/40943.html?utm_source=wechat#top",
        "https://en.zsnews.cn/News/content/376/40943.html?from=timeline",
    ]
    assert {canonical_url(u) for u in forms} == {"https://en.zsnews.cn/News/content/376/40943.html"}


def test_mirror_urls_map_back_to_the_real_host_and_real_links_map_to_the_mirror():
    site = SiteMap("zh", "http://127.0.0.1:8123")
    real = "http://www.zsnews.cn/news/index/view/cateid/35/id/700001.html"
    fetch = site.to_fetch(real)
    assert fetch == "http://127.0.0.1:8123/news/index/view/cateid/35/id/700001.html"
    assert site.canonical(fetch) == "https://www.zsnews.cn/news/index/view/cateid/35/id/700001.html"
    assert site.is_own(real) and site.is_own(fetch)
    assert not site.is_own("https://en.zsnews.cn/News/") and not site.is_own("file:///etc/passwd")


def test_tracking_parameters_are_removed_and_real_ones_kept():
    assert strip_tracking("https://x.cn/a?page=2&utm_medium=x&from=y") == "https://x.cn/a?page=2"
