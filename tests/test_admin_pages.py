"""Administration, audit trail and own account: the pages (AppTest, signed in for real) and the services behind
them (units, backups, audit export). Refused roles and signed-out visitors see a message and no data."""
from __future__ import annotations

import json
import sqlite3

import pytest
from argon2 import PasswordHasher
from conftest import actor_for, app_test, visible_text

from secondment import audit, auth, backup, clock, db, units
from secondment.errors import PermissionDenied, ValidationError
from secondment.permissions import Actor

SYSTEM = Actor.system("cli:test")
PASSWORD = "fixture-password"
UNIT_NAMES = ("区委组织部", "区人社局", "长风新村街道办事处", "上海星河科技有限公司", "普陀区发展改革委")
USERS = {"demo_admin": "admin", "demo_reviewer": "reviewer", "demo_viewer": "viewer",
         "demo_secondee": "secondee", "demo_liaison": "liaison"}


@pytest.fixture(autouse=True)
def quick_hashes(monkeypatch):
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    monkeypatch.setattr(auth, "_DUMMY", [])


@pytest.fixture
def store(empty_store) -> db.Store:
    """Five units, two participants and one account per app role, built by hand."""
    with empty_store.write() as conn:
        c = conn.conn
        c.execute("insert into batches(id, code, direction, intake_year, start_date, end_date) "
                  "values (1, 'C5', 'cadre_to_enterprise', 2024, '2024-03-01', '2026-12-31')")
        kinds = ("party_org", "government_department", "street_town", "enterprise", "government_department")
        for i, (name, kind) in enumerate(zip(UNIT_NAMES, kinds), start=1):
            c.execute("insert into units(id, name, kind, active) values (?, ?, ?, 1)", (i, name, kind))
        for i, name in enumerate(("张明", "王芳"), start=1):
            c.execute("insert into participants(id, name, batch_id, home_unit_id, host_unit_id, start_date, "
                      "end_date, status) values (?, ?, 1, 2, 4, '2024-03-01', '2026-12-31', 'active')", (i, name))
    links = {"secondee": {"participant_id": 1}, "liaison": {"department_id": 2}}
    for username, role in USERS.items():
        auth.create_user(empty_store, SYSTEM, username, PASSWORD, role, display_name=f"名字{role}",
                         **links.get(role, {}))
    return empty_store


def run(page, store, username, lang="zh"):
    at = app_test(page, store, username, lang=lang)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def open_tab(at, key: str, lang: str = "zh"):
    """Open the admin page's tab ``admin.tab_<key>`` (only the open tab runs)."""
    from secondment import i18n

    at.session_state["admin_tabs"] = i18n.translate(lang, key)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def everything_shown(at) -> str:
    frames = " ".join(df.value.to_csv() for df in at.dataframe)
    return visible_text(at) + " " + frames


# --- pages: who may open them --------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_admin_page_as_admin(store, lang):
    at = run("admin", store, "demo_admin", lang)
    shown = everything_shown(at)
    assert at.title[0].value == ("系统管理" if lang == "zh" else "Administration")
    for username in USERS:
        assert username in shown
    assert "new_unit_name" not in [w.key for w in at.text_input]     # the units' tab is closed: it does not run
    units_tab = everything_shown(open_tab(at, "admin.tab_units", lang))
    for name in UNIT_NAMES:
        assert name in units_tab
    assert ("共 5 个账户" if lang == "zh" else "5 accounts") in shown
    assert "password_hash" not in shown and "$argon2" not in shown


ALLOWED = {"admin": {"demo_admin"}, "audit": {"demo_admin", "demo_reviewer"}, "account": set(USERS)}
REFUSED = [(page, user) for page in ALLOWED for user in [*USERS, None] if user not in ALLOWED[page]]


@pytest.mark.parametrize("page,username", REFUSED)
def test_refused_roles_see_no_data(store, page, username):
    at = run(page, store, username)
    shown = everything_shown(at)
    assert not at.main.dataframe
    for other in USERS:
        assert other not in shown
    for name in UNIT_NAMES:
        assert name not in shown
    if username is None:   # every URL opens the sign-in page for a stranger
        assert [w.key for w in at.main.text_input] == ["signin_username", "signin_password"]
    else:
        assert "无权打开此页面" in shown and not at.main.text_input and not at.main.button


def test_audit_page_for_reviewer_and_admin(store):
    for username in ("demo_admin", "demo_reviewer"):
        at = run("audit", store, username)
        frame = at.dataframe[0].value
        assert len(frame) == len(USERS)  # five accounts created, newest first
        assert set(frame["操作人"]) == {"命令行：test"}   # the command line, named as such
        assert "新增" in set(frame["操作"])
        assert "demo_liaison" in frame.iloc[0]["修改内容"]


def test_audit_page_filters_by_text(store):
    at = run("audit", store, "demo_admin", "en")
    at.text_input(key="aud_text").input("demo_viewer").run()
    frame = at.dataframe[0].value
    assert len(frame) == 1 and "demo_viewer" in frame.iloc[0]["Changes"]
    at.text_input(key="aud_text").input("no such text anywhere").run()
    assert not at.dataframe and "No entries match" in visible_text(at)


def test_admin_creates_an_account(store):
    at = run("admin", store, "demo_admin")
    at.text_input(key="new_username").input("newcomer")
    at.text_input(key="new_display").input("新同事")
    at.text_input(key="new_pw1").input("a-good-long-password")
    at.text_input(key="new_pw2").input("a-good-long-password")
    next(b for b in at.button if b.label == "创建账户").click().run()
    assert not at.exception
    row = store.one("select username, display_name, role from users where username = 'newcomer'")
    assert row == {"username": "newcomer", "display_name": "新同事", "role": "admin"}
    entry = store.one("select username, action, after from audit_log where row_id = "
                      "(select cast(id as text) from users where username = 'newcomer') and table_name = 'users'")
    assert entry["username"] == "demo_admin" and entry["action"] == "insert" and '"***"' in entry["after"]
    assert "已创建账户 newcomer" in visible_text(at)


def test_a_long_roster_is_searched_to_link_a_new_account(demo_store, monkeypatch):
    """Beyond ``ui.PICKER_ALL`` people the new account's person picker lists the first few and a search box (outside
    the form, so it narrows as it is typed) finds anyone; the account is linked to the person found."""
    from secondment import ui

    monkeypatch.setattr(ui, "PICKER_ALL", 10)
    monkeypatch.setattr(ui, "PICKER_LISTED", 5)
    people = auth.participant_choices(demo_store, actor_for(demo_store, "demo_admin"))
    assert len(people) > 10
    at = run("admin", demo_store, "demo_admin")
    at.selectbox(key="new_role").set_value("secondee").run()
    assert len(at.selectbox(key="new_participant").options) == 5
    far = people[-1]
    assert not any(o.startswith(far["name"]) for o in at.selectbox(key="new_participant").options)
    at.text_input(key="new_participant:find").input(far["name"]).run()
    options = at.selectbox(key="new_participant").options
    assert options and all(far["name"] in o for o in options), options
    at.selectbox(key="new_participant").set_value(far["id"]).run()
    at.text_input(key="new_username").input("found_one")
    at.text_input(key="new_pw1").input("a-good-long-password")
    at.text_input(key="new_pw2").input("a-good-long-password")
    next(b for b in at.button if b.label == "创建账户").click().run()
    assert not at.exception
    assert demo_store.one("select role, participant_id from users where username = 'found_one'") == {
        "role": "secondee", "participant_id": far["id"]}


def test_a_long_list_of_units_is_turned_page_by_page_and_downloaded_whole(demo_store, monkeypatch):
    from secondment import ui

    monkeypatch.setattr(ui, "ROSTER_ROWS", 20)
    every = units.list_units(demo_store, actor_for(demo_store, "demo_admin"), None, active=True)
    assert len(every) > 40
    at = open_tab(run("admin", demo_store, "demo_admin"), "admin.tab_units")
    table = lambda: next(d.value for d in at.dataframe if "单位名称" in d.value.columns)
    assert list(table()["单位名称"]) == [u["name"] for u in every[:20]]
    assert "本页为第 1–20 个。" in visible_text(at)
    at.number_input(key="unit_page").set_value(3).run()
    assert list(table()["单位名称"]) == [u["name"] for u in every[40:60]]
    at.text_input(key="unit_search").input(every[45]["name"]).run()     # a new filter: its matches from the first
    assert every[45]["name"] in list(table()["单位名称"])
    assert "unit_page" not in [n.key for n in at.number_input]          # one page of matches: no page picker


def test_admin_create_refuses_mismatched_passwords(store):
    at = run("admin", store, "demo_admin")
    at.text_input(key="new_username").input("newcomer")
    at.text_input(key="new_pw1").input("a-good-long-password")
    at.text_input(key="new_pw2").input("a-different-password")
    next(b for b in at.button if b.label == "创建账户").click().run()
    assert "两次输入的密码不一致" in visible_text(at)
    assert store.scalar("select count(*) from users where username = 'newcomer'") == 0


def test_admin_adds_a_unit(store):
    at = run("admin", store, "demo_admin")
    open_tab(at, "admin.tab_units")
    at.text_input(key="new_unit_name").input("曹杨新村街道办事处")
    at.selectbox(key="new_unit_kind").set_value("street_town")
    at.selectbox(key="new_unit_street").set_value("曹杨新村街道")
    at.number_input(key="new_unit_limit").set_value(10)
    next(b for b in at.button if b.label == "新增单位").click().run()
    assert not at.exception
    row = store.one("select name, kind, street, time_limit_days, active from units where name = '曹杨新村街道办事处'")
    assert row == {"name": "曹杨新村街道办事处", "kind": "street_town", "street": "曹杨新村街道",
                   "time_limit_days": 10, "active": 1}


def test_account_page_changes_own_password(store):
    at = run("account", store, "demo_viewer", "en")
    assert "demo_viewer" in visible_text(at)
    inputs = at.text_input
    inputs[0].input(PASSWORD)
    inputs[1].input("my-new-password-1")
    inputs[2].input("my-new-password-1")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert "Password changed" in visible_text(at)
    assert store.scalar("select action from audit_log order by id desc limit 1") == "password_change"
    assert auth.authenticate(store, "demo_viewer", "my-new-password-1").username == "demo_viewer"
    assert store.scalar("select action from audit_log order by id desc limit 1") == "sign_in"


def test_account_page_wrong_current_password(store):
    at = run("account", store, "demo_viewer", "en")
    at.text_input[0].input("not-my-password")
    at.text_input[1].input("my-new-password-1")
    at.text_input[2].input("my-new-password-1")
    next(b for b in at.button if b.label == "Change password").click().run()
    assert "the current password is wrong" in visible_text(at)
    assert auth.authenticate(store, "demo_viewer", PASSWORD)


# --- units service ------------------------------------------------------------------------------------------

def admin_actor(store):
    return auth.actor_from_row(store.one("select * from users where username = 'demo_admin'"))


def test_list_units_sorted_by_pinyin_and_filtered(store):
    viewer = auth.actor_from_row(store.one("select * from users where username = 'demo_viewer'"))
    names = [u["name"] for u in units.list_units(store, viewer)]
    # 长 (cháng) before 普 (pǔ) before 区 (qū) before 上 (shàng)
    assert names == ["长风新村街道办事处", "普陀区发展改革委", "区人社局", "区委组织部", "上海星河科技有限公司"]
    assert [u["name"] for u in units.list_units(store, viewer, "enterprise")] == ["上海星河科技有限公司"]
    departments = units.list_units(store, viewer, ("government_department", "party_org"))
    assert {u["kind"] for u in departments} == {"government_department", "party_org"} and len(departments) == 3
    assert [u["name"] for u in units.list_units(store, viewer, search="人社")] == ["区人社局"]
    assert set(units.COLUMNS) == set(units.list_units(store, viewer)[0])


def test_unit_writes_are_validated_and_audited(store):
    boss = admin_actor(store)
    new_id = units.create_unit(store, boss, name=" 新单位 ", kind="非公企业", street="长寿路街道", industry="软件")
    row = units.get_unit(store, boss, new_id)
    assert (row["name"], row["kind"], row["street"], row["active"]) == ("新单位", "enterprise", "长寿路街道", 1)
    with pytest.raises(ValidationError) as taken:
        units.create_unit(store, boss, name="区人社局", kind="government_department")
    assert taken.value.reason == "taken"
    with pytest.raises(ValidationError) as bad_street:
        units.create_unit(store, boss, name="某单位", kind="enterprise", street="火星街道")
    assert bad_street.value.field == "street"
    with pytest.raises(ValidationError) as limit_for_enterprise:
        units.update_unit(store, boss, new_id, time_limit_days=5)
    assert limit_for_enterprise.value.reason == "wrong_kind"
    with pytest.raises(ValidationError) as still_a_department:
        units.update_unit(store, boss, 2, kind="enterprise")  # demo_liaison's department
    assert still_a_department.value.reason == "department_in_use"

    units.update_unit(store, boss, 2, name="区人力资源和社会保障局", time_limit_days=12)
    entry = store.one("select * from audit_log where table_name = 'units' and row_id = '2' order by id desc")
    assert entry["action"] == "update" and entry["username"] == "demo_admin"
    assert "区人社局" in entry["before"] and "区人力资源和社会保障局" in entry["after"] and "12" in entry["after"]

    units.set_active(store, boss, new_id, False)
    assert store.scalar("select action from audit_log order by id desc limit 1") == "deactivate"
    assert new_id not in [u["id"] for u in units.list_units(store, boss)]
    assert new_id in [u["id"] for u in units.list_units(store, boss, active=None)]
    assert units.usage(store, boss, 2) == {"participants": 2, "feedback": 0, "practices": 0, "accounts": 1,
                                           "routing": 0}


@pytest.mark.parametrize("username", ["demo_viewer", "demo_secondee", "demo_liaison"])
def test_only_admins_and_reviewers_edit_units(store, username):
    who = auth.actor_from_row(store.one("select * from users where username = ?", (username,)))
    with pytest.raises(PermissionDenied):
        units.create_unit(store, who, name="x", kind="enterprise")
    with pytest.raises(PermissionDenied):
        units.update_unit(store, who, 1, name="y")
    assert store.scalar("select count(*) from audit_log where table_name = 'units'") == 0


# --- backups ------------------------------------------------------------------------------------------------

def test_backup_is_a_consistent_standalone_copy(store, tmp_path):
    boss = admin_actor(store)
    data = backup.backup_bytes(store, boss)
    copy = tmp_path / "copy.db"
    copy.write_bytes(data)
    conn = sqlite3.connect(copy)
    assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert conn.execute("pragma journal_mode").fetchone()[0] == "delete"
    assert conn.execute("select count(*) from users").fetchone()[0] == len(USERS)
    conn.close()
    out = backup.backup_to(store, boss, tmp_path / "sub" / "file.db")
    assert db.Store(out).scalar("select count(*) from units") == len(UNIT_NAMES)
    assert [r["action"] for r in store.rows("select action from audit_log where table_name = 'backup'")] == \
        ["backup", "backup"]


@pytest.mark.parametrize("username", ["demo_reviewer", "demo_viewer", "demo_secondee", "demo_liaison"])
def test_only_admins_back_up(store, username, tmp_path):
    who = auth.actor_from_row(store.one("select * from users where username = ?", (username,)))
    with pytest.raises(PermissionDenied):
        backup.backup_bytes(store, who)
    with pytest.raises(PermissionDenied):
        backup.backup_to(store, who, tmp_path / "x.db")
    assert not (tmp_path / "x.db").exists()


# --- audit browse and export ------------------------------------------------------------------------------

def test_audit_export_frame_is_labelled_and_filtered(store):
    boss = admin_actor(store)
    units.update_unit(store, boss, 1, industry="党建")
    frame = audit.export_frame(store, boss, "zh", table="units")
    assert list(frame.columns) == ["编号", "时间（北京时间）", "操作人", "数据表", "记录编号", "操作", "修改内容", "修改前",
                                   "修改后"]
    assert len(frame) == 1
    stored = store.scalar("select at from audit_log where table_name = 'units'")
    assert frame.iloc[0]["时间（北京时间）"] == clock.local_time(stored, "%Y-%m-%d %H:%M:%S")
    assert frame.iloc[0]["数据表"] == "单位" and frame.iloc[0]["操作"] == "修改"
    assert frame.iloc[0]["修改内容"] == "行业: — → 党建"
    english = audit.export_frame(store, boss, "en")
    assert "Changes" in english.columns and len(english) == store.scalar("select count(*) from audit_log")
    with pytest.raises(PermissionDenied):
        audit.export_frame(store, Actor(5, "demo_viewer", "viewer"), "zh")


def test_audit_browse_dates_and_literal_text(store):
    boss = admin_actor(store)
    today = clock.local_time(store.scalar("select max(at) from audit_log"), "%Y-%m-%d")  # a day in China
    assert audit.browse(store, boss, since=today, until=today)[1] == len(USERS)
    assert audit.browse(store, boss, until="2000-01-01")[1] == 0
    assert audit.browse(store, boss, text="%")[1] == 0  # a wildcard is taken literally
    assert audit.browse(store, boss, text="demo_admin")[1] == 1  # "_" too


def test_audit_dates_are_days_in_china():
    # 17:00 UTC on the 26th is 01:00 on the 27th in Shanghai: it belongs to the 27th.
    assert audit._bound("2026-11-27") == "2026-11-26T16:00:00Z"
    assert audit._bound("2026-11-26", end=True) == "2026-11-26T16:00:00Z"
    assert "2026-11-26T17:00:00Z" >= audit._bound("2026-11-27")
    assert clock.local_time("2026-11-26T17:00:00Z") == "2026-11-27 01:00"
    assert clock.local_time(None) == "" and clock.local_time(float("nan")) == ""


def test_every_audit_action_the_code_writes_has_a_label_in_both_languages(demo_store):
    import re
    from pathlib import Path

    from secondment import vocab

    source = "".join(p.read_text() for p in (Path(audit.__file__).parent).glob("*.py"))
    names = set(re.findall(r'action="([a-z_.]+)"', source)) - {"store_true", "feedback.flows"}
    names |= {r["action"] for r in demo_store.rows("select distinct action from audit_log")}
    names |= {"insert", "update", "delete", "lock", "backup", "approve", "return", "review", "promote"}
    names |= {f"feedback.{step}" for step in vocab.FEEDBACK_STEPS}
    for lang in ("zh", "en"):
        unlabelled = sorted(n for n in names if audit.action_label(n, lang) == n)
        assert not unlabelled, (lang, unlabelled)
    assert audit.action_label("feedback.transfer", "zh") == "问题反馈：转办"


def test_audit_summary_labels_columns_and_reads_times_in_china_time():
    row = {"table_name": "week_reviews", "before": '{"state": "submitted", "reviewed_at": null}',
           "after": '{"state": "approved", "reviewed_at": "2026-11-26T17:20:00Z"}'}
    assert audit.summary(row, "zh") == "审核状态: 已提交 → 已通过; 审核时间: — → 2026-11-27 01:20:00" or \
        audit.summary(row, "zh") == "审核时间: — → 2026-11-27 01:20:00; 审核状态: 已提交 → 已通过"
    assert "Reviewed at: — → 2026-11-27 01:20:00" in audit.summary(row, "en")


def test_audit_names_the_rows_an_id_points_to(demo_store):
    boss = Actor(1, "demo_admin", "admin")
    rows = demo_store.rows("select * from audit_log where table_name = 'feedback' and action = 'feedback.raise' "
                           "order by id desc limit 3")
    assert rows, "the demo's audit trail has raised feedback"
    names = audit.reference_names(demo_store, boss, rows)
    for row in rows:
        after = json.loads(row["after"])
        person = demo_store.scalar("select name from participants where id = ?", (after["participant_id"],))
        department = demo_store.scalar("select name from units where id = ?", (after["department_id"],))
        text = audit.summary(row, "zh", limit=50, names=names)
        assert f"{person} (#{after['participant_id']})" in text and f"{department} (#{after['department_id']})" in text
    with pytest.raises(PermissionDenied):
        audit.reference_names(demo_store, Actor(5, "demo_viewer", "viewer"), rows)


def test_a_new_account_sees_nothing_until_it_chooses_its_own_password(demo_store):
    from secondment import i18n

    admin = actor_for(demo_store, "demo_admin")
    auth.create_user(demo_store, admin, "newlead", "first-horse-battery-3", "viewer", temporary=True)
    at = app_test("overview", demo_store, "newlead").run()
    assert not at.exception
    assert [w.value for w in at.warning] == [i18n.translate("zh", "account.must_change")]
    assert not at.metric                                    # no programme figures behind the warning
    account = app_test("account", demo_store, "newlead").run()
    assert i18n.translate("zh", "account.must_change") in [w.value for w in account.warning]
    assert account.text_input                               # the password form is there
