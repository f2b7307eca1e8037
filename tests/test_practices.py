"""The practice library: proposing from counsellor entries, the review steps, who sees what, search."""
import pytest

from secondment import practices
from secondment.errors import Conflict, NotFound, PermissionDenied, ValidationError
from secondment.permissions import Actor

ADMIN = Actor(1, "admin", "admin")
REVIEWER = Actor(2, "reviewer", "reviewer")
CADRE = Actor(3, "cadre", "secondee", participant_id=1)
OTHER = Actor(4, "other", "secondee", participant_id=2)
VIEWER = Actor(5, "viewer", "viewer")
LIAISON = Actor(6, "liaison", "liaison", department_id=3)


@pytest.fixture
def store(empty_store):
    with empty_store.write() as db:
        x = db.conn.execute
        x("insert into batches(id, code, direction, intake_year, start_date, end_date) values "
          "(1, 'C4', 'cadre_to_enterprise', 2024, '2024-09-01', '2025-08-31'), "
          "(2, 'C5', 'cadre_to_enterprise', 2026, '2026-09-01', '2027-08-31')")
        x("insert into units(id, name, kind, industry) values (1, '华东软件有限公司', 'enterprise', '软件和信息服务'), "
          "(2, '长风生物医药公司', 'enterprise', '生物医药'), (3, '区委组织部', 'party_org', null)")
        x("insert into participants(id, name, batch_id, home_unit_id, host_unit_id, start_date, end_date, status) "
          "values (1, '张伟', 2, 3, 1, '2026-09-01', '2027-08-31', 'active'), "
          "(2, '王强', 1, 3, 2, '2024-09-01', '2025-08-31', 'completed')")
        for aid, pid, role, title in ((1, 1, "counsellor", "三会一课清单化"), (2, 1, "publicist", "宣讲政策"),
                                      (3, 2, "counsellor", "党员积分制管理"), (4, 1, "counsellor", "支部书记例会")):
            x("insert into activities(id, participant_id, date, week, role, title, hours) "
              "values (?, ?, '2026-11-24', '2026-W48', ?, ?, 2)", (aid, pid, role, title))
    return empty_store


def test_secondee_proposes_from_own_counsellor_entry(store):
    pid = practices.propose(store, CADRE, activity_id=1, title="三会一课清单化管理", summary="把组织生活列成清单")
    row = store.one("select * from practices where id = ?", (pid,))
    assert (row["status"], row["participant_id"], row["enterprise_id"], row["activity_id"]) == ("draft", 1, 1, 1)
    assert store.one("select action from audit_log where table_name = 'practices'")["action"] == "propose"


@pytest.mark.parametrize("who, kwargs, error", [
    (CADRE, {"activity_id": 2}, ValidationError),        # a publicist entry
    (CADRE, {"activity_id": 3}, PermissionDenied),       # someone else's entry
    (CADRE, {}, ValidationError),                        # a secondee must start from an entry
    (VIEWER, {"activity_id": 1}, PermissionDenied),
    (LIAISON, {"activity_id": 1}, PermissionDenied),
    (REVIEWER, {"activity_id": 99}, NotFound),
])
def test_propose_refusals(store, who, kwargs, error):
    with pytest.raises(error):
        practices.propose(store, who, title="做法", **kwargs)
    assert store.scalar("select count(*) from practices") == 0


def test_an_entry_is_proposed_once(store):
    practices.propose(store, CADRE, activity_id=1, title="做法一")
    with pytest.raises(ValidationError) as error:
        practices.propose(store, REVIEWER, activity_id=1, title="做法二")
    assert error.value.reason == "duplicate"


def test_reviewer_proposes_for_a_participant_without_entry(store):
    pid = practices.propose(store, REVIEWER, participant_id=2, title="党员积分制")
    assert store.one("select enterprise_id from practices where id = ?", (pid,))["enterprise_id"] == 2


def test_review_steps_and_edits(store):
    pid = practices.propose(store, CADRE, activity_id=1, title="草稿标题")
    with pytest.raises(Conflict):
        practices.review(store, REVIEWER, pid, to_status="promoted")      # no skipping a step
    with pytest.raises(PermissionDenied):
        practices.review(store, CADRE, pid, to_status="reviewed")
    row = practices.review(store, REVIEWER, pid, to_status="reviewed", title="三会一课清单化管理")
    assert (row["status"], row["title"], row["reviewed_by"]) == ("reviewed", "三会一课清单化管理", 2)
    row = practices.review(store, ADMIN, pid, to_status="promoted")
    assert (row["status"], row["promoted_by"]) == ("promoted", 1) and row["promoted_at"]
    with pytest.raises(Conflict):
        practices.review(store, REVIEWER, pid, to_status="draft")
    with pytest.raises(ValidationError):
        practices.review(store, REVIEWER, pid, title="  ")
    actions = [r["action"] for r in store.rows(
        "select action from audit_log where table_name = 'practices' order by id")]
    assert actions == ["propose", "review", "promote"]


@pytest.fixture
def library(store):
    a = practices.propose(store, CADRE, activity_id=1, title="三会一课清单化管理", summary="组织生活清单")
    b = practices.propose(store, REVIEWER, activity_id=3, title="党员积分制管理", summary="积分激励党员")
    practices.propose(store, CADRE, activity_id=4, title="支部书记例会")            # stays a draft
    for pid in (a, b):
        practices.review(store, REVIEWER, pid, to_status="reviewed")
    practices.review(store, REVIEWER, b, to_status="promoted")
    return store


@pytest.mark.parametrize("who, titles", [
    (REVIEWER, {"三会一课清单化管理", "党员积分制管理", "支部书记例会"}),
    (ADMIN, {"三会一课清单化管理", "党员积分制管理", "支部书记例会"}),
    (VIEWER, {"党员积分制管理"}),
    (LIAISON, {"党员积分制管理"}),
    (OTHER, {"党员积分制管理"}),           # the promoted one comes from 王强, but as a promoted practice
    (CADRE, {"三会一课清单化管理", "党员积分制管理", "支部书记例会"}),   # promoted + own proposals
])
def test_who_sees_what(library, who, titles):
    rows, total = practices.list_practices(library, who)
    assert {r["title"] for r in rows} == titles and total == len(titles)


@pytest.mark.parametrize("filters, titles", [
    ({"text": "积分"}, {"党员积分制管理"}),
    ({"text": "清单"}, {"三会一课清单化管理"}),
    ({"enterprise": "生物医药"}, {"党员积分制管理"}),
    ({"enterprise": 1}, {"三会一课清单化管理", "支部书记例会"}),
    ({"industry": "软件和信息服务"}, {"三会一课清单化管理", "支部书记例会"}),
    ({"batch": "C4"}, {"党员积分制管理"}),
    ({"status": "draft"}, {"支部书记例会"}),
    ({"text": "不存在"}, set()),
])
def test_search_and_filters(library, filters, titles):
    rows, _ = practices.list_practices(library, REVIEWER, **filters)
    assert {r["title"] for r in rows} == titles


def test_filter_options_follow_what_the_actor_sees(library):
    assert practices.filter_options(library, VIEWER) == {
        "enterprises": [(2, "长风生物医药公司")], "industries": ["生物医药"], "batches": ["C4"]}
    assert practices.filter_options(library, REVIEWER)["batches"] == ["C4", "C5"]


@pytest.mark.parametrize("lang, columns, status", [
    ("zh", ["标题", "做法概述", "状态", "企业", "行业", "挂职人员", "批次", "推广日期"], "全区推广"),
    ("en", ["Title", "Summary", "Status", "Enterprise", "Industry", "Participant", "Batch", "Promoted on"],
     "Promoted district-wide"),
])
def test_export_frame(library, lang, columns, status):
    frame = practices.export_frame(library, VIEWER, lang)
    assert list(frame.columns) == columns
    assert frame.iloc[0].tolist()[:5] == ["党员积分制管理", "积分激励党员", status, "长风生物医药公司", "生物医药"]


def test_delete_of_a_proposed_entry_is_refused(library):
    from secondment import activities

    with pytest.raises(Conflict) as error:
        activities.delete_entry(library, CADRE, 4)
    assert error.value.key == "error.entry_has_practice"


@pytest.mark.parametrize("who, counts", [
    (REVIEWER, {"draft": 1, "reviewed": 1, "promoted": 1}),
    (VIEWER, {"draft": 0, "reviewed": 0, "promoted": 1}),
    (CADRE, {"draft": 1, "reviewed": 1, "promoted": 1}),
])
def test_status_counts(library, who, counts):
    assert practices.status_counts(library, who) == counts
