"""Checks that keep each rule in one place: read the source, so a second copy of a rule fails here before it
disagrees with the first somewhere a person sees it."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import ROOT

from secondment import vocab

CORE = sorted((ROOT / "secondment").glob("*.py"))
PAGES = sorted((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
SOURCES = CORE + PAGES


def tree(path: Path) -> ast.AST:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def strings(node) -> list[str]:
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.mark.parametrize("path", [p for p in CORE if p.name != "ui.py"], ids=relative)
def test_the_core_never_imports_streamlit(path):
    for node in ast.walk(tree(path)):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""]
        assert not any(n == "streamlit" or n.startswith("streamlit.") for n in names), \
            f"{relative(path)}:{node.lineno} imports Streamlit; only secondment/ui.py may"


ROLE_IN_SQL = re.compile(r"\brole\s*(=|!=|in|not in)\s*\(?\s*'({})'".format("|".join(vocab.APP_ROLES)))


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name != "permissions.py"], ids=relative)
def test_no_module_but_permissions_compares_role_names(path):
    """A role name compared outside ``permissions`` is a second permission table: ask ``permissions``."""
    roles = set(vocab.APP_ROLES)
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Compare):
            for side in [node.left, *node.comparators]:
                found = roles & set(strings(side)) if isinstance(side, (ast.Constant, ast.Tuple, ast.List, ast.Set)) \
                    else set()
                assert not found, f"{relative(path)}:{node.lineno} compares with role name(s) {sorted(found)}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            assert not ROLE_IN_SQL.search(node.value), f"{relative(path)}:{node.lineno} names a role in SQL"


# The tests too: a test that reads the system clock passes on the day it was written and fails under faketime or a
# pinned SECONDMENT_TODAY. (test_clock checks the clock against the system's; conftest and the timers measure waits;
# the load run also stamps what each person did with the wall-clock time, to set beside the server's log.)
TESTS = [p for p in sorted((ROOT / "tests").glob("*.py"))
         if p.name not in ("test_clock.py", "test_one_place.py", "conftest.py", "browser_timer.py", "page_timer.py",
                           "load_run.py")]


@pytest.mark.parametrize("path", [p for p in SOURCES + TESTS if p.name != "clock.py"], ids=relative)
def test_only_the_clock_reads_the_system_clock(path):
    text = path.read_text(encoding="utf-8")
    if path.parent.name == "tests":      # a deadline to wait for is wall-clock time, not the programme's day
        text = re.sub(r"(deadline\s*=\s*|>\s*deadline|<\s*deadline)[^\n]*time\.time\(\)|time\.time\(\)\s*[<>]\s*deadline",
                      "", text)
    for pattern in (r"datetime\.now\(", r"date\.today\(", r"datetime\.utcnow\(", r"time\.time\(\)",
                    r"date\('now'", r"datetime\('now'", r"'\+8 hours'", r"ZoneInfo\("):
        assert not re.search(pattern, text), f"{relative(path)} uses {pattern}: ask secondment.clock"


FEEDBACK_SETS = [vocab.OPEN_FEEDBACK_STATUSES, vocab.FINAL_FEEDBACK_STATUSES, ("satisfied", "basically_satisfied")]


@pytest.mark.parametrize("path", [p for p in SOURCES if p.name not in ("feedback.py", "vocab.py")], ids=relative)
def test_the_feedback_status_sets_are_written_once(path):
    """Open, final and satisfied are defined once (``feedback.open_sql`` and friends); a second copy, as a Python
    tuple or an SQL ``in (...)`` list, is how "overdue" came to mean two things."""
    wanted = [set(codes) for codes in FEEDBACK_SETS]
    for node in ast.walk(tree(path)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            values = {e.value for e in node.elts if isinstance(e, ast.Constant)}
            assert values not in wanted or len(values) != len(node.elts), \
                f"{relative(path)}:{node.lineno} spells out a feedback status set: use feedback's rules"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            for match in re.finditer(r"\bin\s*\(([^()]*)\)", node.value):
                codes = set(re.findall(r"'(\w+)'", match.group(1)))
                assert codes not in wanted, f"{relative(path)}:{node.lineno} spells out {sorted(codes)} in SQL"
    text = path.read_text(encoding="utf-8")
    assert "ESCALATE_AFTER" not in text or path.name == "demo.py", \
        f"{relative(path)} repeats the escalation rule: use feedback.needs_escalation(_sql)"


@pytest.mark.parametrize("path", SOURCES, ids=relative)
def test_one_pinyin_key(path):
    if path.name == "textsort.py":
        return
    assert "lazy_pinyin" not in path.read_text(encoding="utf-8"), f"{relative(path)}: use textsort.pinyin_key"


@pytest.mark.parametrize("path", [p for p in CORE if p.name not in ("db.py",)], ids=relative)
def test_text_search_goes_through_the_where_builder(path):
    """A LIKE written by hand forgets to escape % and _ (searching "_" then matched every row)."""
    for value in strings(tree(path)):
        assert not re.search(r"\blike\s+\?", value, re.IGNORECASE) or "escape" in value, \
            f"{relative(path)}: a LIKE without escape; use db.Where.contains"
        assert not re.search(r"\blike\s+:\w+", value, re.IGNORECASE), f"{relative(path)}: use db.Where.contains"


# --- literal search in every list that has a search box (on the demo, rid of any "_" or "%") ---------------

@pytest.mark.parametrize("needle", ["_", "%"])
def test_every_search_box_takes_wildcards_literally(demo_store, needle):
    from conftest import actor_for

    from secondment import activities, audit, feedback, practices, roster, units

    reviewer, admin = actor_for(demo_store, "demo_reviewer"), actor_for(demo_store, "demo_admin")
    searches = {
        "roster": lambda: roster.list_participants(demo_store, reviewer, text=needle),
        "units": lambda: units.list_units(demo_store, admin, active=None, search=needle),
        "practices": lambda: practices.list_practices(demo_store, reviewer, text=needle)[0],
        "feedback": lambda: feedback.list_items(demo_store, reviewer, text=needle)[0],
        "entries": lambda: activities.list_entries(demo_store, reviewer, text=needle)[0],
        "audit": lambda: audit.browse(demo_store, admin, text=needle)[0],
    }
    with demo_store.write() as db:   # the demo's figures say "从48%提高到77%": none of that here
        for table, columns in {"practices": ("title", "summary"), "activities": ("title", "description", "outcome"),
                               "feedback": ("summary", "details", "answer")}.items():
            db.conn.execute(f"update {table} set " + ", ".join(f"{c} = replace({c}, ?, '')" for c in columns),
                            (needle,) * len(columns))
    for where, search in searches.items():
        assert search() == [] or where == "audit", where   # no text holds the character now
    # A row that holds the character is found, and only it.
    with demo_store.write() as db:
        db.conn.execute("update units set name = name || ? where id = (select min(id) from units)", (needle,))
        db.conn.execute("update participants set post = ? where id = (select min(id) from participants)",
                        (f"副总经理{needle}挂职",))
        db.conn.execute("update practices set title = title || ? where id = (select min(id) from practices)",
                        (needle,))
        db.conn.execute("update feedback set summary = summary || ? where id = (select min(id) from feedback)",
                        (needle,))
        db.conn.execute("update activities set title = title || ? where id = (select min(id) from activities)",
                        (needle,))
    assert len(searches["roster"]()) >= 1 and all(needle in (r["post"] or "") + r["host_unit"] + r["home_unit"]
                                                  for r in searches["roster"]())
    assert [needle in u["name"] for u in searches["units"]()] == [True]
    assert [needle in p["title"] for p in searches["practices"]()] == [True]
    assert [needle in f["summary"] for f in searches["feedback"]()] == [True]
    assert [needle in e["title"] for e in searches["entries"]()] == [True]


def test_departments_stand_in_one_order_everywhere(demo_store):
    """The same departments in the same (pinyin) order in every chooser: feedback, routing, administration."""
    from conftest import actor_for

    from secondment import feedback, textsort, units, vocab

    admin = actor_for(demo_store, "demo_admin")
    from_feedback = [d["name"] for d in feedback.departments(demo_store, admin)]
    from_units = [u["name"] for u in units.list_units(demo_store, admin, vocab.DEPARTMENT_KINDS)]
    assert from_feedback == from_units == sorted(from_units, key=textsort.pinyin_key)
