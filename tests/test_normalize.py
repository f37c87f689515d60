from zsnews_crawler.items import Article, Image
from zsnews_crawler.normalize import content_hash, normalize_article


def make(**kw):
    base = dict(lang="zh", article_id=1, url="https://www.zsnews.cn/news/index/view/cateid/35/id/1.html")
    base.update(kw)
    return Article(**base)


def test_metadata_full_width_becomes_ascii_and_whitespace_collapses():
    a = normalize_article(make(source="  中山日报\u3000ＡＢＣ ", editor="李四\n", author="王五　赵六"))
    assert (a.source, a.editor, a.author) == ("中山日报 ABC", "李四", "王五 赵六")


def test_titles_keep_chinese_punctuation_but_get_ascii_digits():
    a = normalize_article(make(title="  中山２０２４年，新桥开通：市民点赞 "))
    assert a.title == "中山2024年，新桥开通：市民点赞"


def test_text_is_nfc():
    decomposed = "Cafe\u0301"
    assert normalize_article(make(title=decomposed)).title == "Café"


def test_body_keeps_paragraphs_and_drops_empty_ones():
    a = normalize_article(make(body_text="  第一段\u3000内容 \n\n\n  \n\n第二段  "))
    assert a.body_text == "第一段 内容\n\n第二段"


def test_published_raw_is_kept_as_printed():
    a = normalize_article(make(published_raw=" ２０２４－０３－０５　０９：３０ "))
    assert a.published_raw == "２０２４－０３－０５　０９：３０"


def test_content_hash_ignores_url_and_fetch_details_but_not_text():
    a = make(title="t", body_text="b", images=[Image(url="u")])
    b = make(title="t", body_text="b", images=[Image(url="u")], url="http://other", fetched_at="x",
             extractor="trafilatura")
    assert content_hash(a) == content_hash(b)
    assert content_hash(a) != content_hash(make(title="t", body_text="b2", images=[Image(url="u")]))
    assert content_hash(a) != content_hash(make(title="t", body_text="b", images=[Image(url="u", caption="c")]))
