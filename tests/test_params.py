import pytest

from zsnews_crawler.params import ArgumentError, CrawlParams


def test_dates_sections_and_numbers_are_parsed():
    p = CrawlParams.from_args("2024-01-01", "2024-12-31", "News, 本地", "3", "7", "1")
    assert (str(p.since), str(p.until), p.sections, p.max_pages, p.refresh_days, p.full) == (
        "2024-01-01", "2024-12-31", ["News", "本地"], 3, 7, True)


@pytest.mark.parametrize("kwargs", [
    {"since": "31/31/2024"}, {"until": "never"}, {"since": "2024-05-01", "until": "2024-01-01"},
    {"max_pages": "many"}, {"max_pages": "0"}, {"refresh": "-1"}, {"full": "perhaps"},
])
def test_bad_arguments_raise_one_line_errors(kwargs):
    with pytest.raises(ArgumentError) as err:
        CrawlParams.from_args(**kwargs)
    assert "\n" not in str(err.value)


def test_section_filter_matches_links_by_path_text_or_cateid():
    p = CrawlParams.from_args(sections="Investment Climate,本地")
    assert p.link_in_sections("http://h/Business/InvestmentClimate/list_377_1.html", "2")
    assert p.link_in_sections("http://h/x.html", "Investment Climate")
    assert p.link_in_sections("http://h/news/index/lists/cateid/35.html", "")
    assert not p.link_in_sections("http://h/News/index.html", "News")
    assert p.article_in_sections(["Business", "Investment Climate"], 377)
    assert p.article_in_sections([], 35) and not p.article_in_sections(["社会"], 38)
    assert p.api_cateids([35, 36, 37]) == [35]


def test_without_filters_everything_is_in():
    p = CrawlParams.from_args()
    assert p.link_in_sections("http://h/anything", "x") and p.article_in_sections(["X"], 1)
    assert p.in_date_range("2020-01-01T00:00:00+08:00") and p.api_cateids([35]) == [35]


def test_date_range_is_inclusive_of_both_ends():
    p = CrawlParams.from_args("2024-03-05", "2024-03-06")
    assert p.in_date_range("2024-03-05T00:00:00+08:00") and p.in_date_range("2024-03-06T23:59:00+08:00")
    assert not p.in_date_range("2024-03-04T23:59:00+08:00") and not p.in_date_range("2024-03-07T00:00:00+08:00")


def test_listing_walk_stops_at_a_page_with_nothing_new_or_a_known_oldest_article():
    from zsnews_crawler.spiders.base import listing_exhausted

    known = {10, 9, 8, 7}.__contains__

    def is_new(i):
        return not known(i)

    assert listing_exhausted([10, 9, 8], is_new)  # nothing unseen
    assert listing_exhausted([12, 11, 10, 9], is_new)  # newest first, oldest known
    assert not listing_exhausted([12, 11], is_new)  # all new: the next page may hold more
    assert not listing_exhausted([12, 7, 11, 3], is_new)  # not chronological, 3 unknown: keep going
    assert not listing_exhausted([], is_new)  # a menu page: no evidence either way
