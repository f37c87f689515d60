from datetime import datetime

import pytest

from zsnews_crawler.dates import CST, DateError, iso, parse_date_arg, parse_published


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2023-12-14", "2023-12-14T00:00:00+08:00"),
        ("2025-01-31 10:25", "2025-01-31T10:25:00+08:00"),
        ("2024-03-05 09:30:15", "2024-03-05T09:30:15+08:00"),
        ("2024年03月05日 09:30", "2024-03-05T09:30:00+08:00"),
        ("2024年3月5日", "2024-03-05T00:00:00+08:00"),
        ("２０２４－０３－０５　０９：３０", "2024-03-05T09:30:00+08:00"),
        ("2024年03月05日　09：30", "2024-03-05T09:30:00+08:00"),
        ("2024/03/05", "2024-03-05T00:00:00+08:00"),
    ],
)
def test_site_date_formats_parse_to_china_time(raw, expected):
    assert iso(parse_published(raw)) == expected


def test_relative_dates_resolve_against_fetch_time_not_now():
    fetched = datetime(2024, 3, 10, 12, 0, tzinfo=CST)
    assert parse_published("2 days ago", fetched_at=fetched).date().isoformat() == "2024-03-08"


@pytest.mark.parametrize("raw", ["", None, "no date here", "2024-13-45"])
def test_text_without_a_valid_date_gives_none(raw):
    assert parse_published(raw) is None


def test_date_arguments_accept_iso_and_reject_garbage_with_one_line():
    assert parse_date_arg("2024-03-05").isoformat() == "2024-03-05"
    assert parse_date_arg(None) is None
    with pytest.raises(DateError) as err:
        parse_date_arg("yesterdayish-42", "since")
    assert "since" in str(err.value) and "\n" not in str(err.value)
