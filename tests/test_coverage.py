"""Coverage, quiet list, role balance and trends against a small hand-built programme.

Today is Thursday 2026-11-26 (2026-W48). People:
  1 张伟  cadre  C1 active    from 2026-09-01 (W36): W45 counsellor 2h (approved), W46 publicist 1.5h + counsellor 1h
                                                    (submitted), W47 coordinator 3h (logged, not submitted)
  2 李娜  talent T1 active    from 2026-11-10 (W46): W46 learning 2h (returned)
  3 王强  cadre  C2 completed 2026-03-02 … 2026-10-15 (W42): W41 counsellor 4h
  4 赵敏  cadre  C1 active    from 2026-01-05 (W02): W30 counsellor 1h, nothing since
  5 陈刚  cadre  C1 planned   from 2027-03-01: nothing
"""
from datetime import date

import pytest

from secondment import coverage
from secondment.errors import PermissionDenied
from secondment.permissions import Actor

TODAY = date(2026, 11, 26)
REVIEWER = Actor(1, "reviewer", "reviewer")
VIEWER = Actor(2, "viewer", "viewer")

ENTRIES = [  # participant, date, week, role, hours
    (1, "2026-11-03", "2026-W45", "counsellor", 2.0),
    (1, "2026-11-10", "2026-W46", "publicist", 1.5),
    (1, "2026-11-12", "2026-W46", "counsellor", 1.0),
    (1, "2026-11-18", "2026-W47", "coordinator", 3.0),
    (2, "2026-11-11", "2026-W46", "learning", 2.0),
    (3, "2026-10-06", "2026-W41", "counsellor", 4.0),
    (4, "2026-07-21", "2026-W30", "counsellor", 1.0),
]


@pytest.fixture
def store(empty_store):
    with empty_store.write() as db:
        x = db.conn.execute
        x("insert into batches(id, code, direction, intake_year, start_date, end_date) values "
          "(1, 'C1', 'cadre_to_enterprise', 2026, '2026-01-05', '2027-08-31'), "
          "(2, 'C2', 'cadre_to_enterprise', 2026, '2026-03-02', '2026-10-15'), "
          "(3, 'T1', 'talent_to_government', 2026, '2026-11-10', '2027-11-09')")
        x("insert into units(id, name, kind) values (1, '甲企业', 'enterprise'), (2, '乙部门', 'party_org')")
        for row in ((1, "张伟", 1, "2026-09-01", "2027-08-31", "active"),
                    (2, "李娜", 3, "2026-11-10", "2027-11-09", "active"),
                    (3, "王强", 2, "2026-03-02", "2026-10-15", "completed"),
                    (4, "赵敏", 1, "2026-01-05", "2027-01-04", "active"),
                    (5, "陈刚", 1, "2027-03-01", "2028-02-28", "planned")):
            x("insert into participants(id, name, batch_id, start_date, end_date, status, home_unit_id, host_unit_id) "
              "values (?, ?, ?, ?, ?, ?, 2, 1)", row)
        for pid, day, week, role, hours in ENTRIES:
            x("insert into activities(participant_id, date, week, role, title, hours) values (?, ?, ?, ?, 't', ?)",
              (pid, day, week, role, hours))
        x("insert into week_reviews(participant_id, week, state, comment) values "
          "(1, '2026-W45', 'approved', null), (1, '2026-W46', 'submitted', null), (2, '2026-W46', 'returned', '补充')")
    return empty_store


def test_coverage_matrix_states(store):
    m = coverage.coverage_matrix(store, REVIEWER, weeks=4, today=TODAY)
    cells = {(r.participant_id, r.week): r.state for r in m.itertuples()}
    assert cells == {
        (1, "2026-W45"): "approved", (1, "2026-W46"): "submitted", (1, "2026-W47"): "logged",
        (1, "2026-W48"): "pending",   # this week: not over yet, so not missing
        (2, "2026-W45"): "outside", (2, "2026-W46"): "returned", (2, "2026-W47"): "missing",
        (2, "2026-W48"): "pending",
        (4, "2026-W45"): "missing", (4, "2026-W46"): "missing", (4, "2026-W47"): "missing",
        (4, "2026-W48"): "pending",
    }
    w46 = m[(m.participant_id == 1) & (m.week == "2026-W46")].iloc[0]
    assert (w46.entries, w46.hours) == (2, 2.5)
    assert m[(m.participant_id == 2) & (m.week == "2026-W46")].iloc[0].comment == "补充"
    # sorted by pinyin: 李娜 (li), 张伟 (zhang), 赵敏 (zhao)
    assert list(dict.fromkeys(m["name"])) == ["李娜", "张伟", "赵敏"]


def test_coverage_summary_counts_cells(store):
    summary = coverage.coverage_summary(coverage.coverage_matrix(store, REVIEWER, weeks=4, today=TODAY))
    w46 = summary[summary.week == "2026-W46"].iloc[0]
    assert (w46.approved, w46.submitted, w46.returned, w46.logged, w46.missing, w46.outside) == (0, 1, 1, 0, 1, 0)
    w45 = summary[summary.week == "2026-W45"].iloc[0]
    assert (w45.approved, w45.missing, w45.outside) == (1, 1, 1)


@pytest.mark.parametrize("filters, people", [
    ({"direction": "talent_to_government"}, {2}),
    ({"direction": "cadre_to_enterprise"}, {1, 4}),
    ({"batch": "C1"}, {1, 4}),
    ({"batch": "C2"}, set()),
])
def test_coverage_filters(store, filters, people):
    m = coverage.coverage_matrix(store, REVIEWER, weeks=2, today=TODAY, **filters)
    assert set(m["participant_id"]) == people


def test_quiet_list(store):
    q = coverage.quiet_list(store, REVIEWER, today=TODAY).set_index("participant_id")
    assert set(q.index) == {1, 2, 4}
    assert q.loc[1, ["quiet_weeks", "quiet_1", "quiet_2", "quiet_4"]].tolist() == [0, False, False, False]
    # 李娜 logged in W46 but not W47; her stint began in W46, so only the one-week span can judge her
    assert q.loc[2, ["quiet_weeks", "quiet_1", "quiet_2", "quiet_4"]].tolist() == [1, True, False, False]
    assert q.loc[4, ["quiet_weeks", "quiet_1", "quiet_2", "quiet_4"]].tolist() == [4, True, True, True]
    assert q.loc[4, "last_date"] == "2026-07-21" and q.loc[1, "last_week"] == "2026-W47"


def test_role_balance_figures(store):
    b = coverage.role_balance(store, REVIEWER, week_from="2026-W40", week_to="2026-W48", today=TODAY)
    got = {(r.participant_id, r.role): (r.entries, r.hours, r.flagged) for r in b.itertuples()}
    assert got == {
        (1, "counsellor"): (2, 3.0, False), (1, "publicist"): (1, 1.5, False),
        (1, "coordinator"): (1, 3.0, False), (1, "info_officer"): (0, 0.0, True),
        # 李娜 started within the last eight weeks: too new to flag
        (2, "learning"): (1, 2.0, False), (2, "party_practice"): (0, 0.0, False), (2, "bridge"): (0, 0.0, False),
        # 王强 has completed: counted in the period, never flagged
        (3, "counsellor"): (1, 4.0, False), (3, "publicist"): (0, 0.0, False),
        (3, "coordinator"): (0, 0.0, False), (3, "info_officer"): (0, 0.0, False),
        (4, "counsellor"): (0, 0.0, True), (4, "publicist"): (0, 0.0, True),
        (4, "coordinator"): (0, 0.0, True), (4, "info_officer"): (0, 0.0, True),
    }
    flags = coverage.flagged(b).set_index("participant_id")["roles"].to_dict()
    assert flags == {1: ["info_officer"], 4: ["counsellor", "publicist", "coordinator", "info_officer"]}


def test_role_balance_flags_look_at_the_last_eight_weeks_not_the_period(store):
    # The period W30 only: 赵敏's W30 counsellor entry counts, yet she is still flagged for the last 8 weeks.
    b = coverage.role_balance(store, REVIEWER, week_from="2026-W30", week_to="2026-W30",
                              direction="cadre_to_enterprise", today=TODAY)
    row = b[(b.participant_id == 4) & (b.role == "counsellor")].iloc[0]
    assert (row.entries, row.hours, row.flagged) == (1, 1.0, True)
    assert set(b.participant_id) == {3, 4}  # 张伟 started in W36; 李娜 is a talent; 陈刚 has not started


def test_balance_matrix_is_wide(store):
    b = coverage.role_balance(store, REVIEWER, week_from="2026-W40", week_to="2026-W48",
                              direction="cadre_to_enterprise", today=TODAY)
    wide = coverage.balance_matrix(b, "hours").set_index("name")
    assert wide.loc["张伟", ["counsellor", "publicist", "coordinator", "info_officer"]].tolist() == [3.0, 1.5, 3.0, 0.0]


def test_batch_balance(store):
    bb = coverage.batch_balance(store, REVIEWER, week_from="2026-W40", week_to="2026-W48",
                                direction="cadre_to_enterprise", today=TODAY)
    got = {(r.batch, r.role): (r.entries, r.hours, r.participants, r.flagged) for r in bb.itertuples()}
    assert got == {
        ("C1", "counsellor"): (2, 3.0, 2, 1), ("C1", "publicist"): (1, 1.5, 2, 1),
        ("C1", "coordinator"): (1, 3.0, 2, 1), ("C1", "info_officer"): (0, 0.0, 2, 2),
        ("C2", "counsellor"): (1, 4.0, 1, 0), ("C2", "publicist"): (0, 0.0, 1, 0),
        ("C2", "coordinator"): (0, 0.0, 1, 0), ("C2", "info_officer"): (0, 0.0, 1, 0),
    }


@pytest.mark.parametrize("split, filters, expected", [
    ("role", {"direction": "cadre_to_enterprise"}, {
        ("2026-W45", "counsellor"): (1, 2.0), ("2026-W46", "counsellor"): (1, 1.0),
        ("2026-W46", "publicist"): (1, 1.5), ("2026-W47", "coordinator"): (1, 3.0)}),
    ("batch", {}, {("2026-W45", "C1"): (1, 2.0), ("2026-W46", "C1"): (2, 2.5), ("2026-W46", "T1"): (1, 2.0),
                   ("2026-W47", "C1"): (1, 3.0)}),
    ("direction", {"batch": "T1"}, {("2026-W46", "talent_to_government"): (1, 2.0)}),
])
def test_trend(store, split, filters, expected):
    t = coverage.trend(store, REVIEWER, week_from="2026-W45", week_to="2026-W48", split=split, **filters)
    assert {(r.week, getattr(r, split)): (r.entries, r.hours) for r in t.itertuples()} == expected


def test_viewer_reads_and_secondee_is_refused(store):
    assert not coverage.coverage_matrix(store, VIEWER, weeks=2, today=TODAY).empty
    secondee = Actor(3, "s", "secondee", participant_id=1)
    for call in (lambda: coverage.coverage_matrix(store, secondee, today=TODAY),
                 lambda: coverage.quiet_list(store, secondee, today=TODAY),
                 lambda: coverage.role_balance(store, secondee, week_from="2026-W40", week_to="2026-W48"),
                 lambda: coverage.trend(store, secondee, week_from="2026-W40", week_to="2026-W48")):
        with pytest.raises(PermissionDenied):
            call()


def test_queries_are_bounded_by_indexes(store):
    """The coverage queries use an index on activities, never a full scan."""
    plans = []
    with store.read() as db:
        for sql, params in (
            (("select participant_id, week, count(*), sum(hours) from activities where week between ? and ? "
             "and participant_id in (?, ?) group by week, participant_id"), ("2026-W45", "2026-W48", 1, 2)),
            (("select participant_id, role, count(*), sum(hours) from activities where week between ? and ? "
             "and participant_id in (?, ?) group by participant_id, role"), ("2026-W40", "2026-W48", 1, 2)),
        ):
            plans.append(" ".join(r[3] for r in db.conn.execute("explain query plan " + sql, params)))
    for plan in plans:
        assert "USING" in plan and "INDEX" in plan and "SCAN activities" not in plan.replace("USING", "")
