"""Safe on a government network: what an attacker or an accident can do to the server, and what it may not."""
from __future__ import annotations

import threading
import time
import tracemalloc

import pytest
from conftest import actor_for

from secondment import activities, auth, clock, roster_import


def test_a_flood_of_failed_sign_ins_never_blocks_another_users_saves(demo_store):
    """32 concurrent wrong passwords (real Argon2) while a secondee saves four entries: every save lands."""
    secondee = actor_for(demo_store, "demo_secondee")
    errors: list[BaseException] = []

    def guess(n):
        try:
            auth.authenticate(demo_store, "demo_admin", f"wrong-{n}", f"10.1.{n // 8}.{n}")
        except (auth.SignInFailed, auth.AccountLocked, auth.SignInBusy):
            pass
        except BaseException as error:  # noqa: BLE001 - anything else is what this test is about
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    saved = []
    for n in range(4):
        saved.append(activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today(),
                                          role="counsellor", title=f"并发保存第{n + 1}条", hours=1))
    for thread in threads:
        thread.join(120)
    assert not errors
    titles = {r["title"] for r in demo_store.rows("select title from activities where title like '并发保存第%'")}
    assert len(saved) == 4 and titles == {f"并发保存第{n}条" for n in range(1, 5)}
    failures = demo_store.scalar("select count(*) from audit_log where action = 'sign_in_failed'")
    assert 20 <= failures <= 32   # once twenty have failed, the username is held back without a hash


# --- imports are bounded -------------------------------------------------------------------------------------

def _sparse_corner_xlsx() -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet["A1"], sheet["B1"], sheet["XFD1048576"] = "姓名", "批次", "远角"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _zip_bomb_xlsx() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"0" * 300_000_000)
    return out.getvalue()


@pytest.mark.parametrize("make, name, reason", [
    (_sparse_corner_xlsx, "sparse.xlsx", "too_many_rows"),
    (_zip_bomb_xlsx, "bomb.xlsx", "unpacks_too_large"),
    (lambda: b"a,b\n" * (roster_import.MAX_FILE_BYTES // 4 + 1), "huge.csv", "file_too_large"),
    (lambda: ("x," * 60 + "\n").encode() * 3, "wide.csv", "too_many_columns"),
])
def test_a_hostile_file_is_refused_quickly_with_a_message(demo_store, make, name, reason):
    data = make()
    assert len(data) < 25 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    plan = roster_import.preview(demo_store, actor_for(demo_store, "demo_reviewer"), data, name)
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [e.reason for e in plan.errors] == [reason]
    assert plan.errors[0].message("zh") and not plan.rows
    assert elapsed < 30 and peak < 200 * 2**20, (elapsed, peak / 2**20)   # generous: refusal is not parsing


def test_the_command_line_will_not_read_a_device_or_a_huge_file(tmp_path, demo_file):
    import subprocess
    import sys

    from conftest import ROOT, copy_demo

    store = copy_demo(demo_file, tmp_path / "cli.db")
    for target in ("/dev/zero", str(tmp_path)):
        done = subprocess.run([sys.executable, "-m", "secondment", "import-roster", target, "--db", str(store.path)],
                              cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


@pytest.mark.parametrize("encoding, separator", [("big5", ","), ("utf-8", ";"), ("gb18030", "\t"),
                                                 ("utf-16", ",")])
def test_other_encodings_and_separators_are_read(demo_store, encoding, separator):
    c5 = demo_store.one("select start_date, end_date from batches where code = 'C5'")
    header = separator.join(["姓名", "性別" if encoding == "big5" else "性别", "批次", "派出单位" if encoding != "big5"
                             else "派出單位", "挂职单位" if encoding != "big5" else "掛職單位", "开始日期" if encoding != "big5"
                             else "開始日期", "结束日期" if encoding != "big5" else "結束日期"])
    row = separator.join(["陳大文", "男", "C5", "區委組織部" if encoding == "big5" else "区委组织部", "上海測試科技有限公司",
                          c5["start_date"], c5["end_date"]])
    data = f"{header}\n{row}\n".encode(encoding)
    plan = roster_import.parse(data, "roster.csv")
    assert not plan.file_errors, [e.message("zh") for e in plan.file_errors]
    assert plan.rows and plan.rows[0][1]["name"] == "陳大文"


@pytest.mark.timeout(900)    # 100,000 rows: about 80 s alone, several minutes on a machine busy with other tests
def test_a_large_import_lets_other_peoples_saves_through(demo_store):
    """100,000 rows (the most a file may hold) written in short transactions while a secondee saves entries:
    every save lands, and the import is whole."""
    reviewer, secondee = actor_for(demo_store, "demo_reviewer"), actor_for(demo_store, "demo_secondee")
    c5 = demo_store.one("select start_date, end_date from batches where code = 'C5'")
    host = demo_store.scalar("select name from units where kind = 'enterprise' order by id limit 1")
    lines = ["姓名,批次,派出单位,挂职单位,开始日期,结束日期"] + [
        f"导入测试{n},C5,区委组织部,{host},{c5['start_date']},{c5['end_date']}" for n in range(100_000)]
    plan = roster_import.preview(demo_store, reviewer, ("\n".join(lines) + "\n").encode(), "big.csv")
    assert not plan.errors and len(plan.adds) == 100_000
    before = demo_store.scalar("select count(*) from participants")
    failures: list[BaseException] = []
    worker = threading.Thread(target=lambda: _guarded(failures, roster_import.apply, demo_store, reviewer, plan))
    worker.start()
    saved = 0
    try:
        while worker.is_alive() and saved < 40:
            activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today(),
                                 role="publicist", title=f"导入期间保存{saved}", hours=0.5)
            saved += 1
            time.sleep(0.2)
    finally:
        worker.join(600)    # never leave the import running into the next test
    assert not failures
    assert saved >= 4 and demo_store.scalar("select count(*) from activities where title like '导入期间保存%'") == saved
    assert demo_store.scalar("select count(*) from participants") == before + 100_000
    assert demo_store.scalar("select count(*) from import_undo") == 0
    assert demo_store.scalar("select state from imports order by id desc limit 1") == "done"


def _guarded(failures, fn, *args):
    try:
        fn(*args)
    except BaseException as error:  # noqa: BLE001 - the test reports it
        failures.append(error)


def test_a_failed_import_leaves_nothing_written(demo_store, monkeypatch):
    reviewer = actor_for(demo_store, "demo_reviewer")
    c5 = demo_store.one("select start_date, end_date from batches where code = 'C5'")
    lines = ["姓名,批次,派出单位,挂职单位,开始日期,结束日期"] + [
        f"半途{n},C5,区委组织部,新单位{n % 3}有限公司,{c5['start_date']},{c5['end_date']}" for n in range(2_500)]
    plan = roster_import.preview(demo_store, reviewer, ("\n".join(lines) + "\n").encode(), "half.csv")
    counts = {t: demo_store.scalar(f"select count(*) from {t}") for t in ("participants", "units")}
    real = roster_import._write_step
    calls = [0]

    def failing(*args):
        calls[0] += 1
        if calls[0] == 2_200:
            raise OSError("disk full")
        return real(*args)

    monkeypatch.setattr(roster_import, "_write_step", failing)
    with pytest.raises(OSError):
        roster_import.apply(demo_store, reviewer, plan)
    assert {t: demo_store.scalar(f"select count(*) from {t}") for t in counts} == counts
    assert demo_store.scalar("select state from imports order by id desc limit 1") == "rolled_back"


def test_an_import_killed_half_way_is_taken_back_on_the_next_start(demo_store):
    reviewer = actor_for(demo_store, "demo_reviewer")
    c5 = demo_store.one("select start_date, end_date from batches where code = 'C5'")
    lines = ["姓名,批次,派出单位,挂职单位,开始日期,结束日期"] + [
        f"中断{n},C5,区委组织部,中断单位有限公司,{c5['start_date']},{c5['end_date']}" for n in range(1_500)]
    plan = roster_import.preview(demo_store, reviewer, ("\n".join(lines) + "\n").encode(), "killed.csv")
    before = demo_store.scalar("select count(*) from participants")
    run = roster_import._begin(demo_store, reviewer, plan)
    unit_ids: dict = {}
    steps = [("unit", u) for u in plan.new_units] + [("add", r) for r in plan.adds]
    with demo_store.write() as db:               # the first chunk committed, then the process "died"
        for kind, item in steps[:roster_import.CHUNK_ROWS]:
            roster_import._write_step(db, reviewer, run, kind, item, unit_ids)
        db.conn.execute("update imports set heartbeat = '2000-01-01T00:00:00Z' where id = ?", (run,))
    assert demo_store.scalar("select count(*) from participants") > before
    assert roster_import.recover(demo_store) == [run]
    assert demo_store.scalar("select count(*) from participants") == before
    assert demo_store.scalar("select count(*) from units where name = '中断单位有限公司'") == 0


# --- faults a person can meet become messages in their language ------------------------------------------------

@pytest.mark.parametrize("failure, expected", [
    ("attempt to write a readonly database", "app.db_problem_read_only"),
    ("database or disk is full", "app.db_problem_io"),
    ("database is locked", "error.database_busy"),
])
def test_a_save_the_database_refuses_is_said_and_the_text_kept(demo_store, monkeypatch, failure, expected):
    import sqlite3

    from conftest import app_test, visible_text

    from secondment import db, i18n

    at = app_test("my_week", demo_store, "demo_secondee")
    at.run()
    real_write = db.Store.write

    def broken(self):
        raise sqlite3.OperationalError(failure)

    monkeypatch.setattr(db.Store, "write", broken)
    at.text_input(key="mw_title").input("走访企业了解用工需求")
    next(b for b in at.button if b.label == i18n.translate("zh", "week.add")).click().run()
    monkeypatch.setattr(db.Store, "write", real_write)
    assert not at.exception
    key_text = i18n.translate("zh", expected)
    assert key_text.rstrip("。.") in visible_text(at)
    assert at.text_input(key="mw_title").value == "走访企业了解用工需求"     # nothing typed is lost


def test_a_damaged_database_gives_a_message_not_a_traceback(demo_store, monkeypatch):
    import sqlite3

    from conftest import app_test, visible_text

    from secondment import db, i18n

    at = app_test("overview", demo_store, "demo_reviewer", lang="en")

    def broken(self, sql, params=()):
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(db.Store, "rows", broken)
    at.run()
    assert not at.exception
    assert i18n.translate("en", "app.db_problem_not_database") in visible_text(at)


def test_a_very_long_search_is_cut_not_sent_whole(demo_store):
    from secondment import activities, db, feedback, roster

    reviewer = actor_for(demo_store, "demo_reviewer")
    text = "党建" * 9_000
    assert len(db.search_text(text)) == db.MAX_SEARCH
    assert roster.list_participants(demo_store, reviewer, text=text) == []
    assert activities.list_entries(demo_store, reviewer, text=text)[1] == 0
    assert feedback.list_items(demo_store, reviewer, text=text)[1] == 0


# --- odd values are refused by name -------------------------------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    ("\u200b\u200b\u200b", "required"),            # only zero-width spaces
    ("\u202e\u202d", "required"),                   # only direction marks
    ("\x07\x08", "required"),                       # only control characters
    ("党建\u202e指导", "control_chars"),              # a direction override inside a name
    ("走访\x00企业", "control_chars"),
    ("第一行\n第二行", "one_line"),                  # a line break in a title
])
def test_invisible_or_control_text_is_refused(value, reason):
    from secondment import validation
    from secondment.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        validation.text("title", value)
    assert caught.value.reason == reason


def test_multi_line_fields_keep_their_lines():
    from secondment import validation

    assert validation.text("description", "第一段\r\n第二段") == "第一段\n第二段"


@pytest.mark.parametrize("value", [True, False, 0.0004, 0.05, -1, float("nan"), float("inf"), "1e400", 25])
def test_hours_that_are_not_a_piece_of_work_are_refused(value):
    from secondment import validation
    from secondment.errors import ValidationError

    with pytest.raises(ValidationError):
        validation.hours(value)
    assert validation.hours(0.1) == 0.1 and validation.hours("1.5") == 1.5


@pytest.mark.parametrize("password, reason", [
    (" " * 12, "too_short"), ("password12", "too_weak"), ("1234567890", "too_weak"), ("qwertyuiop", "too_weak"),
    ("aaaaaaaaaaaa", "too_weak"), ("secret\rword\x00!", "control_chars")])
def test_easy_or_odd_passwords_are_refused(password, reason):
    from secondment.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        auth.check_password_rules(password, "zhangsan")
    assert caught.value.reason == reason
    assert password.strip() not in caught.value.message("zh") or not password.strip()


def test_a_piped_password_loses_its_windows_line_end(tmp_path):
    import subprocess
    import sys

    from conftest import ROOT

    from secondment import db

    path = tmp_path / "x.db"
    done = subprocess.run([sys.executable, "-m", "secondment", "init", "--db", str(path), "--admin", "boss"],
                          input="a-brand-new-password\r\n", cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert auth.authenticate(db.Store(path), "boss", "a-brand-new-password").username == "boss"


def test_the_enterprise_of_an_item_is_an_enterprise(demo_store):
    from secondment import feedback
    from secondment.errors import ValidationError

    secondee = actor_for(demo_store, "demo_secondee")
    department = demo_store.scalar("select id from units where kind = 'government_department' limit 1")
    with pytest.raises(ValidationError) as caught:
        feedback.raise_feedback(demo_store, secondee, participant_id=secondee.participant_id, category="policy",
                                summary="企业用工", enterprise_id=department)
    assert caught.value.field == "enterprise" and caught.value.reason == "wrong_kind"
