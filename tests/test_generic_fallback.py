"""When the site-specific extraction finds no body (a layout change), the
generic extractor supplies one rather than storing nothing, and says so."""

from zsnews_crawler.pages import extract_article

PARAGRAPHS = [
    "The new ferry line between Zhongshan port and Hong Kong opened on Monday morning with four sailings a day.",
    "Operators expect more than two thousand passengers a week once the summer timetable begins in June.",
    "Tickets can be bought at the terminal or through the ferry company's mobile application.",
]


def test_english_page_whose_body_moved_above_the_meta_line_falls_back_to_trafilatura():
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = f"""<html><head><title>Ferry line opens</title></head><body>
    <main><article>{body}</article></main>
    <div><a href="/">HOME</a> &gt; <a href="/News/">News</a> &gt; Ferry line opens</div>
    <h2>Ferry line opens</h2>
    <div>Updated: 2024-06-03 Source: Zhongshan Daily</div>
    </body></html>"""
    article = extract_article("https://en.zsnews.cn/News/content/376/42600.html", html)
    assert article.extractor == "trafilatura"
    assert article.title == "Ferry line opens" and article.published == "2024-06-03T00:00:00+08:00"
    for paragraph in PARAGRAPHS:
        assert paragraph in article.body_text


def test_chinese_page_without_known_markup_or_labels_falls_back_to_trafilatura():
    text = ["中山港至香港的新客运航线周一正式开通，每天往返四个班次。" * 3,
            "运营方预计，夏季时刻表实施后，每周旅客量将超过两千人次。" * 3]
    html = f"""<html><head><title>新客运航线开通_中山网</title>
    <meta property="article:published_time" content="2024-06-03T09:30:00+08:00"></head><body>
    <div class="wrap"><h1>新客运航线开通</h1><article>{"".join(f"<p>{t}</p>" for t in text)}</article></div>
    </body></html>"""
    article = extract_article("https://www.zsnews.cn/news/index/view/cateid/35/id/700300.html", html)
    assert article.extractor == "trafilatura"
    assert article.title == "新客运航线开通"
    assert article.published.startswith("2024-06-03")
    assert text[0] in article.body_text and text[1] in article.body_text
