"""Chinese numerals in labels: 第十二条, 第一百零五条, 第二百条, 第十条之一, and Arabic 第12条."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from question_bank.materials.numerals import article_label, parse_article_label, parse_number, to_chinese

# (statute-book spelling, value): both directions
TABLE = [
    ("一", 1), ("二", 2), ("五", 5), ("九", 9),
    ("十", 10), ("十一", 11), ("十二", 12), ("十九", 19),
    ("二十", 20), ("二十一", 21), ("三十五", 35), ("九十九", 99),
    ("一百", 100), ("一百零一", 101), ("一百零五", 105), ("一百一十", 110), ("一百一十二", 112),
    ("一百二十", 120), ("一百九十九", 199), ("二百", 200), ("二百零五", 205), ("二百一十", 210),
    ("三百八十七", 387), ("四百零八", 408), ("四百五十二", 452), ("五百零五", 505), ("九百九十九", 999),
    ("一千", 1000), ("一千零一", 1001), ("一千零一十", 1010), ("一千一百", 1100), ("二千零二十四", 2024),
    ("一万", 10000), ("一万零一十", 10010), ("一万二千", 12000),
]

# other spellings found in real texts: read, never written
READ_ONLY = [
    ("一十二", 12), ("两百", 200), ("两千", 2000), ("一〇五", 105), ("二〇二四", 2024), ("零", 0),
    ("12", 12), ("１２", 12), ("105", 105), ("一百十", 110),
]


@pytest.mark.parametrize(("text", "value"), TABLE)
def test_reads_the_statute_book_spelling(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(("text", "value"), TABLE)
def test_writes_the_statute_book_spelling(text, value):
    assert to_chinese(value) == text


@pytest.mark.parametrize(("text", "value"), READ_ONLY)
def test_reads_other_spellings(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize(
    "text", ["", "  ", "十百", "百百", "千百千", "条", "abc", "一a", "万", "一万万", "二十零", "一百零", "一千零零一"]
)
def test_rejects_what_is_not_a_numeral(text):
    with pytest.raises(ValueError):
        parse_number(text)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("第一条", (1, 0)), ("第十条", (10, 0)), ("第十二条", (12, 0)), ("第一百零五条", (105, 0)),
        ("第二百条", (200, 0)), ("第十条之一", (10, 1)), ("第一百二十条之六", (120, 6)),
        ("第四百零八条之一", (408, 1)), ("第12条", (12, 0)), ("第 12 条", (12, 0)), ("第１２０条之一", (120, 1)),
    ],
)
def test_article_labels(label, key):
    assert parse_article_label(label) == key


@pytest.mark.parametrize("label", ["第十条之", "十二条", "第十二款", "第条", "第十二条第二款"])
def test_rejects_what_is_not_an_article_label(label):
    with pytest.raises(ValueError):
        parse_article_label(label)


def test_writes_labels_in_chinese():
    assert article_label(12) == "第十二条"
    assert article_label(120, 1) == "第一百二十条之一"
    assert article_label(200) == "第二百条"


@given(st.integers(min_value=0, max_value=99_999_999))
def test_round_trip(n):
    assert parse_number(to_chinese(n)) == n


@given(st.integers(min_value=1, max_value=99_999), st.integers(min_value=0, max_value=99))
def test_label_round_trip(number, suffix):
    assert parse_article_label(article_label(number, suffix)) == (number, suffix)


def test_out_of_range():
    with pytest.raises(ValueError):
        to_chinese(100_000_000)
    with pytest.raises(ValueError):
        to_chinese(-1)
