"""Scrapy settings: polite defaults for a small regional newspaper."""

import os

BOT_NAME = "zsnews_crawler"
SPIDER_MODULES = ["zsnews_crawler.spiders"]
NEWSPIDER_MODULE = "zsnews_crawler.spiders"

# Where each site is fetched from: the real hosts, or a mirror on loopback.
ZSNEWS_EN_BASE_URL = os.environ.get("ZSNEWS_EN_BASE_URL", "https://en.zsnews.cn")
ZSNEWS_ZH_BASE_URL = os.environ.get("ZSNEWS_ZH_BASE_URL", "https://www.zsnews.cn")
# Category ids of the Chinese JSON listing API.
ZSNEWS_ZH_API_CATEIDS = [35, 36, 37, 38, 39]

# The archive (SQLite); the environment variable wins over the default.
ARCHIVE_DB = os.environ.get("ZSNEWS_ARCHIVE_DB", "archive/zsnews.db")

# Politeness.
USER_AGENT = (
    "zsnews-crawler/0.1 (news archive for research; +https://github.com/zsnews-crawler)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
DEFAULT_REQUEST_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8",
    "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8",
}

ITEM_PIPELINES = {
    "zsnews_crawler.pipelines.NormalizePipeline": 100,
    "zsnews_crawler.pipelines.DeduplicatePipeline": 200,
    "zsnews_crawler.pipelines.ArchivePipeline": 300,
}

LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 30.0
FEED_EXPORT_ENCODING = "utf-8"

EXTENSIONS = {
    "zsnews_crawler.extensions.WarcCapture": 500,
    "zsnews_crawler.extensions.RunRecorder": 510,
}
# Raw captures (WARC): beside the archive unless set.
ZSNEWS_WARC_ENABLED = True
ZSNEWS_WARC_DIR = os.environ.get("ZSNEWS_WARC_DIR")
ZSNEWS_WARC_MAX_BYTES = 100 * 2**20
# Layout-drift alarm: share of article pages missing a title, date or body.
ZSNEWS_DRIFT_THRESHOLD = 0.3
ZSNEWS_DRIFT_MIN_PAGES = 5
# Incremental runs: skip articles the archive holds (spider argument full=1 to refetch all).
ZSNEWS_INCREMENTAL = True
# Stop paginating a listing at the first page with no unseen article (set
# False to walk every page, e.g. after a crash left holes in the archive).
ZSNEWS_STOP_AT_KNOWN = True
