"""Each person's to-do list, computed from the data each time (nothing stored): what waits for them and where
to act. Every line names its page (and the address's query) so a page can link to it; ``counts`` sums the
lines per page for the sidebar.

A secondee and a liaison only ever see lines about their own records (their own weeks and items, their own
department's items): the queries are narrowed by the same scope the services use.
"""
from __future__ import annotations

from datetime import date, timedelta

from secondment import activities, clock, coverage, feedback, holidays, leave, notify, permissions, roster, stint, vocab
from secondment.db import Store
from secondment.permissions import Actor

SELF_ASSESSMENT_DAYS = 30   # the self-assessment is asked for from this many days before the end to as many after


def _line(key: str, n: int, page: str, query: dict | None = None, tone: str = "normal", **params) -> dict:
    return {"key": key, "n": int(n), "page": page, "query": query or {}, "tone": tone, "params": {"n": n, **params}}


def for_actor(store: Store, actor: Actor, today: date | None = None) -> list[dict]:
    """The actor's to-do lines (none with a zero count), most pressing first; a leader gets none (their home
    page shows ``this_week`` instead)."""
    permissions.require(actor, "todo.read")
    today = today or clock.today()
    build = {"secondee": _secondee, "reviewer": _reviewer, "admin": _admin, "liaison": _liaison}.get(actor.role)
    if build is None:
        return []
    return [line for line in build(store, actor, today) if line["n"]]


def counts(store: Store, actor: Actor, today: date | None = None) -> dict[str, int]:
    """Lines summed per page, for the sidebar."""
    out: dict[str, int] = {}
    for line in for_actor(store, actor, today):
        out[line["page"]] = out.get(line["page"], 0) + line["n"]
    return out


def _secondee(store: Store, actor: Actor, today: date) -> list[dict]:
    pid = actor.participant_id
    if pid is None:
        return []
    rule = notify.rules(store)
    this = activities.week_of(today)
    lines = []
    person = store.one(f"select start_date, end_date, {roster.status_sql(today)} as status from participants p "
                       "where id = ?", (pid,))
    if person and person["status"] == "active" and today.isoweekday() >= rule["week_reminder_weekday"]:
        entries = store.scalar("select count(*) from activities where participant_id = ? and week = ?", (pid, this))
        state = store.scalar("select state from week_reviews where participant_id = ? and week = ?", (pid, this))
        if not entries and (pid, this) not in leave.leave_weeks(store, [pid], this, this):
            lines.append(_line("week_empty", 1, "my_week", {"week": this}, "warn", week=this))
        elif state is None:
            lines.append(_line("week_unsubmitted", 1, "my_week", {"week": this}, "warn", week=this))
    returned = store.rows("select week from week_reviews where participant_id = ? and state = 'returned' "
                          "order by week", (pid,))
    for row in returned:
        lines.insert(0, _line("week_returned", 1, "my_week", {"week": row["week"]}, "error", week=row["week"]))
    asked = store.rows(f"select f.id from feedback f where f.participant_id = ? and {feedback.question_open_sql()} "
                       "order by f.id", (pid,))
    if asked:
        lines.insert(0, _line("info_asked", len(asked), "feedback", {"item": asked[0]["id"]}, "warn"))
    answered = store.rows("select id, summary from feedback where participant_id = ? and status = 'answered' "
                          "order by answered_at", (pid,))
    if answered:
        lines.append(_line("evaluate", len(answered), "feedback", {"item": answered[0]["id"]}, "normal"))
    reports = store.scalar("select count(*) from documents where participant_id = ? and status = 'returned'", (pid,))
    if reports:
        lines.insert(0, _line("reports_returned", reports, "documents", {"tab": "reports"}, "error"))
    return lines + _secondee_stint(store, pid, person, rule, today)


def _secondee_stint(store: Store, pid: int, person: dict | None, rule: dict, today: date) -> list[dict]:
    """Last month's self-check once the month is over; the self-assessment from a month before the end."""
    if not person or person["status"] not in ("active", "completed"):
        return []
    lines = []
    last_month = (today.replace(day=1) - timedelta(days=1))
    month = last_month.strftime("%Y-%m")
    if person["start_date"][:7] <= month <= person["end_date"][:7]:
        state = store.scalar("select status from checkins where participant_id = ? and month = ?", (pid, month))
        if state in (None, "draft"):
            late = today.day > rule["checkin_due_day"]
            lines.append(_line("checkin_due", 1, "stint", {"tab": "checkins"}, "error" if late else "warn",
                               month=month, day=rule["checkin_due_day"]))
    end = date.fromisoformat(person["end_date"])
    if end - timedelta(days=SELF_ASSESSMENT_DAYS) <= today <= end + timedelta(days=SELF_ASSESSMENT_DAYS):
        written = store.scalar("select self_text is not null from assessments where participant_id = ?", (pid,))
        if not written:
            lines.append(_line("self_assessment", 1, "stint", {"tab": "assessment"}, "warn", end=person["end_date"]))
    return lines


def _stint_work(store: Store, actor: Actor, today: date) -> list[dict]:
    """A reviewer's part of the lifecycle: leave to decide, self-checks to read, their own visit follow-ups,
    agreements waiting for the parties, stints held back by a missing declaration."""
    lines = []
    pending = leave.pending_count(store, actor)
    if pending:
        lines.append(_line("leave_pending", pending, "lifecycle", {}, "warn"))
    waiting = stint.submitted_checkins_count(store, actor)
    if waiting:
        lines.append(_line("checkins_waiting", waiting, "lifecycle", {}, "normal"))
    if actor.user_id is not None:
        mine = store.one("select count(*) as n, sum(due_date < ?) as late from visit_actions where owner_id = ? "
                         "and done_at is null", (today.isoformat(), actor.user_id))
        if mine["n"]:
            lines.append(_line("follow_ups", mine["n"], "lifecycle", {}, "error" if mine["late"] else "normal",
                               late=mine["late"] or 0))
    drafts = store.scalar("select count(*) from agreements a where status = 'draft' and version = (select max(version) "
                          "from agreements x where x.participant_id = a.participant_id)")
    if drafts:
        lines.append(_line("agreements_draft", drafts, "lifecycle", {}, "normal"))
    held = store.scalar(f"select count(*) from participants p where p.status = 'planned' and p.start_date <= ? "
                        f"and p.end_date >= ? and {roster.declarations_missing_sql('p')}",
                        (today.isoformat(), today.isoformat()))
    if held:
        lines.append(_line("declarations_missing", held, "lifecycle", {}, "error"))
    return lines


def _reviewer(store: Store, actor: Actor, today: date) -> list[dict]:
    lines = []
    oldest = store.one("select count(*) as n, min(submitted_at) as first from week_reviews where state = 'submitted'")
    if oldest["n"]:
        days = (today - clock.local_date(oldest["first"])).days
        lines.append(_line("weeks_waiting", oldest["n"], "review", {}, "warn" if days > 7 else "normal", days=days))
    # Quiet: the coverage page's own list (leave weeks passed over); each person named once, by the longest of the
    # spans their silence has reached.
    quiet = coverage.quiet_list(store, actor, today=today)["quiet_weeks"]
    spans = coverage.QUIET_SPANS
    for weeks, below in zip(spans, (*spans[1:], None), strict=True):
        n = int(((quiet >= weeks) & ((quiet < below) if below else True)).sum())
        if n:
            lines.append(_line(f"quiet_{weeks}", n, "coverage", {}, "warn" if weeks > 1 else "normal", weeks=weeks))
    late = feedback.counts(store, actor, today=today)
    if late["overdue"]:
        lines.append(_line("overdue", late["overdue"], "feedback", {}, "error"))
    if late["escalation"]:
        lines.append(_line("escalation", late["escalation"], "feedback", {}, "warn"))
    drafts = store.scalar("select count(*) from practices where status = 'draft'")
    if drafts:
        lines.append(_line("practices", drafts, "practices", {}, "normal"))
    reports = store.scalar("select count(*) from documents where status = 'submitted'")
    if reports:
        lines.append(_line("reports_waiting", reports, "documents", {"tab": "reviews"}, "normal"))
    return lines + _stint_work(store, actor, today)


def _liaison(store: Store, actor: Actor, today: date) -> list[dict]:
    clause, params = feedback.filters_sql(actor, today=today)
    base = ("from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id "
            f"left join units e on e.id = f.enterprise_id where {clause}")
    lines = []
    new = store.rows(f"select f.id {base} and f.status = 'submitted' order by f.created_at", params)
    if new:
        lines.append(_line("to_accept", len(new), "feedback", {"item": new[0]["id"]}, "warn"))
    overdue = store.rows(f"select f.id {base} and {feedback.overdue_sql()} order by f.due_date", params)
    if overdue:
        lines.append(_line("liaison_overdue", len(overdue), "feedback", {"item": overdue[0]["id"]}, "error"))
    cal = holidays.calendar(store)
    soon_days = notify.rules(store)["due_soon_days"]
    soon = [r for r in store.rows(f"select f.id, f.due_date {base} and {feedback.open_sql()} and f.due_date >= :today "
                                  "order by f.due_date", params)
            if cal.working_days_between(today, date.fromisoformat(r["due_date"])) <= soon_days]
    if soon:
        lines.append(_line("due_soon", len(soon), "feedback", {"item": soon[0]["id"]}, "warn", days=soon_days))
    sent_back = store.rows(f"""select f.id {base} and {feedback.open_sql()} and exists (select 1 from feedback_events ev
        where ev.feedback_id = f.id and ev.step = 'send_back' and ev.at = (select max(at) from feedback_events
        where feedback_id = f.id and step in ('send_back', 'answer')))""", params)
    if sent_back:
        lines.append(_line("sent_back", len(sent_back), "feedback", {"item": sent_back[0]["id"]}, "warn"))
    return lines


def _admin(store: Store, actor: Actor, today: date) -> list[dict]:
    lines = []
    routed = {r["department_id"] for r in feedback.get_routing(store, actor) if r["department_id"]}
    missing = feedback.without_liaison(store, actor) & routed
    if missing:
        lines.append(_line("no_liaison", len(missing), "admin", {}, "warn"))
    year = holidays.missing_next_year(store, actor, today)
    if year is not None:
        lines.append(_line("holidays", 1, "admin", {}, "warn", year=year))
    locked = store.scalar("select count(*) from users where locked_until is not null and locked_until > ?",
                          (clock.stamp(),))
    if locked:
        lines.append(_line("locked", locked, "admin", {}, "normal"))
    # (through the table index: the planner would rather walk every row's time backwards)
    last = store.scalar("select max(at) from audit_log indexed by idx_audit_log_table_name_row_id "
                        "where table_name = 'backup'")
    limit = notify.rules(store)["backup_days"]
    if last is None or (today - clock.local_date(last)).days > limit:
        lines.append(_line("backup", 1, "admin", {}, "warn", days=limit))
    return lines + _reviewer(store, actor, today)


def this_week(store: Store, actor: Actor, today: date | None = None) -> dict:
    """A leader's short summary of the week so far: entries, people who logged, items raised and answered."""
    permissions.require(actor, "overview.read")
    today = today or clock.today()
    week = activities.week_of(today)
    monday = today - timedelta(days=today.isoweekday() - 1)
    start, end = clock.day_start_utc(monday), clock.day_start_utc(monday, 7)
    return {
        "week": week,
        "entries": store.scalar("select count(*) from activities where week = ?", (week,)) or 0,
        "people": store.scalar("select count(distinct participant_id) from activities where week = ?", (week,)) or 0,
        "raised": store.scalar("select count(*) from feedback where created_at >= ? and created_at < ?",
                               (start, end)) or 0,
        "answered": store.scalar("select count(*) from feedback where answered_at >= ? and answered_at < ?",
                                 (start, end)) or 0,
        "roles": vocab.CADRE_ROLES,
    }
