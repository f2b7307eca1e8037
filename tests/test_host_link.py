"""The host contact's appraisal page (/_host/appraisal): one person's stint in short and the 德能勤绩廉 form,
through a signed, single-use, expiring link; refused as a whole, saying nothing of anyone, for any other link.

Dates are the clock's (``SECONDMENT_TODAY`` pins it relative to today), never the day this was written."""
from __future__ import annotations

import base64
import json
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from conftest import actor_for
from starlette.applications import Starlette
from starlette.testclient import TestClient

from secondment import agreements, assessment, auth, clock, i18n, notify, vocab, web

PATH = "/_host/appraisal"
PLANTED_NAME = "<script>alert(1)</script>**粗体**"
PLANTED_OBJECTIVE = "<b>走访</b> **企业** <script>x()</script> 10 家"
GRADES = {"de": "excellent", "neng": "good", "qin": "good", "ji": "fair", "lian": "excellent"}


# --- set-up ----------------------------------------------------------------------------------------------------

@pytest.fixture
def store(demo_store, monkeypatch):
    monkeypatch.setenv("SECONDMENT_DB", str(demo_store.path))
    return demo_store


@pytest.fixture
def client(store):
    return TestClient(Starlette(routes=web.routes(), middleware=web.middleware()), base_url="http://app.local")


@pytest.fixture
def reviewer(store):
    return actor_for(store, "demo_reviewer")


def people(store, n: int = 2) -> list[dict]:
    """``n`` people in post whose host unit has not yet appraised them."""
    rows = store.rows(
        "select p.id, p.name, p.post, p.start_date, p.end_date, b.direction, h.name as host_unit, "
        "hm.name as home_unit from participants p join batches b on b.id = p.batch_id "
        "left join units h on h.id = p.host_unit_id left join units hm on hm.id = p.home_unit_id "
        "where p.status = 'active' and p.post is not null and h.name is not null and hm.name is not null "
        "and not exists (select 1 from assessments s where s.participant_id = p.id and "
        "(s.host_at is not null or s.conclusion is not null)) order by p.id limit ?", (n,))
    assert len(rows) == n
    return rows


def with_objective(store, reviewer, person: dict, text: str = "完成调研报告") -> None:
    role = vocab.ROLES_BY_DIRECTION[person["direction"]][0]
    version = agreements.draft(store, reviewer, person["id"], objectives=[
        {"role": role, "text": text, "target": "2 篇 <i>报告</i>", "due_date": person["end_date"]}])
    for party in ("home", "host", "org"):     # the link shows the version in force
        agreements.agree(store, reviewer, version["id"], party, signatory="签字人")


def issue(store, reviewer, person: dict) -> dict:
    return assessment.issue_link(store, reviewer, person["id"], contact="王经理")


def form(token: str, **changes) -> dict:
    fields = {"token": token, "comment": "该同志工作扎实。\n第二行 <b>不加粗</b>", "signatory": "王经理",
              **{f"grade_{d}": g for d, g in GRADES.items()}}
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


def link_row(store, link_id: int) -> dict:
    return store.one("select * from host_links where id = ?", (link_id,))


def appraisal(store, participant_id: int) -> dict | None:
    return store.one("select * from assessments where participant_id = ?", (participant_id,))


class _Page(HTMLParser):
    """Every tag with its attributes, and the text a person reads."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def read(self) -> str:
        return "".join(self.text)

    def addresses(self) -> list[str]:
        return [a[k] for _, a in self.tags for k in ("href", "src", "action", "formaction", "srcset", "poster")
                if a.get(k) is not None]


def refused_plainly(answer, *persons: dict, lang: str = "zh", what: str = "") -> None:
    """The refusal page: its one message and nothing about any person."""
    assert answer.status_code in (404, 410), what
    assert i18n.translate(lang, "host.refused") in answer.text, what
    page = _Page(answer.text)
    shown = page.read()
    for person in persons:
        for value in (person["name"], person["post"], person["host_unit"], person["home_unit"]):
            assert value not in shown and value not in answer.text
    assert not any(tag in ("form", "input", "textarea", "dl") for tag, _ in page.tags)


# --- a good link -----------------------------------------------------------------------------------------------

def test_a_good_link_shows_that_persons_stint_and_the_form(store, client, reviewer):
    person = people(store, 1)[0]
    with_objective(store, reviewer, person, PLANTED_OBJECTIVE)
    with store.write() as db:
        db.conn.execute("update participants set name = ? where id = ?", (PLANTED_NAME, person["id"]))
        db.conn.execute("insert into assessments(participant_id, self_text, self_at) values (?, ?, ?)",
                        (person["id"], "第一段 **不是粗体**\n<script>y()</script>\n\n第三段", clock.stamp()))
    link = issue(store, reviewer, person)
    answer = client.get(PATH, params={"token": link["token"]})
    assert answer.status_code == 200
    page = _Page(answer.text)
    shown = page.read()
    # user text is data: shown literally, escaped in the markup, never markup itself
    for text in (PLANTED_NAME, PLANTED_OBJECTIVE, "2 篇 <i>报告</i>", "<script>y()</script>", "**不是粗体**"):
        assert text in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;**粗体**" in answer.text
    assert [tag for tag, _ in page.tags if tag in ("script", "b", "i", "em", "iframe", "img", "link", "object")] == []
    assert "<b>" not in answer.text and "<i>" not in answer.text
    assert "第一段 **不是粗体**\n&lt;script&gt;y()&lt;/script&gt;\n\n第三段" in answer.text   # line breaks kept
    # the summary
    for value in (person["post"], person["host_unit"], person["home_unit"], person["start_date"], person["end_date"],
                  i18n.translate("zh", "host.title")):
        assert value in shown
    role = vocab.ROLES_BY_DIRECTION[person["direction"]][0]
    assert vocab.label("role", role, "zh") in shown
    assert clock.local_time(link["expires_at"]) in shown
    # the form: five required radio groups of four grades, the comment and the signatory, the token hidden
    radios = [a for tag, a in page.tags if tag == "input" and a.get("type") == "radio"]
    assert {a["name"] for a in radios} == {f"grade_{d}" for d in vocab.APPRAISAL_DIMENSIONS}
    assert len(radios) == 20 and all("required" in a for a in radios)
    assert {a["value"] for a in radios} == set(vocab.APPRAISAL_GRADES)
    textarea = next(a for tag, a in page.tags if tag == "textarea")
    assert textarea["name"] == "comment" and textarea["maxlength"] == "4000" and "required" in textarea
    signatory = next(a for tag, a in page.tags if tag == "input" and a.get("name") == "signatory")
    assert signatory["maxlength"] == "60" and "required" in signatory
    hidden = next(a for tag, a in page.tags if tag == "input" and a.get("name") == "token")
    assert hidden["type"] == "hidden" and hidden["value"] == link["token"]
    action = next(a for tag, a in page.tags if tag == "form")
    assert action["method"] == "post" and link["token"] not in action["action"]


def test_approved_work_is_counted_per_role(store, client, reviewer):
    person = people(store, 1)[0]
    counts = {r["role"]: r["n"] for r in store.rows(
        "select a.role, count(*) as n from activities a join week_reviews w on w.participant_id = a.participant_id "
        "and w.week = a.week and w.state = 'approved' where a.participant_id = ? group by a.role", (person["id"],))}
    link = issue(store, reviewer, person)
    shown = _Page(client.get(PATH, params={"token": link["token"]}).text).read()
    assert counts, "the demo person has approved work"
    for role, n in counts.items():
        assert f"{vocab.label('role', role, 'zh')} {i18n.translate('zh', 'host.entries', n=n)}" in shown
    objectives = store.rows("select o.text from objectives o where o.agreement_id = (select id from agreements "
                            "where participant_id = ? order by version desc limit 1)", (person["id"],))
    for o in objectives:
        assert o["text"] in shown
    assert (i18n.translate("zh", "host.no_objectives") in shown) == (not objectives)


def test_english_is_complete_and_the_switch_stays_on_this_page(store, client, reviewer):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    zh = _Page(client.get(PATH, params={"token": link["token"]}).text)
    switch = next(a for tag, a in zh.tags if tag == "a")
    assert switch["href"].startswith("?") and "lang=en" in switch["href"]
    en = client.get(PATH + switch["href"])
    shown = _Page(en.text).read()
    assert en.status_code == 200 and i18n.translate("en", "host.title") in shown
    assert "Integrity" in shown and "Very good" in shown and i18n.translate("en", "host.submit") in shown
    assert 'lang="en"' in en.text
    assert i18n.translate("zh", "host.submit") not in en.text
    for key in [k for k in i18n.catalogue("zh") if k.startswith("host.")]:
        assert i18n.catalogue("en")[key].strip() and i18n.catalogue("zh")[key].strip()


# --- submitting ------------------------------------------------------------------------------------------------

def test_submitting_records_the_appraisal_and_uses_the_link(store, client, reviewer):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    answer = client.post(PATH, data=form(link["token"]))
    assert answer.status_code == 200
    assert i18n.translate("zh", "host.thanks") in answer.text
    for value in (person["name"], person["post"], person["host_unit"], person["home_unit"]):
        assert value not in answer.text                             # nothing else of the person
    row = appraisal(store, person["id"])
    assert {d: row[f"host_{d}"] for d in vocab.APPRAISAL_DIMENSIONS} == GRADES
    assert row["host_comment"] == "该同志工作扎实。\n第二行 <b>不加粗</b>" and row["host_signatory"] == "王经理"
    assert row["host_at"] and assessment.stage(row) == "host"
    assert link_row(store, link["id"])["used_at"] == row["host_at"]
    audit = store.rows("select * from audit_log where username = ? order by id", (f"host-link:{link['id']}",))
    assert [(a["table_name"], a["action"]) for a in audit] == [("host_links", "link_used"),
                                                               ("assessments", "host_appraisal")]
    assert audit[1]["row_id"] == str(person["id"]) and json.loads(audit[1]["after"])["host_de"] == "excellent"


def test_the_same_link_afterwards_is_refused_and_shows_no_one(store, client, reviewer):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    assert client.post(PATH, data=form(link["token"])).status_code == 200
    refused_plainly(client.get(PATH, params={"token": link["token"]}), person)
    again = client.post(PATH, data=form(link["token"], grade_de="poor", comment="改一下"))
    refused_plainly(again, person)
    assert appraisal(store, person["id"])["host_de"] == "excellent"  # the first appraisal stands
    refused_plainly(client.get(PATH, params={"token": link["token"], "lang": "en"}), person, lang="en")


def test_an_expired_link_is_refused(store, client, reviewer, monkeypatch):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    days = notify.rules(store)["host_link_days"]
    today = clock.today()
    monkeypatch.setenv(clock.PIN_ENV, (today + timedelta(days=days - 1)).isoformat())
    assert client.get(PATH, params={"token": link["token"]}).status_code == 200   # the day before it expires
    monkeypatch.setenv(clock.PIN_ENV, (today + timedelta(days=days + 1)).isoformat())
    refused_plainly(client.get(PATH, params={"token": link["token"]}), person)
    refused_plainly(client.post(PATH, data=form(link["token"])), person)
    assert link_row(store, link["id"])["used_at"] is None
    assert appraisal(store, person["id"]) is None or appraisal(store, person["id"])["host_at"] is None


def _swap_payload(token: str, payload: dict) -> str:
    """``token`` with its payload replaced and its signature kept (what someone without the key can do)."""
    body = base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).rstrip(b"=").decode()
    return ".".join([body, *token.split(".")[1:]])


def test_altered_foreign_and_made_up_tokens_are_refused(store, client, reviewer):
    a, b = people(store, 2)
    link_a, link_b = issue(store, reviewer, a), issue(store, reviewer, b)
    signer = auth.serializer(store, assessment.SALT)
    nonce_a = signer.loads(link_a["token"])["n"]
    # the signature's first character (its last carries padding bits: changing those may change nothing)
    head, signature = link_a["token"].rsplit(".", 1)
    altered = head + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    tokens = {
        "altered signature": altered,
        "altered payload": _swap_payload(link_a["token"], {"id": link_b["id"], "n": nonce_a}),
        "A's nonce under B's id, signed with the key": signer.dumps({"id": link_b["id"], "n": nonce_a}),
        "B's id, no nonce": signer.dumps({"id": link_b["id"]}),
        "signed for another purpose": auth.serializer(store, "secondment-session").dumps(
            {"id": link_a["id"], "n": nonce_a}),
        "random": "x9Qz" * 12,
        "empty": "",
        "very long": link_a["token"] * 20,
    }
    for what, token in tokens.items():
        refused_plainly(client.get(PATH, params={"token": token}), a, b, what=what)
        refused_plainly(client.post(PATH, data=form(token)), a, b, what=what)
    refused_plainly(client.get(PATH), a, b)                                        # no token at all
    refused_plainly(client.post(PATH, data={k: v for k, v in form("").items() if k != "token"}), a, b)
    for link in (link_a, link_b):
        assert link_row(store, link["id"])["used_at"] is None
    assert client.get(PATH, params={"token": link_a["token"]}).status_code == 200   # the real ones still work
    assert client.get(PATH, params={"token": link_b["token"]}).status_code == 200


def test_issuing_a_new_link_withdraws_the_old(store, client, reviewer):
    person = people(store, 1)[0]
    old = issue(store, reviewer, person)
    new = issue(store, reviewer, person)
    assert link_row(store, old["id"])["revoked_at"]
    refused_plainly(client.get(PATH, params={"token": old["token"]}), person)
    refused_plainly(client.post(PATH, data=form(old["token"])), person)
    assert client.get(PATH, params={"token": new["token"]}).status_code == 200
    assert client.post(PATH, data=form(new["token"])).status_code == 200


def test_a_link_opens_one_person_only_and_no_other_page(store, client, reviewer):
    a, b = people(store, 2)
    with store.write() as db:      # names no other text on A's page could hold by chance
        for person, name in ((a, "甲某·独有名A"), (b, "乙某·独有名B")):
            db.conn.execute("update participants set name = ? where id = ?", (name, person["id"]))
            person["name"] = name
    link_a = issue(store, reviewer, a)
    issue(store, reviewer, b)
    for extra in ({}, {"participant_id": b["id"]}, {"id": b["id"]}, {"person": b["id"]}, {"participant": b["id"]},
                  {"pid": b["id"]}, {"link": b["id"]}):
        answer = client.get(PATH, params={"token": link_a["token"], **extra})
        assert answer.status_code == 200
        assert a["name"] in answer.text and b["name"] not in answer.text
        page = _Page(answer.text)
        # no address but this page itself: the language switch ("?…") and the form's own address
        for address in page.addresses():
            assert address.startswith(("?", "appraisal?")), address
            assert "//" not in address and link_a["token"] not in address.split("?")[0]
        assert [tag for tag, _ in page.tags if tag in ("script", "link", "img", "iframe", "base", "nav")] == ["nav"]
        assert [attrs for tag, attrs in page.tags if tag == "meta" and attrs.get("http-equiv")] == []
    # the form posts only the token; a person's id slipped into it changes nothing
    answer = client.post(PATH, data={**form(link_a["token"]), "participant_id": str(b["id"]), "id": str(b["id"])})
    assert answer.status_code == 200
    assert appraisal(store, a["id"])["host_at"]
    assert appraisal(store, b["id"]) is None or appraisal(store, b["id"])["host_at"] is None


# --- what the form refuses -------------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_missing_grade_keeps_the_link_and_names_the_field(store, client, reviewer, lang):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    answer = client.post(PATH, data={**form(link["token"], grade_qin=None, comment="打了一半的意见 <b>x</b>"),
                                     "lang": lang})
    assert answer.status_code == 422
    qin = vocab.label("appraisal_dimension", "qin", lang)
    error = re.search(r'<div class="error" role="alert">(.*?)</div>', answer.text, re.DOTALL).group(1)
    assert qin in error and i18n.translate(lang, "error.required", field=qin) in _Page(error).read()
    page = _Page(answer.text)
    # what was typed is still there
    assert "打了一半的意见 &lt;b&gt;x&lt;/b&gt;</textarea>" in answer.text
    assert next(a for tag, a in page.tags if tag == "input" and a.get("name") == "signatory")["value"] == "王经理"
    checked = {a["name"]: a["value"] for tag, a in page.tags if tag == "input" and "checked" in a}
    assert checked == {f"grade_{d}": g for d, g in GRADES.items() if d != "qin"}
    invalid = [a for tag, a in page.tags if tag == "fieldset" and a.get("aria-invalid") == "true"]
    assert len(invalid) == 1
    assert link_row(store, link["id"])["used_at"] is None
    assert appraisal(store, person["id"]) is None or appraisal(store, person["id"])["host_at"] is None
    assert store.scalar("select count(*) from audit_log where username = ?", (f"host-link:{link['id']}",)) == 0
    assert client.post(PATH, data=form(link["token"])).status_code == 200   # and it can still be sent


@pytest.mark.parametrize(("changes", "field"), [
    ({"comment": "  "}, "host_comment"), ({"comment": "长" * 4001}, "host_comment"), ({"signatory": ""}, "signatory"),
    ({"signatory": "王" * 61}, "signatory"), ({"grade_de": "superb"}, "appraisal_de")])
def test_each_field_is_checked(store, client, reviewer, changes, field):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    answer = client.post(PATH, data=form(link["token"], **changes))
    assert answer.status_code == 422
    error = re.search(r'class="error".*?</div>', answer.text, re.DOTALL).group(0)
    assert i18n.translate("zh", f"field.{field}") in error
    assert link_row(store, link["id"])["used_at"] is None


def test_a_bad_token_with_a_bad_form_is_refused_not_shown(store, client, reviewer):
    person = people(store, 1)[0]
    issue(store, reviewer, person)
    refused_plainly(client.post(PATH, data=form("x9Qz" * 12, grade_de=None)), person)


def test_a_post_over_64_kb_is_refused(store, client, reviewer):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    big = form(link["token"], comment="长" * 30_000)         # ~270 KB once percent-encoded
    answer = client.post(PATH, data=big)
    assert answer.status_code == 413 and i18n.translate("zh", "host.too_large") in answer.text
    body = ("token=" + link["token"] + "&comment=" + "a" * (web.HOST_BODY_LIMIT + 1)).encode()

    def chunks():                                           # no Content-Length: read up to the limit, then stop
        for i in range(0, len(body), 8192):
            yield body[i:i + 8192]

    streamed = client.post(PATH, content=chunks(), headers={"content-type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413
    assert link_row(store, link["id"])["used_at"] is None
    assert client.get(PATH, params={"token": link["token"]}).status_code == 200


def test_a_body_that_is_not_a_form_is_refused(store, client, reviewer):
    person = people(store, 1)[0]
    link = issue(store, reviewer, person)
    as_json = client.post(PATH, json=form(link["token"]))
    assert as_json.status_code == 400 and person["name"] not in as_json.text
    not_utf8 = client.post(PATH, content=b"token=" + link["token"].encode() + b"&comment=%FF%FE",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert not_utf8.status_code == 400
    assert link_row(store, link["id"])["used_at"] is None


# --- every response --------------------------------------------------------------------------------------------

def _guarded(answer) -> None:
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["referrer-policy"] == "no-referrer"
    csp = answer.headers["content-security-policy"]
    directives = dict((d.split(" ", 1) + [""])[:2] for d in (p.strip() for p in csp.split(";")) if d)
    assert directives["default-src"] == "'none'" and directives["form-action"] == "'self'"
    assert directives["frame-ancestors"] == "'none'" and directives["base-uri"] == "'none'"
    assert "script-src" not in directives                       # no script at all (default-src 'none')
    assert not re.search(r"https?:|\*|data:|'unsafe-", csp)
    assert answer.headers["x-frame-options"] == "DENY"


def test_every_response_is_not_stored_not_framed_and_sends_no_referrer(store, client, reviewer, tmp_path,
                                                                      monkeypatch):
    a, b = people(store, 2)
    link = issue(store, reviewer, a)
    answers = [client.get(PATH, params={"token": link["token"]}), client.get(PATH, params={"token": "nope"}),
               client.post(PATH, data=form(link["token"], grade_de=None)),
               client.post(PATH, data=form(link["token"], comment="长" * 30_000)),
               client.post(PATH, json={}), client.post(PATH, data=form(link["token"])),
               client.post(PATH, data=form(link["token"]))]
    assert [r.status_code for r in answers] == [200, 404, 422, 413, 400, 200, 404]
    monkeypatch.setenv("SECONDMENT_DB", str(tmp_path / "no-such.db"))
    missing = client.get(PATH, params={"token": issue(store, reviewer, b)["token"]})
    assert missing.status_code == 503 and i18n.translate("zh", "host.no_database") in missing.text
    assert b["name"] not in missing.text
    for answer in [*answers, missing]:
        _guarded(answer)
        assert answer.headers["content-type"].startswith("text/html")


def test_the_page_is_served_beside_streamlit_not_sent_to_the_start_page(client):
    answer = client.get(PATH, params={"token": "nope"}, headers={"accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 404
    assert any(PATH.strip("/").startswith(prefix) for prefix in web._SERVED)


def test_the_refusal_is_one_message_in_both_languages():
    error = assessment.LinkRefused()
    assert error.key == "host.refused"
    assert error.message("zh") == "此链接无效或已失效。如需填写，请联系区委组织部重新发送链接。"
    assert error.message("en") != error.key and "link" in error.message("en")
