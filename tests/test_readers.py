"""Readers during writes: `zsnews search` and Datasette while a crawl writes the archive.

No reader may see "database is locked", nor an article row whose images are
not all there (an article and its images are written in one transaction).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from zsnews_crawler.datasette import make_datasette
from zsnews_crawler.mirror import running_mirror
from zsnews_crawler.storage import open_readonly

from .conftest import SITE, expected_cases
from .test_crash import crawl_cmd, stored_count

ROOT = Path(__file__).resolve().parent.parent
EXPECTED_IMAGES = {f"{r['lang']}:{r['article_id']}": len(r["images"]) for _, _, r in expected_cases()}
IMAGE_COUNTS = ("SELECT a.id AS id, (SELECT count(*) FROM images i WHERE i.article_id = a.id) AS n "
                "FROM articles a")


def test_search_and_datasette_read_consistently_while_a_crawl_writes(tmp_path):
    db = tmp_path / "archive" / "zsnews.db"
    problems: list[str] = []
    reads = {"datasette": 0, "search": 0, "sqlite": 0}
    with running_mirror(SITE) as mirror:
        crawl = subprocess.Popen(crawl_cmd(mirror, db, "0.05"), cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while stored_count(db) < 1:
            assert crawl.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        ds = make_datasette(db)  # a writer is at work: opened mode=ro, not immutable

        def search_loop() -> None:
            while crawl.poll() is None:
                result = subprocess.run(
                    [sys.executable, "-m", "zsnews_crawler.cli", "search", "Zhongshan OR 中山", "--limit", "200",
                     "--format", "json", "--db", str(db)], cwd=ROOT, capture_output=True, text=True, timeout=60)
                reads["search"] += 1
                if result.returncode != 0:
                    problems.append(f"search: {result.stderr.strip()[-300:]}")
                    continue
                for hit in json.loads(result.stdout):
                    if hit["id"] not in EXPECTED_IMAGES:
                        problems.append(f"search found unknown {hit['id']}")

        searcher = threading.Thread(target=search_loop)
        searcher.start()
        sql = f"/zsnews.json?_shape=array&sql={IMAGE_COUNTS}"
        while crawl.poll() is None:
            response = asyncio.run(ds.client.get(sql))
            reads["datasette"] += 1
            if response.status_code != 200:
                problems.append(f"datasette {response.status_code}: {response.text[:300]}")
            else:
                problems += [f"datasette: {r['id']} has {r['n']} images" for r in response.json()
                             if EXPECTED_IMAGES.get(r["id"]) != r["n"]]
            reader = open_readonly(db)
            try:
                counts = reader.execute(IMAGE_COUNTS).fetchall()
            finally:
                reader.conn.close()
            reads["sqlite"] += 1
            problems += [f"sqlite: {key} has {n} images" for key, n in counts if EXPECTED_IMAGES.get(key) != n]
            time.sleep(0.01)
        out, err = crawl.communicate(timeout=120)
        searcher.join(timeout=120)
    assert crawl.returncode == 0, err[-2000:]
    assert "locked" not in err
    assert problems == []
    assert reads["datasette"] >= 5 and reads["search"] >= 2, reads
    assert stored_count(db) == len(EXPECTED_IMAGES)
    print("FIGURES readers", json.dumps(reads))
