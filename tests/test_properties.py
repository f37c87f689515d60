"""Property-based tests (hypothesis): URL canonicalisation, date parsing, text normalisation."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from hypothesis.provisional import urls

from zsnews_crawler.dates import parse_published
from zsnews_crawler.normalize import body, metadata, text
from zsnews_crawler.urls import canonical_url

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- URLs ----------------------------------------------------------------------------

tracking_param = st.sampled_from(["utm_source", "utm_medium", "utm_campaign", "from", "spm", "share",
                                  "isappinstalled", "timestamp", "fbclid", "UTM_Source"])
param_value = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
en_path = st.builds(
    lambda sec, cat, aid: f"/{sec}/content/{cat}/{aid}.html",
    st.sampled_from(["News", "Business/InvestmentClimate", "AboutZhongshan/Gallery", "Video/OverseasChinese"]),
    st.integers(1, 999), st.integers(1, 10**7))
zh_path = st.builds(
    lambda ch, cat, aid: f"/{ch}/index/view/cateid/{cat}/id/{aid}.html",
    st.sampled_from(["news", "trade", "zsdongqu"]), st.integers(1, 999), st.integers(1, 10**7))
article = st.one_of(st.tuples(st.just("en.zsnews.cn"), en_path),
                    st.tuples(st.sampled_from(["www.zsnews.cn", "zsnews.cn"]), zh_path))


@st.composite
def article_variants(draw):
    host, path = draw(article)
    canonical_host = "en.zsnews.cn" if host == "en.zsnews.cn" else "www.zsnews.cn"
    pairs = draw(st.lists(st.tuples(tracking_param, param_value), max_size=4))
    from urllib.parse import urlencode

    query = ("?" + urlencode(pairs)) if pairs else draw(st.sampled_from(["", "?"]))
    fragment = draw(st.sampled_from(["", "#top", "#"]))
    scheme = draw(st.sampled_from(["http", "https", "HTTP", "Https"]))
    shown_host = draw(st.sampled_from([host, host.upper()]))
    return f"{scheme}://{shown_host}{path}{query}{fragment}", f"https://{canonical_host}{path}"


@PROPERTY
@given(article_variants())
def test_http_https_host_case_and_tracking_variants_of_an_article_are_one_url(variant):
    url, expected = variant
    assert canonical_url(url) == expected


any_url = st.one_of(urls(), st.text(max_size=80),
                    st.builds(lambda u, t: u + t, urls(), st.text(max_size=30)))


@PROPERTY
@given(any_url)
@example("http://[")
@example("http://[::1")
@example("https://en.zsnews.cn:99999/News/content/1/2.html?utm_source=x")
@example("https://x.cn/a?q=%ff&from=1")
@example("https://en.zsnews.cn/a?from=x&&page=2#frag")
def test_canonical_url_never_raises_and_is_idempotent(url):
    once = canonical_url(url)
    assert isinstance(once, str)
    assert canonical_url(once) == once


def test_parameters_that_are_not_tracking_are_kept_byte_for_byte():
    assert canonical_url("https://x.cn/a?q=%ff&from=1&b=a+b") == "https://x.cn/a?q=%ff&b=a+b"


# --- dates ------------------------------------------------------------------------------

FULLWIDTH = str.maketrans("0123456789:", "０１２３４５６７８９：")
moment = st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2060, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0))


@st.composite
def printed_date(draw):
    """A date as the sites print it: 2024-03-05, 2024-03-05 10:25, 2024年03月05日 10:25, full-width."""
    when = draw(moment)
    with_time = draw(st.booleans())
    style = draw(st.sampled_from(["iso", "slash", "dot", "zh", "zh-unpadded"]))
    if style == "zh":
        day = f"{when:%Y}年{when:%m}月{when:%d}日"
    elif style == "zh-unpadded":
        day = f"{when.year}年{when.month}月{when.day}日"
    else:
        sep = {"iso": "-", "slash": "/", "dot": "."}[style]
        day = f"{when:%Y}{sep}{when:%m}{sep}{when:%d}"
    printed = day + (draw(st.sampled_from([" ", "  ", "\u3000"])) + f"{when:%H:%M}" if with_time else "")
    if draw(st.booleans()):
        printed = printed.translate(FULLWIDTH)
    expected = when if with_time else when.replace(hour=0, minute=0)
    return printed, expected


@PROPERTY
@given(printed_date())
def test_dates_in_the_sites_formats_round_trip_in_china_time(case):
    printed, expected = case
    parsed = parse_published(printed)
    assert parsed is not None, printed
    assert parsed.utcoffset() == timedelta(hours=8)
    assert parsed.replace(tzinfo=None) == expected


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_date_parsing_never_raises_and_is_always_china_time(raw):
    parsed = parse_published(raw, fetched_at=datetime(2024, 6, 1, 12, 0).astimezone())
    assert parsed is None or parsed.utcoffset() == timedelta(hours=8)


# --- text ---------------------------------------------------------------------------------

any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)


@PROPERTY
@given(any_text)
def test_text_normalisation_is_idempotent_nfc_and_trimmed(value):
    for normalise in (text, metadata, body):
        once = normalise(value)
        assert normalise(once) == once
        if once is not None:
            assert once == once.strip() and once != ""
            assert unicodedata.is_normalized("NFC", once)
