"""The catalogue: both languages have the same keys, no value is empty, placeholders agree."""
import re
from pathlib import Path

from secondment import i18n, navigation, permissions, vocab

ROOT = Path(__file__).resolve().parent.parent


def test_same_keys_in_both_languages():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    assert set(zh) == set(en), sorted(set(zh) ^ set(en))


def test_no_value_is_empty():
    for lang in i18n.LANGUAGES:
        empty = [k for k, value in i18n.catalogue(lang).items() if not value.strip()]
        assert empty == [], (lang, empty)


def test_placeholders_agree():
    zh, en = i18n.catalogue("zh"), i18n.catalogue("en")
    for key in zh:
        names = r"{(\w+)(?::[^}]*)?}"      # {month:02d} names month
        assert set(re.findall(names, zh[key])) == set(re.findall(names, en[key])), key


def test_chinese_is_default_and_unknown_language_falls_back():
    assert i18n.DEFAULT_LANGUAGE == "zh"
    assert i18n.translate("fr", "nav.roster") == "人员名册"
    assert i18n.translate("en", "nav.roster") == "Roster"


def test_vocabulary_is_in_the_catalogue():
    for group, codes in vocab.GROUPS.items():
        for code in codes:
            assert i18n.has(f"vocab.{group}.{code}")


def test_every_page_and_action_has_labels():
    for spec in navigation.PAGES:
        assert i18n.has(f"nav.{spec.key}") and i18n.has(f"nav.section_{spec.section}")
        assert (ROOT / "pages" / spec.file).exists()
    for action in permissions.ACTIONS:
        assert i18n.has(f"action.{action}"), action


def test_every_key_used_in_code_exists():
    """Literal t("…"), tm("…") and empty("…") keys in pages and the core must be in the catalogue (dynamic keys
    are not checked)."""
    pattern = re.compile(r"""\b(?:t|tm|empty)\(\s*["']([a-z_][\w.]*)["']""")
    missing = []
    for path in list((ROOT / "pages").glob("*.py")) + list((ROOT / "secondment").glob("*.py")) + [ROOT / "app.py"]:
        for key in pattern.findall(path.read_text(encoding="utf-8")):
            if not i18n.has(key):
                missing.append(f"{path.name}: {key}")
    assert missing == []


def test_a_count_of_one_takes_the_singular_where_there_is_one():
    from secondment import i18n

    params = {"name": "沈婕", "batch": "C5", "week": "2026-W48", "hours": "2"}
    assert "· 1 entry ·" in i18n.translate("en", "review.queue_item", n=1, **params)
    assert "· 3 entries ·" in i18n.translate("en", "review.queue_item", n=3, **params)
    assert "· 1 条 ·" in i18n.translate("zh", "review.queue_item", n=1, **params)
    assert i18n.translate("en", "error.many_invalid", count=1) == "1 problem found; nothing was written."
    assert i18n.translate("en", "error.many_invalid", count=2) == "2 problems found; nothing was written."
