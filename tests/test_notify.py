"""Notifications, to-do lists, digests and robot messages, on the small hand-built fixture: who is told what,
exactly once; a real SMTP server on a loopback port (aiosmtpd) and a local HTTP server for the robot."""
import json
import os
import threading
from datetime import date, datetime
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import feedback_fixture as fx
import pytest
from conftest import free_port

from secondment import activities, clock, feedback, leave, notify, todo, vocab
from secondment.permissions import Actor

CHINA = clock.CHINA
MORNING = datetime(2026, 11, 20, 9, 30, tzinfo=CHINA)      # a Friday, 09:30 in Shanghai
NIGHT = datetime(2026, 11, 20, 23, 30, tzinfo=CHINA)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return fx.built_file(tmp_path_factory.mktemp("notify"))


@pytest.fixture
def world(built, tmp_path, monkeypatch):
    for key in [k for k in os.environ if k.startswith(("SECONDMENT_SMTP_", "SECONDMENT_WEBHOOK_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("SECONDMENT_SECRETS", str(tmp_path / "no-secrets.toml"))
    monkeypatch.setenv("SECONDMENT_BASE_URL", "https://secondment.example.gov.cn")
    store, actors = fx.copy_of(built, tmp_path / "notify.db")
    return store, actors


def told(store, username):
    return store.rows("select n.kind, n.cause, n.page, n.query from notifications n join users u on u.id = n.user_id "
                      "where u.username = ? order by n.id", (username,))


def return_a_week(store, a):
    activities.submit_week(store, a["fx_secondee"], fx.P_CADRE, "2026-W45")
    activities.review_week(store, a["fx_reviewer"], fx.P_CADRE, "2026-W45", "return", "请补充成效")


def test_a_returned_week_tells_its_owner_once_and_nobody_else(world):
    store, a = world
    return_a_week(store, a)
    notify.sweep(store, MORNING)
    notify.sweep(store, MORNING)            # a second look finds nothing new
    mine = told(store, "fx_secondee")
    assert [(n["kind"], n["page"], json.loads(n["query"])) for n in mine if n["kind"] == "week_returned"] == [
        ("week_returned", "my_week", {"week": "2026-W45"})]
    for other in ("fx_other", "fx_talent", "fx_liaison_a", "fx_viewer"):
        assert not [n for n in told(store, other) if n["kind"] in ("week_returned", "week_approved")], other
    assert notify.unread_count(store, a["fx_secondee"]) == len(mine)
    rows = notify.recent(store, a["fx_secondee"], "zh")
    assert "第 2026-W45 周的周志被退回：请补充成效" in [r["text"] for r in rows]
    assert notify.mark_read(store, a["fx_secondee"]) == len(mine)
    assert notify.unread_count(store, a["fx_secondee"]) == 0
    # the secondee's to-do names the returned week and links to it
    lines = todo.for_actor(store, a["fx_secondee"], date(2026, 11, 20))
    assert ("week_returned", "my_week", {"week": "2026-W45"}) in [(x["key"], x["page"], x["query"]) for x in lines]


def test_a_routed_item_tells_that_departments_liaison_and_a_transfer_the_next(world):
    store, a = world
    fid = feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                  summary="用工补贴申报", urgency="normal")
    notify.sweep(store, MORNING, calendar=False)
    assert [n["kind"] for n in told(store, "fx_liaison_a")] == ["item_routed"]
    assert not told(store, "fx_liaison_b") and not told(store, "fx_secondee")
    feedback.transfer(store, a["fx_liaison_a"], fid, to_department_id=fx.DEPT_B, reason="属商务委职责")
    notify.sweep(store, MORNING, calendar=False)
    assert [n["kind"] for n in told(store, "fx_liaison_b")] == ["item_transferred"]
    assert [n["kind"] for n in told(store, "fx_liaison_a")] == ["item_routed"]   # its own transfer: not told


def test_a_near_deadline_and_the_chasers_each_come_once(world):
    store, a = world
    fid = feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                  summary="紧急事项", urgency="urgent", at="2026-11-16T02:00:00Z")
    due = date.fromisoformat(store.scalar("select due_date from feedback where id = ?", (fid,)))
    assert due == date(2026, 11, 19)         # three working days from Monday
    notify.sweep(store, datetime(2026, 11, 18, 10, tzinfo=CHINA), calendar=True)
    notify.sweep(store, datetime(2026, 11, 18, 15, tzinfo=CHINA), calendar=True)
    kinds = [n["kind"] for n in told(store, "fx_liaison_a")]
    assert kinds.count("deadline_near") == 1
    notify.sweep(store, datetime(2026, 11, 20, 10, tzinfo=CHINA), calendar=True)     # one working day late
    notify.sweep(store, datetime(2026, 11, 23, 10, tzinfo=CHINA), calendar=True)
    kinds = [n["kind"] for n in told(store, "fx_liaison_a")]
    assert kinds.count("deadline_passed") == 1 and "deadline_second" not in kinds
    notify.sweep(store, datetime(2026, 11, 27, 10, tzinfo=CHINA), calendar=True)     # five working days late
    assert [n["kind"] for n in told(store, "fx_reviewer")].count("deadline_second") == 1
    assert not [n for n in told(store, "fx_liaison_b") if n["kind"].startswith("deadline")]


def test_to_do_counts_match_the_fixture_worked_out_by_hand(world):
    store, a = world
    today = date(2026, 11, 20)
    sec = a["fx_secondee"]
    feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="policy", summary="甲一",
                            urgency="urgent", at="2026-11-02T02:00:00Z")          # due 11-05: overdue
    feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="policy", summary="甲二",
                            urgency="urgent", at="2026-11-18T02:00:00Z")          # due 11-23: within 2 days
    answered = feedback.raise_feedback(store, sec, participant_id=fx.P_CADRE, category="production",
                                       summary="乙一", urgency="normal", at="2026-11-18T02:00:00Z")
    feedback.accept(store, a["fx_liaison_b"], answered)
    feedback.answer(store, a["fx_liaison_b"], answered, text="已协调解决")
    activities.submit_week(store, sec, fx.P_CADRE, "2026-W45")
    lines = lambda who: {x["key"]: x["n"] for x in todo.for_actor(store, a[who], today)}
    assert lines("fx_liaison_a") == {"to_accept": 2, "liaison_overdue": 1, "due_soon": 1}
    assert lines("fx_liaison_b") == {}
    # Friday: this week has no entry; October's monthly self-check is not in (due by 5 November)
    assert lines("fx_secondee") == {"week_empty": 1, "evaluate": 1, "checkin_due": 1}
    assert lines("fx_other") == {"week_empty": 1, "checkin_due": 1}
    # Quiet as of W47 (its last complete weeks W46, W45, …): 张伟 and 王芳 logged in W45 (one quiet week), 李娜 never
    # (four and more). Each person is counted once, under the longest span their silence has reached.
    assert lines("fx_reviewer") == {"weeks_waiting": 1, "overdue": 1, "quiet_1": 2, "quiet_4": 1}
    # The administrator: 区总工会 is routed to with no liaison, 2027 has no holiday arrangement (from November),
    # no backup ever; and the reviewer's lines, as an administrator reviews too.
    assert lines("fx_admin") == {"no_liaison": 1, "holidays": 1, "backup": 1, "weeks_waiting": 1, "overdue": 1,
                                 "quiet_1": 2, "quiet_4": 1}
    # A week of approved leave is not a quiet week (the coverage page's rule): 张伟 off all of W46 is not quiet.
    asked = leave.request(store, sec, fx.P_CADRE, kind=vocab.LEAVE_KINDS[0], start_date="2026-11-09",
                          end_date="2026-11-13", reason="探亲")
    leave.decide(store, a["fx_reviewer"], asked["id"], "approved")
    assert lines("fx_reviewer")["quiet_1"] == 1
    # … a locked account shows, and a backup two days ago puts the backup line away
    with store.write() as db:
        db.conn.execute("update users set locked_until = '2999-01-01T00:00:00Z' where username = 'fx_other'")
        db.conn.execute("insert into audit_log(at, username, table_name, action) values "
                        "('2026-11-18T02:00:00Z', 'fx_admin', 'backup', 'backup')")
    admin = lines("fx_admin")
    assert admin["locked"] == 1 and "backup" not in admin
    from secondment import errors

    with pytest.raises(errors.PermissionDenied):       # a leader has nothing to do: the week's summary instead
        todo.for_actor(store, a["fx_viewer"], today)
    assert todo.this_week(store, a["fx_viewer"], today)["week"] == "2026-W47"
    assert todo.counts(store, a["fx_liaison_a"], today) == {"feedback": 4}
    # a secondee's or a liaison's lines never count someone else's records
    assert all(x["query"].get("item") in (None, answered) for x in todo.for_actor(store, sec, today))


# --- digests over a real SMTP server ---------------------------------------------------------------------------

class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    pytest.importorskip("aiosmtpd")
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    monkeypatch.setenv("SECONDMENT_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SECONDMENT_SMTP_PORT", str(port))
    monkeypatch.setenv("SECONDMENT_SMTP_SECURITY", "none")
    monkeypatch.setenv("SECONDMENT_SMTP_SENDER", "secondment@example.gov.cn")
    inbox.controller = controller
    yield inbox
    try:
        controller.stop()
    except (AssertionError, RuntimeError):
        pass


def with_digests(store, a, *usernames):
    for name in usernames:
        notify.set_digest(store, a[name], "daily", f"{name}@example.gov.cn")


def test_one_digest_per_person_and_none_twice(world, smtp):
    store, a = world
    smtp.controller.start()
    with_digests(store, a, "fx_secondee", "fx_liaison_a", "fx_liaison_b")
    return_a_week(store, a)
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="用工补贴申报", urgency="normal")
    admin = Actor.system("notify")
    first = notify.run(store, admin, now=MORNING)
    assert first["failed"] == 0 and first["sent"] == 2
    to = sorted(r[0] for r, _ in smtp.messages)
    assert to == ["fx_liaison_a@example.gov.cn", "fx_secondee@example.gov.cn"]   # fx_liaison_b: nothing to tell
    message = next(m for r, m in smtp.messages if r == ["fx_secondee@example.gov.cn"])
    from email.header import decode_header, make_header

    assert "双岗" in str(make_header(decode_header(message["Subject"])))
    parts = {p.get_content_type(): p.get_payload(decode=True).decode() for p in message.walk()
             if not p.is_multipart()}
    assert "被退回" in parts["text/plain"] and "https://secondment.example.gov.cn/my_week?week=2026-W45" in \
        parts["text/plain"]
    assert "<a href=" in parts["text/html"]
    again = notify.run(store, admin, now=MORNING)
    assert again["sent"] == 0 and len(smtp.messages) == 2
    # news later the same day waits for tomorrow's digest: at most one a day
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="第二件", urgency="normal")
    assert notify.run(store, admin, now=MORNING.replace(hour=15))["sent"] == 0
    assert notify.run(store, admin, now=MORNING.replace(day=21))["sent"] == 1
    # quiet hours: news in the evening waits through the night and goes out in the morning
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="第三件", urgency="normal")
    night = notify.run(store, admin, now=NIGHT.replace(day=21))
    assert night["quiet"] and night["queued"] == night["sent"] == 0
    assert notify.run(store, admin, now=NIGHT.replace(day=22, hour=6))["sent"] == 0
    assert notify.run(store, admin, now=MORNING.replace(day=22))["sent"] == 1


def test_a_failed_send_is_reported_and_sent_once_when_the_server_is_back(world, smtp):
    store, a = world
    with_digests(store, a, "fx_liaison_a")
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="用工补贴申报", urgency="normal")
    admin = Actor.system("notify")
    down = notify.run(store, admin, now=MORNING)           # the server is not started yet
    assert down["failed"] == 1 and down["sent"] == 0 and "fx_liaison_a@example.gov.cn" in down["problems"][0]
    assert store.scalar("select status from outbox") == "failed"
    smtp.controller.start()
    up = notify.run(store, admin, now=MORNING.replace(minute=45))
    assert up["sent"] == 1 and len(smtp.messages) == 1
    assert notify.run(store, admin, now=MORNING.replace(hour=11))["sent"] == 0 and len(smtp.messages) == 1
    assert store.scalar("select status || ':' || attempts from outbox") == "sent:2"


def test_after_an_outage_a_person_still_gets_one_digest_a_day(world, smtp):
    store, a = world
    with_digests(store, a, "fx_liaison_a")
    raise_item = lambda summary: feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE,
                                                         category="policy", summary=summary, urgency="normal")
    admin = Actor.system("notify")
    raise_item("第一件")
    assert notify.run(store, admin, now=MORNING)["failed"] == 1          # day 1: the server is down
    raise_item("第二件")
    smtp.controller.start()
    day2 = MORNING.replace(day=21)
    assert notify.run(store, admin, now=day2)["sent"] == 1               # day 2: yesterday's digest goes out …
    assert notify.run(store, admin, now=day2.replace(hour=16))["sent"] == 0   # … and nothing more that day
    assert len(smtp.messages) == 1
    assert notify.run(store, admin, now=MORNING.replace(day=22))["sent"] == 1  # day 3: what came since
    plain = lambda m: next(p.get_payload(decode=True).decode() for p in m.walk() if p.get_content_type() == "text/plain")
    assert plain(smtp.messages[0][1]).count("- ") == 1 and plain(smtp.messages[1][1]).count("- ") == 1


def test_without_a_mail_server_nothing_piles_up(world):
    store, a = world
    with_digests(store, a, "fx_liaison_a")
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="用工补贴申报", urgency="normal")
    report = notify.run(store, Actor.system("notify"), now=MORNING)
    assert report["notifications"] >= 1 and report["queued"] == 0        # in-app only
    assert store.scalar("select count(*) from outbox") == 0


def test_the_robot_of_a_department_gets_one_json_message(world, monkeypatch):
    store, a = world
    posts = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self):
            posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv(f"SECONDMENT_WEBHOOK_{fx.DEPT_A}", f"http://127.0.0.1:{server.server_port}/hook")
        feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                summary="用工补贴申报", urgency="normal")
        admin = Actor.system("notify")
        assert notify.run(store, admin, now=MORNING)["sent"] == 1
        assert notify.run(store, admin, now=MORNING.replace(hour=10))["sent"] == 0
        assert len(posts) == 1 and posts[0]["msgtype"] == "text" and "用工补贴申报" in posts[0]["text"]["content"]
    finally:
        server.shutdown()


def test_a_dry_run_writes_nothing(world):
    store, a = world
    return_a_week(store, a)
    report = notify.run(store, Actor.system("notify"), now=MORNING, dry_run=True)
    assert report["notifications"] >= 1
    assert store.scalar("select count(*) from notifications") == 0


def test_rules_are_checked_and_only_an_administrator_changes_them(world):
    from secondment import errors

    store, a = world
    with pytest.raises(errors.PermissionDenied):
        notify.set_rules(store, a["fx_reviewer"], {"due_soon_days": 3})
    with pytest.raises(errors.ValidationError) as bad:
        notify.set_rules(store, a["fx_admin"], {"due_soon_days": 99})
    assert "0" in bad.value.message("zh") and "10" in bad.value.message("zh")
    assert notify.set_rules(store, a["fx_admin"], {"due_soon_days": 3})["due_soon_days"] == 3
    with pytest.raises(errors.ValidationError):
        notify.set_digest(store, a["fx_secondee"], "daily", "not-an-address")


def test_secondees_and_liaisons_are_told_only_of_their_own_records(world):
    store, a = world
    return_a_week(store, a)
    mine = feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                   summary="甲的事项", urgency="urgent", at="2026-11-02T02:00:00Z")
    theirs = feedback.raise_feedback(store, a["fx_other"], participant_id=fx.P_OTHER, category="production",
                                     summary="王的事项", urgency="normal")
    feedback.accept(store, a["fx_liaison_b"], theirs)
    feedback.answer(store, a["fx_liaison_b"], theirs, text="已答复")
    feedback.transfer(store, a["fx_liaison_a"], mine, to_department_id=fx.DEPT_B, reason="转商务委")
    notify.sweep(store, MORNING, calendar=True)
    for name, pid in (("fx_secondee", fx.P_CADRE), ("fx_other", fx.P_OTHER), ("fx_talent", fx.P_TALENT)):
        for n in told(store, name):
            query = json.loads(n["query"])
            if "item" in query:
                assert store.scalar("select participant_id from feedback where id = ?", (query["item"],)) == pid
            assert n["cause"].split(":")[1] in (str(pid),) or n["cause"].startswith(("audit:", "event:"))
        for line in todo.for_actor(store, a[name], MORNING.date()):
            if "item" in line["query"]:
                assert store.scalar("select participant_id from feedback where id = ?",
                                    (line["query"]["item"],)) == pid
    assert [n["kind"] for n in told(store, "fx_other")].count("item_answered") == 1
    assert "item_answered" not in [n["kind"] for n in told(store, "fx_secondee")]
    for name, dept in (("fx_liaison_a", fx.DEPT_A), ("fx_liaison_b", fx.DEPT_B)):
        for n in told(store, name):
            item = json.loads(n["query"])["item"]
            reached = store.scalar("select count(*) from feedback_events where feedback_id = ? and "
                                   "to_department_id = ?", (item, dept))
            assert reached, (name, n)
        for line in todo.for_actor(store, a[name], MORNING.date()):
            if "item" in line["query"]:
                assert store.scalar("select department_id from feedback where id = ?",
                                    (line["query"]["item"],)) == dept


def test_a_near_deadline_brings_its_liaison_one_digest(world, smtp):
    store, a = world
    smtp.controller.start()
    with_digests(store, a, "fx_liaison_a", "fx_liaison_b")
    feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                            summary="紧急事项", urgency="urgent", at="2026-11-16T02:00:00Z")   # due 11-19
    admin = Actor.system("notify")
    notify.sweep(store, datetime(2026, 11, 17, 9, tzinfo=CHINA))
    with store.write() as db:       # the routing itself went in yesterday's digest: only the deadline is news
        db.conn.execute("insert or replace into meta(key, value) values ('digest.' || ?, "
                        "(select coalesce(max(id), 0) from notifications))", (a["fx_liaison_a"].user_id,))
    report = notify.run(store, admin, now=datetime(2026, 11, 18, 9, tzinfo=CHINA))
    assert report["sent"] == 1 and [r for r, _ in smtp.messages] == [["fx_liaison_a@example.gov.cn"]]
    body = next(p.get_payload(decode=True).decode() for p in smtp.messages[0][1].walk()
                if p.get_content_type() == "text/plain")
    assert "将于 2026-11-19 到期" in body and "紧急事项" in body
    assert notify.run(store, admin, now=datetime(2026, 11, 18, 10, tzinfo=CHINA))["sent"] == 0


def test_a_department_asking_for_more_reaches_the_secondee_and_the_reply_the_department(world):
    store, a = world
    fid = feedback.raise_feedback(store, a["fx_secondee"], participant_id=fx.P_CADRE, category="policy",
                                  summary="用工补贴申报", urgency="normal")
    feedback.accept(store, a["fx_liaison_a"], fid)
    feedback.ask(store, a["fx_liaison_a"], fid, question="请补充申报人数")
    notify.sweep(store)
    asked = [r for r in told(store, "fx_secondee") if r["kind"] == "info_asked"]
    assert len(asked) == 1 and asked[0]["page"] == "feedback" and json.loads(asked[0]["query"]) == {"item": fid}
    assert not [r for r in told(store, "fx_other") if r["kind"] == "info_asked"]
    line = next(x for x in todo.for_actor(store, a["fx_secondee"]) if x["key"] == "info_asked")
    assert (line["n"], line["page"], line["query"]) == (1, "feedback", {"item": fid})
    assert "info_asked" not in {x["key"] for x in todo.for_actor(store, a["fx_other"])}
    feedback.reply(store, a["fx_secondee"], fid, text="共 12 人")
    notify.sweep(store)
    assert [r["kind"] for r in told(store, "fx_liaison_a")].count("info_given") == 1
    assert not [r for r in told(store, "fx_liaison_b") if r["kind"] == "info_given"]
    assert "info_asked" not in {x["key"] for x in todo.for_actor(store, a["fx_secondee"])}
