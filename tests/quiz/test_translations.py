"""The English catalog: every UI string is translated, and no translation breaks its placeholders.

Source strings (msgids) are Chinese; English lives in quiz/translations/en/LC_MESSAGES/messages.po.
The completeness test extracts the messages from the source itself (with the mapping in babel.cfg),
so a string added to the code without an English translation fails here, not in front of a user.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
PO_PATH = ROOT / "quiz" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ("_", "gettext", "ngettext", "_l", "N_", "lazy_gettext")
PLACEHOLDER = re.compile(r"%\((\w+)\)([sdif])")  # (name, conversion): both must match
HOW_TO_FIX = "run `make translations`, then translate them in quiz/translations/en/LC_MESSAGES/messages.po"


def _ids(message_id) -> tuple[str, ...]:
    return message_id if isinstance(message_id, tuple) else (message_id,)


def _strings(message) -> tuple[str, ...]:
    return message.string if isinstance(message.string, tuple) else (message.string or "",)


@pytest.fixture(scope="module")
def catalog():
    with PO_PATH.open("rb") as f:
        return read_po(f, locale="en")


@pytest.fixture(scope="module")
def messages(catalog):
    return [m for m in catalog if m.id]


@pytest.fixture(scope="module")
def extracted_ids() -> set[str]:
    """Every msgid in the current source, extracted the way `pybabel extract -F babel.cfg` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f, filename="babel.cfg")
    keywords = {name: DEFAULT_KEYWORDS.get(name) for name in KEYWORDS}  # ngettext: singular and plural
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.update(m for m in _ids(message) if m)
    return found


def _percents(text: str) -> tuple[int, int]:
    """How many escaped (%%) and lone % signs a string has besides its %(name)x placeholders."""
    rest = PLACEHOLDER.sub("", text)
    return rest.count("%%"), rest.replace("%%", "").count("%")


def _show(placeholders) -> str:
    return ", ".join(f"%({name}){kind}" for name, kind in sorted(placeholders)) or "none"


def _translated(message) -> bool:
    return "fuzzy" not in message.flags and all(s.strip() for s in _strings(message))


def test_every_message_has_an_english_translation(messages):
    untranslated = [m.id for m in messages if not _translated(m)]
    assert not untranslated, (
        f"{len(untranslated)} message(s) have no English translation (or are marked fuzzy):\n"
        + "\n".join(f"  {_ids(i)[0]}" for i in untranslated)
        + f"\nTranslate them in {PO_PATH.relative_to(ROOT)}"
    )


def test_translations_keep_the_placeholders_of_their_msgid(messages):
    broken = []
    for m in messages:
        expected = {p for i in _ids(m.id) for p in PLACEHOLDER.findall(i)}
        for s in _strings(m):
            if not s:
                continue
            got = set(PLACEHOLDER.findall(s))
            # A literal percent sign is %% in a message formatted with parameters: the translation
            # must escape (or not) exactly as its msgid does, or formatting breaks or shows "%%".
            percents_differ = "python-format" in m.flags and _percents(s) != _percents(_ids(m.id)[0])
            if got != expected or percents_differ:
                broken.append(f"  {_ids(m.id)[0]!r}\n    -> {s!r} (expected {_show(expected)}, got {_show(got)})")
    assert not broken, "Translations whose placeholders differ from the msgid:\n" + "\n".join(broken)


def test_the_catalog_covers_every_message_in_the_source(catalog, extracted_ids):
    translated = {i for m in catalog if m.id and _translated(m) for i in _ids(m.id)}
    missing = sorted(extracted_ids - translated)
    assert not missing, (
        f"{len(missing)} message(s) in the source have no English translation:\n"
        + "\n".join(f"  {m}" for m in missing)
        + f"\nTo fix: {HOW_TO_FIX}."
    )


def test_the_login_page_is_sign_in(catalog):
    assert catalog.get("登录").string == "Sign in"
    assert catalog.get("退出登录").string == "Sign out"


def test_plural_messages_have_an_english_singular_and_plural(messages):
    """ngettext messages: English needs a form for one and one for many (not "1 row(s)")."""
    plural = [m for m in messages if isinstance(m.id, tuple) and _translated(m)]
    assert plural, "no plural messages in the catalog"
    same = [m.id[0] for m in plural if len(_strings(m)) != 2 or _strings(m)[0] == _strings(m)[1] or "(s)" in "".join(_strings(m))]
    assert not same, "Plural messages whose English forms are missing or identical:\n" + "\n".join(f"  {i}" for i in same)


def test_the_english_sessions_page_punctuates_in_english(client, session):
    """Full-width （）：， belong inside the Chinese message, so English shows "Address: …", never "Address：…"."""
    from tests.factories import make_province, make_user
    from tests.quiz.conftest import Auth

    units = make_province(session)
    make_user(session, "sessions_en", units["金水"])
    session.commit()
    assert Auth(client).login("sessions_en").status_code == 302
    page = client.get("/account/sessions", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Address: 127.0.0.1 · Signed in " in page and "Last used " in page
    main = page.split("<main", 1)[1].split("</main>", 1)[0]
    assert not re.search(r"[（）：，；]", main), re.findall(r".{20}[（）：，；].{20}", main)
    chinese = client.get("/account/sessions").get_data(as_text=True)
    assert "地址：127.0.0.1 · 登录于 " in chinese


def test_no_english_translation_counts_with_a_parenthesised_plural(messages):
    """A count is an ngettext message with two English forms (or worded without a plural), never "row(s)"."""
    glued = [(_ids(m.id)[0], s) for m in messages for s in _strings(m) if re.search(r"[A-Za-z]\(s\)", s)]
    assert not glued, "Translations with a parenthesised plural:\n" + "\n".join(f"  {i!r} -> {s!r}" for i, s in glued)
