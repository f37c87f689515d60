"""Every selector and text anchor the parsers use, in one place.

Anchors (text the page prints) are certain, per SITE.md; selectors (tags and
classes) are guesses or known only from one public scraper, so the parsers try
anchors first and selectors second.
"""

import re

# --- English site -----------------------------------------------------------
EN_UPDATED = re.compile(r"Updated\s*[:：]\s*(?P<date>[0-9０-９][0-9０-９\-/.:：\s]*[0-9０-９])")
EN_SOURCE = re.compile(
    r"Source\s*[:：]\s*(?P<source>.+?)\s*(?=Large\b|Medium\b|Small\b|Print\b|Updated\s*:|$)"
)
EN_BREADCRUMB_HOME = re.compile(r"^\s*HOME\s*>", re.I)
EN_FONT_CONTROLS = re.compile(r"^(?:\s*(?:Large|Medium|Small|Print|\|)\s*)+$")
EN_FOOTER = re.compile(r"Copyright\s*©|All rights reserved|Presented by zsnews", re.I)
# Guessed markup, tried when the anchors find nothing.
EN_TITLE_XPATHS = ["//h1", "//h2", "//*[contains(@class,'title')]"]
EN_BODY_XPATHS = [
    "//*[contains(@class,'art-content')]", "//*[contains(@class,'article-content')]",
    "//*[@id='content']", "//*[contains(@class,'content')]",
]

# --- Chinese site -----------------------------------------------------------
ZH_DATE_LABEL = re.compile(
    r"(?:发布时间|发布日期|发表时间|时间|日期)\s*[:：]\s*"
    r"(?P<date>[0-9０-９]{4}\s*[-－/／.年][0-9０-９]{1,2}\s*[-－/／.月][0-9０-９]{1,2}\s*日?"
    r"(?:[\s\u3000]*[0-9０-９]{1,2}\s*[:：][0-9０-９]{1,2}(?:\s*[:：][0-9０-９]{1,2})?)?)"
)
# An editor line inside the body: "责任编辑：李四", "（编辑：李四）".
ZH_EDITOR_LINE = re.compile(r"^[（(]?\s*(?:责任编辑|编辑)\s*[:：]\s*(?P<v>[^）)]+?)\s*[）)]?$")
ZH_SOURCE_LINE = re.compile(r"^[（(]?\s*来源\s*[:：]\s*(?P<v>[^）)]+?)\s*[）)]?$")
ZH_META_XPATH = "//*[contains(concat(' ',normalize-space(@class),' '),' article-meta ')]"
ZH_BODY_XPATH = "//*[contains(concat(' ',normalize-space(@class),' '),' article-content ')]"
ZH_TITLE_XPATHS = ["//h1", "//*[contains(@class,'article-title')]", "//h2"]
ZH_CMS_FIELD = re.compile(r"<!--\s*(?P<name>[^\s<>-]+)\s*begin\s*-->(?P<value>.*?)<!--\s*(?P=name)\s*end\s*-->", re.S)
ZH_ARTICLE_ID_XPATH = "//input[@id='ArticleID']/@value"
ZH_BREADCRUMB = re.compile(r"(?:当前位置|现在位置|您的位置)\s*[:：]")
ZH_TITLE_SUFFIX = re.compile(r"\s*[_\-|｜]\s*中山网.*$")

# --- Image credits (both sites) -----------------------------------------------
CREDITS = [
    re.compile(r"\s*[\[［]\s*Photo(?:s)?\s+by\s+(?P<credit>[^\]］]+?)\s*[\]］]\s*$", re.I),
    re.compile(r"\s*[(（]\s*By\s+(?P<credit>[^)）]+?)\s*[)）]\s*$", re.I),
    re.compile(r"\s*[(（]?\s*(?:中山日报)?(?:记者|通讯员|摄影)?\s*(?P<credit>[\u4e00-\u9fff]{2,4}(?:[\s、]+[\u4e00-\u9fff]{2,4})*)\s*摄\s*[)）]?\s*$"),
]

# Tags whose content is never article text.
NOISE_TAGS = ("script", "style", "noscript", "template", "form", "button", "select", "textarea")
# Outside the paragraph right after an image, a Chinese credit needs its prefix
# ("记者 王五 摄"), so that ordinary sentences ending in 摄 are left alone.
CREDIT_ZH_PREFIXED = re.compile(
    r"\s*[(（]?\s*(?:中山日报)?(?:记者|通讯员|摄影)\s*(?P<credit>[\u4e00-\u9fff]{2,4}(?:[\s、]+[\u4e00-\u9fff]{2,4})*)\s*摄\s*[)）]?\s*$"
)

# Labels of the Chinese meta line, mapped to the field they introduce.
ZH_LABELS = re.compile(
    r"(?P<label>发布时间|发布日期|发表时间|来源于|来源|作者|记者|责任编辑|编辑|点击数|点击|浏览次数|浏览|阅读)\s*[:：]"
)
ZH_LABEL_FIELD = {
    "发布时间": "date", "发布日期": "date", "发表时间": "date",
    "来源于": "source", "来源": "source", "作者": "author", "记者": "author",
    "责任编辑": "editor", "编辑": "editor",
}
_NAME = r"(?!通讯员|实习生|责任|编辑|来源|发布|摄)[\u4e00-\u9fff·]{2,4}"
ZH_NAMES = rf"{_NAME}(?:[ \u3000、，,]+{_NAME})*"
# A byline: "文/记者 王五 通讯员 赵六", "中山日报记者 王五", "本报记者 王五".
ZH_BYLINE = re.compile(
    rf"(?:文\s*[/／]\s*)?(?:中山日报|本报)?(?:记者|作者)\s*[:：]?\s*(?P<names>{ZH_NAMES})"
    rf"(?:\s*(?:通讯员|实习生)\s*[:：]?\s*(?P<more>{ZH_NAMES}))?"
)
ZH_CATEGORY_NAMES = {35: "本地", 36: "镇区", 37: "热点", 38: "社会", 39: "综合"}
