from __future__ import annotations

import json
from pathlib import Path

import pytest

from zsnews_crawler.mirror import running_mirror

FIXTURES = Path(__file__).parent / "fixtures"
SITE = FIXTURES / "site"
HOST_LANG = {"en.zsnews.cn": "en", "www.zsnews.cn": "zh"}


def expected_cases() -> list[tuple[str, Path, dict]]:
    """(real URL, page file, expected record) for every fixture article."""
    cases = []
    for expected in sorted(SITE.glob("*/**/*.expected.json")):
        page = expected.with_name(expected.name.replace(".expected.json", ".html"))
        record = json.loads(expected.read_text(encoding="utf-8"))
        cases.append((record["url"], page, record))
    return cases


@pytest.fixture(scope="session")
def mirror():
    with running_mirror(SITE) as running:
        yield running
