import subprocess
import sys
import urllib.error
import urllib.request

import pytest

from zsnews_crawler.mirror import MirrorError, running_mirror, start_mirror


@pytest.fixture
def tiny_site(tmp_path):
    en = tmp_path / "en.zsnews.cn"
    zh = tmp_path / "www.zsnews.cn"
    (en / "News").mkdir(parents=True)
    (zh / "api" / "mobile").mkdir(parents=True)
    (en / "index.html").write_text("<p>home</p>")
    (en / "News" / "index.html").write_text("<p>news</p>")
    (zh / "index.html").write_bytes("<meta charset=gbk><p>中文</p>".encode("gbk"))
    (zh / "api" / "mobile" / "getlist.html@cateid=35").write_text('[{"id": 1}]')
    (zh / "404.html").write_text("<h1>gone</h1>")
    return tmp_path


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.headers.get("Content-Type"), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read()


def test_serves_each_host_on_its_own_port_with_index_files(tiny_site):
    with running_mirror(tiny_site) as m:
        assert get(m.base_urls["en"] + "/")[2] == b"<p>home</p>"
        assert get(m.base_urls["en"] + "/News/")[2] == b"<p>news</p>"
        # a directory without its slash redirects, as a web server would
        assert get(m.base_urls["en"] + "/News")[2] == b"<p>news</p>"
        assert "中文".encode("gbk") in get(m.base_urls["zh"] + "/")[2]


def test_html_is_sent_without_charset_so_the_page_meta_decides(tiny_site):
    with running_mirror(tiny_site) as m:
        assert get(m.base_urls["zh"] + "/")[1] == "text/html"


def test_query_strings_are_routed_to_at_files_and_unknown_ones_ignored(tiny_site):
    with running_mirror(tiny_site) as m:
        status, ctype, body = get(m.base_urls["zh"] + "/api/mobile/getlist.html?cateid=35")
        assert (status, ctype, body) == (200, "application/json", b'[{"id": 1}]')
        assert get(m.base_urls["en"] + "/News/index.html?utm_source=x")[2] == b"<p>news</p>"


def test_missing_files_and_path_escapes_are_404(tiny_site):
    with running_mirror(tiny_site) as m:
        assert get(m.base_urls["zh"] + "/nope.html")[:1] == (404,)
        assert get(m.base_urls["zh"] + "/nope.html")[2] == b"<h1>gone</h1>"
        assert get(m.base_urls["en"] + "/../www.zsnews.cn/index.html")[0] == 404


def test_a_folder_without_host_folders_is_refused(tmp_path):
    with pytest.raises(MirrorError):
        start_mirror(tmp_path)


def test_cli_prints_both_base_urls(tiny_site):
    proc = subprocess.Popen(
        [sys.executable, "-m", "zsnews_crawler.cli", "mirror", "--root", str(tiny_site)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        lines = [proc.stdout.readline().split() for _ in range(2)]
        urls = dict(lines)
        assert set(urls) == {"en", "zh"}
        assert get(urls["en"] + "/")[2] == b"<p>home</p>"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
