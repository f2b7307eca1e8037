"""Sorting as Chinese users expect: names in pinyin order (张 after 王, 长寿路 before 真如).

``pinyin_key(text)`` gives a sort key string: the pinyin syllables with tone numbers, lower case, then the
text itself so equal readings still sort the same way every time. Latin letters and digits keep their
own order among the syllables ("ABC科技" sorts under "abc").
"""
from __future__ import annotations

from functools import lru_cache

from pypinyin import Style, lazy_pinyin, load_phrases_dict

# Readings pypinyin's phrase dictionary gets wrong for this district's place names (长 is cháng here).
load_phrases_dict({"长风": [["cháng"], ["fēng"]], "长征": [["cháng"], ["zhēng"]], "长寿": [["cháng"], ["shòu"]]})


@lru_cache(maxsize=20_000)
def pinyin_key(text) -> str:
    if text is None:
        return ""
    value = str(text).strip()
    syllables = lazy_pinyin(value, style=Style.TONE3, neutral_tone_with_five=True, errors="default")
    reading = " ".join(s.strip().lower() for s in syllables if s.strip())
    return f"{reading}\x00{value}"


def sort_by_pinyin(rows: list[dict], field: str = "name") -> list[dict]:
    """``rows`` sorted by the pinyin of ``row[field]`` (a new list)."""
    return sorted(rows, key=lambda row: pinyin_key(row.get(field)))
