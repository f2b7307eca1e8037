"""Where feedback goes and how departments answer: Sankey data, drill-down, department table, trends.

Everything is aggregated in SQL (grouped counts), so it stays fast at 200,000 items; Python only folds
the small grouped result into nodes and links. The Sankey's stages are
start (direction or batch) → role → category → department (current) → outcome, and at every stage the
links into and out of it add up to the number of items.

Outcome is the item's state grouped for a reader: closed items by their evaluation (satisfied /
basically satisfied), closed unresolved, answered (awaiting evaluation), open within its time limit,
and overdue (open past its due date).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pandas as pd

from secondment import clock, feedback, holidays, i18n, vocab, workdays
from secondment.db import Store
from secondment.permissions import Actor

STARTS = ("direction", "batch")
STAGES = ("start", "role", "category", "department", "outcome")
OUTCOMES = ("satisfied", "basically_satisfied", "closed", "closed_unresolved", "answered", "open", "overdue")
MIN_ITEMS_TO_RANK = 5
TREND_MEASURES = ("raised", "answered", "closed", "overdue")

OUTCOME_SQL = f"""case
    when f.status = 'closed' and {feedback.satisfied_sql()} then f.evaluation
    when f.status = 'closed' then 'closed'
    when f.status = 'closed_unresolved' then 'closed_unresolved'
    when f.status = 'answered' then 'answered'
    when f.due_date < :today then 'overdue'
    else 'open' end"""

_FROM = """from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id
           left join units e on e.id = f.enterprise_id left join units d on d.id = f.department_id"""


def _source(clause: str, *, names: bool = False) -> str:
    """The FROM for a clause: the feedback table alone (with its department's name when ``names``) when nothing
    narrows it (the joins cost a second on a long history), else with the participant, batch and units the
    filters name."""
    if clause != "1 = 1":
        return _FROM
    return "from feedback f left join units d on d.id = f.department_id" if names else "from feedback f"


def _stage_sql(stage: str, start: str) -> str:
    return {
        "start": "b.direction" if start == "direction" else "b.code",
        "role": "coalesce(f.role, '')",
        "category": "f.category",
        "department": "f.department_id",
        "outcome": OUTCOME_SQL,
    }[stage]


def _filters(actor: Actor, *, period_from=None, period_to=None, batch=None, department=None, direction=None,
             today=None) -> tuple[str, dict]:
    return feedback.filters_sql(actor, period_from=period_from, period_to=period_to, batch=batch,
                                department=department, direction=direction, today=today,
                                action="feedback.flows")


def node_label(stage: str, code, lang: str, start: str = "direction", names: dict | None = None) -> str:
    if stage == "start":
        return vocab.label("direction_short", code, lang) if start == "direction" else str(code)
    if stage == "role":
        return vocab.label("role", code, lang) if code else i18n.translate(lang, "flows.no_role")
    if stage == "category":
        return vocab.label("feedback_category", code, lang)
    if stage == "department":
        return i18n.translate(lang, "flows.other_departments") if code == 0 else (names or {}).get(code) or str(code)
    return i18n.translate(lang, f"flows.outcome_{code}")


def sankey_data(store: Store, actor: Actor, *, start: str = "direction", lang: str = "zh", period_from=None,
                period_to=None, batch=None, department=None, direction=None, today=None,
                stages: tuple[str, ...] = STAGES, top_departments: int | None = None) -> dict:
    """Nodes and links of the Sankey.

    Returns ``{"total": n, "nodes": [{"index", "stage", "code", "label", "value"}],
    "links": [{"source", "target", "value", "source_stage", "source_code", "target_stage", "target_code"}]}``.
    A node's value is the number of items passing through it; between two neighbouring stages the link
    values add up to ``total``. ``stages`` picks some of ``STAGES`` (in their order) for a simpler picture;
    ``top_departments`` keeps the departments holding most items and joins the rest as one node (code 0).
    """
    if not stages or any(s not in STAGES for s in stages):
        raise ValueError(f"stages must come from {STAGES}")
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}")
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              department=department, direction=direction, today=today)
    chosen = tuple(s for s in STAGES if s in stages)
    cols = [f"{_stage_sql(s, start)} as s{i}" for i, s in enumerate(chosen)]
    rows = store.cached_rows(f"select {', '.join(cols)}, count(*) as n {_FROM} where {clause} "
                             f"group by {', '.join(f's{i}' for i in range(len(chosen)))}", params)
    if top_departments and "department" in chosen:
        at = chosen.index("department")
        held: dict = defaultdict(int)
        for row in rows:
            held[row[f"s{at}"]] += row["n"]
        kept = {d for d, _ in sorted(held.items(), key=lambda kv: (-kv[1], str(kv[0])))[:top_departments]}
        rows = [{**row, f"s{at}": row[f"s{at}"] if row[f"s{at}"] in kept else 0} for row in rows]
    names = {r["id"]: r["name"] for r in store.rows(
        "select id, name from units where id in (select distinct department_id from feedback)")}
    node_values: dict[tuple, int] = defaultdict(int)
    link_values: dict[tuple, int] = defaultdict(int)
    for row in rows:
        codes = [row[f"s{i}"] for i in range(len(chosen))]
        for i, stage in enumerate(chosen):
            node_values[(stage, codes[i])] += row["n"]
            if i + 1 < len(chosen):
                link_values[((stage, codes[i]), (chosen[i + 1], codes[i + 1]))] += row["n"]
    order = {s: i for i, s in enumerate(chosen)}
    outcome_order = {o: i for i, o in enumerate(OUTCOMES)}

    def sort_key(key):
        stage, code = key
        if stage == "outcome":
            return (order[stage], outcome_order.get(code, 99), 0)
        if stage == "start":
            return (order[stage], 0, str(code))
        return (order[stage], stage == "department" and code == 0, -node_values[key], str(code))

    keys = sorted(node_values, key=sort_key)
    index = {k: i for i, k in enumerate(keys)}
    nodes = [{"index": index[k], "stage": k[0], "code": k[1], "value": node_values[k],
              "label": node_label(k[0], k[1], lang, start, names)} for k in keys]
    links = [{"source": index[a], "target": index[b], "value": v, "source_stage": a[0], "source_code": a[1],
              "target_stage": b[0], "target_code": b[1]}
             for (a, b), v in sorted(link_values.items(), key=lambda kv: (index[kv[0][0]], index[kv[0][1]]))]
    return {"total": sum(r["n"] for r in rows), "nodes": nodes, "links": links, "start": start}


def items_behind(store: Store, actor: Actor, *, source: tuple[str, object], target: tuple[str, object] | None = None,
                 start: str = "direction", period_from=None, period_to=None, batch=None, department=None,
                 direction=None, today=None, limit: int = 500) -> tuple[list[dict], int]:
    """The items behind a link (``source`` → ``target``) or a node (``target`` None): drill-down.

    ``source``/``target`` are (stage, code) pairs as in ``sankey_data``'s nodes."""
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              department=department, direction=direction, today=today)
    extra = []
    for i, pair in enumerate(p for p in (source, target) if p is not None):
        stage, code = pair
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}")
        params[f"node{i}"] = code if code is not None else ""
        extra.append(f"({_stage_sql(stage, start)}) = :node{i}")
    where = " and ".join([clause, *extra])
    total = store.scalar(f"select count(*) {_FROM} where {where}", params)
    rows = store.rows(f"{feedback._SELECT} where {where} order by overdue desc, f.created_at desc, f.id desc "
                      f"limit :limit", {**params, "limit": int(limit)})
    today_d = feedback._today(today)
    cal = holidays.calendar(store)
    return [feedback.decorate(r, today_d, cal) for r in rows], total


def _answer_spans(store: Store, clause: str, params) -> dict:
    """The working days from raising to answer of the answered items ``clause`` picks, per department_id, as
    (days, items) pairs: grouped from each item's stored count (``feedback.count_answer_days``, read from an
    index), and any item without one counted here with the database's calendar. Kept while the items, the
    holidays and the calendar are unchanged; the same for the loop's figures and the department table."""
    sql = f"""select f.department_id, f.answer_days as days,
                     case when f.answer_days is null then {clock.china_date_sql('f.created_at')} end as raised,
                     case when f.answer_days is null then {clock.china_date_sql('f.answered_at')} end as answered,
                     count(*) as n
              {_source(clause)} where {clause} and f.answered_at is not null group by 1, 2, 3, 4"""

    def build():
        rows = store.rows(sql, params)
        uncounted = [r for r in rows if r["days"] is None]
        for r, days in zip(uncounted, holidays.calendar(store).spans((r["raised"], r["answered"]) for r in uncounted)):
            r["days"] = days
        spans: dict = defaultdict(list)
        for r in rows:
            spans[r["department_id"]].append((r["days"], r["n"]))
        return dict(spans)
    return store.cached_value(("flows.answer_spans", sql, params), build, copy_with=dict,
                              reads=store.tables_read(sql, params) | {"holidays"})


def _median(pairs: list[tuple[int, int]]) -> float | None:
    """Median of values given as (value, weight) pairs."""
    pairs = sorted(p for p in pairs if p[1] > 0)
    n = sum(w for _, w in pairs)
    if n == 0:
        return None
    lo_rank, hi_rank = (n - 1) // 2, n // 2
    lo = hi = None
    seen = 0
    for value, weight in pairs:
        if lo is None and seen + weight > lo_rank:
            lo = value
        if seen + weight > hi_rank:
            hi = value
            break
        seen += weight
    return (lo + hi) / 2


def status_counts(store: Store, actor: Actor, *, period_from=None, period_to=None, batch=None, department=None,
                  direction=None, today=None) -> list[dict]:
    """Items per status, over the items the filters pick."""
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              department=department, direction=direction, today=today)
    return store.cached_rows(f"select f.status, count(*) as items {_source(clause)} where {clause} group by f.status",
                             params)


def loop_summary(store: Store, actor: Actor, *, period_from=None, period_to=None, batch=None, department=None,
                 direction=None, today=None, median: bool = True) -> dict:
    """The closed loop in a few figures, over the items the filters pick (the flows page's filters): how many
    were raised, are open, overdue, answered (on time), evaluated (satisfied or basically satisfied), closed, and
    the median working days from raising to answer. Percentages are whole numbers (None when nothing to divide)."""
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              department=department, direction=direction, today=today)
    row = store.cached_one(f"""
        select count(*) as total,
               sum(case when {feedback.open_sql()} then 1 else 0 end) as open,
               sum(case when {feedback.overdue_sql()} then 1 else 0 end) as overdue,
               sum(case when f.answered_at is not null then 1 else 0 end) as answered,
               sum(case when {feedback.answered_on_time_sql()} then 1 else 0 end) as on_time,
               sum(case when f.evaluation is not null then 1 else 0 end) as evaluated,
               sum(case when {feedback.satisfied_sql()} then 1 else 0 end) as satisfied,
               sum(case when {feedback.final_sql()} then 1 else 0 end) as closed
        {_source(clause)} where {clause}""", params)
    row = {k: (v or 0) for k, v in row.items()}
    median_days = _median([pair for pairs in _answer_spans(store, clause, params).values() for pair in pairs]) \
        if median else None
    pct = lambda a, b: round(100 * a / b) if b else None
    return {**row, "on_time_pct": pct(row["on_time"], row["answered"]),
            "satisfied_pct": pct(row["satisfied"], row["evaluated"]), "closed_pct": pct(row["closed"], row["total"]),
            "median_days": median_days}


def department_table(store: Store, actor: Actor, *, period_from=None, period_to=None, batch=None,
                     department=None, direction=None, today=None) -> pd.DataFrame:
    """One row per department that holds items: received, open, overdue, answered, answered on time
    (count and %), median working days from raising to answer, evaluated, satisfied or basically
    satisfied (count and % of evaluated), transferred out, and rank. Departments with fewer than
    ``MIN_ITEMS_TO_RANK`` items are listed with ``ranked`` False and no rank.

    ``received`` counts every item that reached the department (raised to it or transferred in), ``held``
    those it holds now, ``transferred_out`` the transfers it made. Open, overdue, answered and evaluation
    figures are over the items it holds (a transferred item counts for the department that has it).
    """
    # Department figures are over items raised in the period (and batch/direction); the department filter
    # then picks rows, so a department's row counts what passed through it, not only what it holds now.
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              direction=direction, today=today)
    rows = store.cached_rows(f"""
        select f.department_id, d.name as department, count(*) as held,
               sum(case when {feedback.open_sql()} then 1 else 0 end) as open,
               sum(case when {feedback.overdue_sql()} then 1 else 0 end) as overdue,
               sum(case when f.answered_at is not null then 1 else 0 end) as answered,
               sum(case when {feedback.answered_on_time_sql()} then 1 else 0 end) as on_time,
               sum(case when f.evaluation is not null then 1 else 0 end) as evaluated,
               sum(case when {feedback.satisfied_sql()} then 1 else 0 end) as satisfied
        {_source(clause, names=True)} where {clause} group by f.department_id""", params)
    # Received: every item that reached the department (routed there when raised, or transferred in), whether
    # or not it is still there: the items it holds, and those that passed through it to another department.
    passed = {r["dept"]: r["n"] for r in store.cached_rows(f"""
        select ev.to_department_id as dept, count(distinct ev.feedback_id) as n
        {_source(clause)} join feedback_events ev on ev.feedback_id = f.id
        where {clause} and ev.step in ('raise', 'transfer') and ev.to_department_id is not null
          and ev.to_department_id is not f.department_id
        group by 1""", params)}
    held = {r["department_id"]: r["held"] for r in rows}
    received = {dept: held.get(dept, 0) + passed.get(dept, 0) for dept in held.keys() | passed.keys()}
    transferred = {r["from_department_id"]: r["n"] for r in store.cached_rows(f"""
        select ev.from_department_id, count(*) as n {_source(clause)} join feedback_events ev on ev.feedback_id = f.id
        where ev.step = 'transfer' and {clause} group by ev.from_department_id""", params)}
    median_days = {dept: _median(pairs) for dept, pairs in _answer_spans(store, clause, params).items()}
    by_id = {r["department_id"]: r for r in rows}
    zero = {"held": 0, "open": 0, "overdue": 0, "answered": 0, "on_time": 0, "evaluated": 0, "satisfied": 0}
    if received:
        names = {r["id"]: r["name"] for r in store.rows(
            f"select id, name from units where id in ({', '.join(str(int(k)) for k in received)})")}
        for dept in received:
            by_id.setdefault(dept, {"department_id": dept, "department": names.get(dept), **zero})
    wanted = {int(d) for d in feedback._many(department)}
    rows = [r for r in by_id.values() if not wanted or r["department_id"] in wanted]
    columns = ["department_id", "department", "received", "held", "open", "overdue", "answered", "on_time", "on_time_pct",
               "median_days", "evaluated", "satisfied", "satisfaction_pct", "transferred_out", "ranked", "rank"]
    if not rows:
        return pd.DataFrame(columns=columns)
    for r in rows:
        r["on_time_pct"] = round(100 * r["on_time"] / r["answered"], 1) if r["answered"] else None
        r["satisfaction_pct"] = round(100 * r["satisfied"] / r["evaluated"], 1) if r["evaluated"] else None
        r["median_days"] = median_days.get(r["department_id"])
        r["transferred_out"] = transferred.get(r["department_id"], 0)
        r["received"] = max(received.get(r["department_id"], 0), r["held"])
        r["ranked"] = r["received"] >= MIN_ITEMS_TO_RANK
    ranked = sorted((r for r in rows if r["ranked"]), key=lambda r: (
        -(r["on_time_pct"] if r["on_time_pct"] is not None else -1),
        -(r["satisfaction_pct"] if r["satisfaction_pct"] is not None else -1),
        r["median_days"] if r["median_days"] is not None else 1e9, -r["received"], r["department"] or ""))
    for i, r in enumerate(ranked, start=1):
        r["rank"] = i
    unranked = sorted((r for r in rows if not r["ranked"]), key=lambda r: (-r["received"], r["department"] or ""))
    for r in unranked:
        r["rank"] = None
    frame = pd.DataFrame(ranked + unranked, columns=columns)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


def monthly_trends(store: Store, actor: Actor, *, period_from=None, period_to=None, batch=None, department=None,
                   direction=None, today=None) -> pd.DataFrame:
    """Per month (China time): items raised, answered, closed (either way) and fell overdue.

    Overdue counts an item in the month of its due date when it was answered or closed after it, or is
    still open past it. Returns a long frame (month, measure, items)."""
    clause, params = _filters(actor, period_from=period_from, period_to=period_to, batch=batch,
                              department=department, direction=direction, today=today)
    rows = store.cached_rows(f"""
        select {clock.china_month_sql('f.created_at')} as month, 'raised' as measure, count(*) as items
            {_FROM} where {clause} group by 1
        union all
        select {clock.china_month_sql('f.answered_at')}, 'answered', count(*)
            {_FROM} where {clause} and f.answered_at is not null group by 1
        union all
        select {clock.china_month_sql('f.closed_at')}, 'closed', count(*)
            {_FROM} where {clause} and {feedback.final_sql()} and f.closed_at is not null
            group by 1
        union all
        select substr(f.due_date, 1, 7), 'overdue', count(*)
            {_FROM} where {clause} and f.due_date < :today
              and coalesce({clock.china_date_sql('f.answered_at')},
                           case when {feedback.final_sql()} then {clock.china_date_sql('f.closed_at')} end,
                           :today) > f.due_date
            group by 1""", params)
    frame = pd.DataFrame(rows, columns=["month", "measure", "items"])
    if frame.empty:
        return frame
    present = sorted(frame["month"].dropna().unique())
    months = workdays.months_between(present[0], present[-1]) if present else []
    full = pd.MultiIndex.from_product([months, list(TREND_MEASURES)], names=["month", "measure"])
    frame = frame.groupby(["month", "measure"])["items"].sum().reindex(full, fill_value=0).reset_index()
    return frame


def period_bounds(store: Store, actor: Actor) -> tuple[date | None, date | None]:
    """The China dates of the first and last items, for the period filter's defaults."""
    return feedback.raised_bounds(store, actor, action="feedback.flows")
