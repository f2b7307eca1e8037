"""Translation: ``translate(lang, key, **params)`` over one catalogue per language.

The catalogue is assembled from ``secondment/locale/*.toml`` (one file per area, each key holding its
``zh`` and ``en`` text side by side) plus the vocabulary's labels as ``vocab.<group>.<code>``.
The language is always passed in: nothing here is process-wide, so one session's language never
leaks into another's. Chinese is the default.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from secondment import vocab

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LANGUAGE_NAMES = {"zh": "中文", "en": "English"}
LOCALE_DIR = Path(__file__).with_name("locale")


def _flatten(prefix: str, table: dict, out: dict[str, dict[str, str]], source: str) -> None:
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        if isinstance(value, dict) and set(value) <= set(LANGUAGES) and value:
            if key in out:
                raise ValueError(f"duplicate i18n key {key!r} in {source}")
            out[key] = value
        elif isinstance(value, dict):
            _flatten(key, value, out, source)
        else:
            raise ValueError(f"i18n key {key!r} in {source} must be a table of zh/en strings")


@lru_cache(maxsize=1)
def _entries() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for path in sorted(LOCALE_DIR.glob("*.toml")):
        with path.open("rb") as fh:
            _flatten("", tomllib.load(fh), out, path.name)
    for group, codes in vocab.GROUPS.items():
        for code, (zh, en) in codes.items():
            out[f"vocab.{group}.{code}"] = {"zh": zh, "en": en}
    return out


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """Every key's text in ``lang`` (missing texts stay missing, so the key test can find them)."""
    return {k: v[lang] for k, v in _entries().items() if lang in v}


def translate(lang: str, key: str, **params) -> str:
    """The text of ``key`` in ``lang`` with ``params`` filled in. A key may have a ``<key>_one`` variant for a
    count of one ("1 entry" rather than "1 entries"); it is used when the ``n`` or ``count`` parameter is 1."""
    lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    if 1 in (params.get("n"), params.get("count")) and f"{key}_one" in catalogue(lang):
        key = f"{key}_one"
    text = catalogue(lang).get(key)
    if text is None:
        text = catalogue(DEFAULT_LANGUAGE).get(key, key)
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def has(key: str) -> bool:
    return key in _entries()


def label(group: str, code, lang: str) -> str:
    return vocab.label(group, code, lang)


def format_date(value, lang: str) -> str:
    """2026-11-26 in both languages (the form Chinese offices also type); empty for None."""
    if value is None or value == "":
        return ""
    return str(value)[:10]
