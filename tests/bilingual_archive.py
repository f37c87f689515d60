"""A small bilingual archive for the search, export, stats and Datasette tests.

Chosen so that each search has an exact answer: 中山 appears inside 孙中山 and
中山市 and next to 与; zh:104 has 山中，山 (not 中山) and 通道 without 深中;
en:202 quotes 深中通道 in an English article.
"""

from __future__ import annotations

from pathlib import Path

from zsnews_crawler.items import Article, Failure, Image
from zsnews_crawler.storage import Archive

ARTICLES = [
    Article(
        lang="zh", article_id=101, url="https://www.zsnews.cn/news/index/view/cateid/35/id/101.html",
        section=["要闻"], title="翠亨村迎来春节游客", published="2024-02-12T09:00:00+08:00", source="中山日报",
        body_text="位于南朗街道的翠亨村是孙中山先生的故乡。\n\n春节期间，游客络绎不绝。",
        images=[Image(url="https://img.zsnews.cn/cuiheng.jpg", caption="翠亨村", credit="记者 李明")],
    ),
    Article(
        lang="zh", article_id=102, url="https://www.zsnews.cn/news/index/view/cateid/35/id/102.html",
        section=["要闻", "交通"], title="深中通道开通一周年", published="2025-06-30T10:00:00+08:00",
        source="中山日报", body_text="深中通道开通以来，车流量持续增长。大桥连接深圳与中山。",
    ),
    Article(
        lang="zh", article_id=103, url="https://www.zsnews.cn/news/index/view/cateid/36/id/103.html",
        section=["社会", "民生"], title="龙舟赛热闹非凡", published="2024-06-10T08:30:00+08:00", source="新华社",
        body_text="端午节前夕，中山市各镇街举办龙舟赛。",
    ),
    Article(
        lang="zh", article_id=104, url="https://www.zsnews.cn/news/index/view/cateid/36/id/104.html",
        section=["社会"], title="周末出行提示", published="2024-06-15T08:00:00+08:00", source="中山日报",
        body_text="周末市民前往山中，山路湿滑。深圳前海的地下通道今天开放。",
    ),
    Article(
        lang="en", article_id=201, url="https://en.zsnews.cn/News/content/376/201.html",
        section=["News", "Local"], title="Cuiheng Village welcomes visitors", published="2024-02-12T11:00:00+08:00",
        source="Zhongshan Daily",
        body_text="Visitors flocked to Cuiheng Village, the hometown of Dr. Sun Yat-sen, during the Spring Festival.",
        images=[
            Image(url="https://img.zsnews.cn/cuiheng.jpg", caption="Cuiheng Village", credit="Li Ming"),
            Image(url="https://img.zsnews.cn/museum.jpg", caption="The museum", credit=None),
        ],
    ),
    Article(
        lang="en", article_id=202, url="https://en.zsnews.cn/News/content/376/202.html",
        section=["News", "Transport"], title="Shenzhen-Zhongshan Link marks first anniversary",
        published="2025-06-30T12:00:00+08:00", source="Xinhua",
        body_text="Traffic on the bridge keeps growing a year after the link opened. "
                  "The 深中通道 has carried millions of vehicles.",
    ),
    Article(
        lang="en", article_id=203, url="https://en.zsnews.cn/News/content/377/203.html",
        section=["Culture"], title="Dragon boat races held across the city", published="2024-06-10T15:00:00+08:00",
        source="Zhongshan Daily", body_text="Bridges and riverbanks were crowded as teams raced on the river.",
        images=[Image(url="https://img.zsnews.cn/dragon.jpg", caption="Racing", credit="Chen Hua")],
    ),
]

FAILURES = [
    Failure(url="https://www.zsnews.cn/news/index/view/cateid/35/id/999.html", kind="http_404", status=404,
            reason="not found", lang="zh"),
    Failure(url="https://en.zsnews.cn/News/content/376/998.html", kind="http_404", status=404,
            reason="not found", lang="en"),
    Failure(url="https://en.zsnews.cn/special/index.html", kind="not_article", reason="no article body", lang="en"),
]


def build(path: Path) -> Path:
    """Store ARTICLES and FAILURES in a new archive at `path`."""
    archive = Archive(path)
    try:
        for article in ARTICLES:
            archive.store_article(article, seen_at="2025-07-01T00:00:00+00:00")
        for failure in FAILURES:
            archive.record_failure(failure, seen_at="2025-07-01T00:00:00+00:00")
    finally:
        archive.close()
    return path
