"""The story a leader is told, from the data: the slides of the presentation and the live figures of the cockpit.

Each slide carries one message: a large number, a sentence built from the figures (never an invented one), a
simple chart, and where it helps real examples drawn from the records (titles and outcomes of approved entries,
promoted practices, solved problems). The figures come from the same functions as the overview
(``analytics.headline``) and the flows page (``flows.loop_summary``) over the same ``periods.Period``, so the
slides and the pages always agree.

Nothing here knows Streamlit or HTML: ``secondment.deck`` renders what this returns.
"""
from __future__ import annotations

from datetime import date, timedelta
from itertools import zip_longest

import pandas as pd

from secondment import activities, analytics, charts, clock, feedback, flows, i18n, periods, permissions, vocab
from secondment.db import Store
from secondment.periods import Period
from secondment.permissions import Actor

SLIDES = ("programme", "where", "roles", "talents", "loop", "changed", "compare")
EXAMPLES = 3
LISTED = 4
TOP_DEPARTMENTS = 5
TOP_INDUSTRIES = 6

# A schematic of the district: each street or town at its place relative to the others (west → east,
# north → south, on a 0–1 square), drawn by the project itself; no map tiles, no outside data.
STREET_PLACES = {
    "桃浦镇": (0.16, 0.10), "万里街道": (0.50, 0.10), "甘泉路街道": (0.84, 0.10),
    "长征镇": (0.08, 0.36), "真如镇街道": (0.42, 0.36), "宜川路街道": (0.92, 0.36),
    "曹杨新村街道": (0.52, 0.62), "石泉路街道": (0.86, 0.62),
    "长风新村街道": (0.30, 0.88), "长寿路街道": (0.74, 0.88),
}


def _t(lang: str):
    return lambda key, **params: i18n.translate(lang, key, **params)


def _pct(value) -> str:
    return "—" if value is None else f"{value}%"


def _days(value, lang: str) -> str:
    return "—" if value is None else i18n.translate(lang, "story.days", n=f"{value:g}")


def _number(value) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.0f}"


# --- the data behind the slides ---------------------------------------------------------------------------------

def examples(store: Store, period: Period, roles: tuple[str, ...], limit: int = EXAMPLES) -> list[dict]:
    """Real work of the period: approved weeks' entries with an outcome, the newest first, one per role
    (in the programme's role order), then more of the same roles if fewer roles have any."""
    dated, params = period.activities_sql()
    marks = ", ".join("?" for _ in roles)
    # Newest weeks first, walking the (week, …) index backwards: the first few hundred approved entries found
    # are the newest, whatever the size of the history.
    # A batch's entries are found through its members; otherwise the week index leads (the planner would
    # rather start from every approved week, which is far slower on a long history).
    lead = "activities a" if period.kind == "batch" else \
        "activities a indexed by idx_activities_week_role_hours cross join"
    join = "join" if period.kind == "batch" else ""
    rows = store.cached_rows(f"""
        select a.id, a.week, a.date, a.role, a.title, a.outcome, p.name as person, h.name as unit
        from {lead} {join} week_reviews w on w.participant_id = a.participant_id and w.week = a.week
        join participants p on p.id = a.participant_id join batches b on b.id = p.batch_id
        left join units h on h.id = p.host_unit_id
        where w.state = 'approved' and a.role in ({marks}) and trim(coalesce(a.outcome, '')) <> '' and {dated}
        order by a.week desc limit 300""", [*roles, *params])
    rows.sort(key=lambda r: (r["week"], r["date"], r["id"]), reverse=True)
    picked: list[dict] = []
    for role in roles:
        first = next((r for r in rows if r["role"] == role), None)
        if first is not None:
            picked.append(first)
    for r in rows:
        if len(picked) >= limit:
            break
        if r not in picked:
            picked.append(r)
    order = {r: i for i, r in enumerate(roles)}
    return sorted(picked[:limit], key=lambda r: order[r["role"]])


def work_by_role(store: Store, period: Period, roles: tuple[str, ...]) -> pd.DataFrame:
    dated, params = period.activities_sql()
    join = "join participants p on p.id = a.participant_id join batches b on b.id = p.batch_id" \
        if period.kind == "batch" else ""
    marks = ", ".join("?" for _ in roles)
    rows = {r["role"]: r for r in store.cached_rows(
        f"select a.role, count(*) as entries, coalesce(sum(a.hours), 0) as hours from activities a {join} "
        f"where a.role in ({marks}) and {dated} group by a.role", [*roles, *params])}
    return pd.DataFrame([{"role": r, "entries": rows.get(r, {}).get("entries", 0),
                          "hours": rows.get(r, {}).get("hours", 0)} for r in roles])


def _hosts(store: Store, period: Period, today: date) -> list[dict]:
    """The host units of the period's cadres: street, industry, and how many of them are in post today."""
    from secondment import roster

    people, params = period.people_sql()
    return store.cached_rows(f"""
        select h.id, h.name, h.street, h.industry, count(*) as people,
               sum(case when {roster.status_sql(today)} = 'active' then 1 else 0 end) as active
        from participants p join batches b on b.id = p.batch_id join units h on h.id = p.host_unit_id
        where b.direction = '{vocab.CADRE}' and {people} group by h.id""", params)


def _talent_hosts(store: Store, period: Period) -> int:
    people, params = period.people_sql()
    return store.cached_scalar(f"select count(distinct p.host_unit_id) from participants p join batches b "
                        f"on b.id = p.batch_id where b.direction = '{vocab.TALENT}' and {people}", params) or 0


def promoted(store: Store, period: Period, limit: int = LISTED) -> list[dict]:
    promoted, params = period.stamped_sql("pr.promoted_at")
    return store.cached_rows(f"""
        select pr.id, pr.title, pr.summary, u.name as enterprise, b.code as batch
        from practices pr left join units u on u.id = pr.enterprise_id
        left join participants p on p.id = pr.participant_id left join batches b on b.id = p.batch_id
        where pr.status = 'promoted' and {promoted}
        order by pr.promoted_at desc, pr.id desc limit ?""", [*params, limit])


def solved(store: Store, actor: Actor, period: Period, today: date, limit: int = LISTED) -> list[dict]:
    """Problems solved: items of the period closed with a satisfied (or basically satisfied) evaluation, with
    the enterprise that had them and the department that solved them."""
    clause, params = feedback.filters_sql(actor, today=today, action="feedback.flows", **period.feedback_filters())
    return store.cached_rows(f"""
        select f.id, f.summary, e.name as enterprise, d.name as department, f.category
        from feedback f join participants p on p.id = f.participant_id join batches b on b.id = p.batch_id
        left join units e on e.id = f.enterprise_id left join units d on d.id = f.department_id
        where {clause} and f.status = 'closed' and {feedback.satisfied_sql()}
        order by f.closed_at desc, f.id desc limit :limit""", {**params, "limit": limit})


def _batches_frame(store: Store, period: Period, lang: str) -> pd.DataFrame:
    where, params = period.batches_sql()
    rows = store.cached_rows(f"select b.code, b.direction, b.start_date, b.end_date, count(p.id) as people "
                      f"from batches b left join participants p on p.id is not null and p.batch_id = b.id "
                      f"where {where} group by b.id order by b.start_date, b.code", params)
    frame = pd.DataFrame(rows, columns=["code", "direction", "start_date", "end_date", "people"])
    if frame.empty:
        return frame
    frame["label"] = frame.apply(lambda r: i18n.translate(lang, "story.batch_people", code=r["code"],
                                                          n=int(r["people"])), axis=1)
    frame["direction_label"] = frame["direction"].map(lambda d: vocab.label("direction_short", d, lang))
    frame["end_date"] = pd.to_datetime(frame["end_date"]) + timedelta(days=1)  # a bar covers its last day
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    return frame


def _members_frame(store: Store, period: Period, lang: str) -> pd.DataFrame:
    rows = store.cached_rows("select p.name, p.start_date, p.end_date, b.direction, h.name as host from participants p "
                      "join batches b on b.id = p.batch_id left join units h on h.id = p.host_unit_id "
                      "where b.code = ? order by p.start_date, p.id", (period.value,))
    frame = pd.DataFrame(rows, columns=["name", "start_date", "end_date", "direction", "host"])
    if frame.empty:
        return frame
    frame["label"] = frame["name"]
    frame["direction_label"] = frame["direction"].map(lambda d: vocab.label("direction_short", d, lang))
    frame["start_date"] = pd.to_datetime(frame["start_date"])
    frame["end_date"] = pd.to_datetime(frame["end_date"]) + timedelta(days=1)
    return frame


# --- slides -------------------------------------------------------------------------------------------------------

def _slide(key: str, title: str, message: str, **parts) -> dict:
    return {"key": key, "title": title, "message": message, "hero": None, "stats": [], "figures": [],
            "lists": [], "empty": None, "rows": [], **parts}


def _hero(value, unit: str, label: str) -> dict:
    return {"value": _number(value) if isinstance(value, (int, float)) else str(value), "unit": unit, "label": label}


def _stat(label: str, value, unit: str | None = None) -> dict:
    """A figure beside the hero number; ``unit`` (with ``value`` its number alone) is drawn small after it, so
    "11 working days" fits its cell."""
    text = _number(value) if isinstance(value, (int, float)) else str(value)
    return {"label": label, "value": f"{text}{unit}" if unit and text != "—" else text,
            "number": text, "unit": unit.strip() if unit and text != "—" else None}


def _programme(h: dict, store: Store, period: Period, lang: str) -> dict:
    t = _t(lang)
    if period.kind == "all":
        message = t("story.programme_all", since=h["first_year"] or "—", cadre_batches=h["cadre_batches"],
                    talent_batches=h["talent_batches"], n=h["participants"])
    elif period.kind == "year":
        message = t("story.programme_year", year=period.value, n=h["participants"], active=h["active"])
    else:
        message = t("story.programme_batch", batch=period.value, n=h["participants"],
                    start=period.start.isoformat(), end=period.end.isoformat())
    slide = _slide("programme", t("story.programme_title"), message,
                   hero=_hero(h["participants"], t("story.people"), t("overview.participants")),
                   stats=[_stat(t("story.cadres"), h["cadres"]), _stat(t("story.talents"), h["talents"]),
                          _stat(t("overview.cadre_batches"), h["cadre_batches"]),
                          _stat(t("overview.talent_batches"), h["talent_batches"]),
                          _stat(t("overview.active"), h["active"]),
                          _stat(t("overview.enterprises"), h["enterprises"])])
    frame = _members_frame(store, period, lang) if period.kind == "batch" else _batches_frame(store, period, lang)
    if frame.empty:
        slide["empty"] = t("story.no_people")
        return slide
    colours = charts.label_colours(charts.DIRECTION_COLOURS, lambda d: vocab.label("direction_short", d, lang))
    slide["figures"] = [charts.stint_timeline(frame, "start_date", "end_date", "label", "direction_label",
                                              colours=colours, labels={"direction_label": t("field.direction")},
                                              title=t("story.timeline"))]
    return slide


def _where(store: Store, period: Period, lang: str, today: date) -> dict:
    t = _t(lang)
    hosts = _hosts(store, period, today)
    streets = {h["street"] for h in hosts if h["street"]}
    industries = {h["industry"] for h in hosts if h["industry"]}
    slide = _slide("where", t("story.where_title"),
                   t("story.where_message", n=len(hosts), streets=len(streets), industries=len(industries)),
                   hero=_hero(len(hosts), t("story.enterprises_unit"), t("overview.enterprises")),
                   stats=[_stat(t("story.streets"), len(streets)), _stat(t("story.industries"), len(industries)),
                          _stat(t("story.cadres"), sum(h["people"] for h in hosts)),
                          _stat(t("story.hosts_now"), sum(1 for h in hosts if h["active"]))])
    if not hosts:
        slide["empty"] = t("story.no_hosts")
        return slide
    frame = pd.DataFrame(hosts)
    by_street = frame.groupby(frame["street"].fillna(""))["id"].nunique()
    order = [s for s in vocab.STREETS] + sorted(set(by_street.index) - set(vocab.STREETS) - {""})
    street_frame = pd.DataFrame([{"street": vocab.label("street", s, lang) if s else t("story.no_street"),
                                  "enterprises": int(by_street.get(s, 0))} for s in order + [""]
                                 if by_street.get(s, 0)])
    street_frame = street_frame.sort_values("enterprises", kind="stable")
    industry = frame.groupby(frame["industry"].fillna(t("story.no_industry")))["people"].sum() \
        .sort_values(ascending=False)
    top = industry.head(TOP_INDUSTRIES)
    rest = int(industry.iloc[TOP_INDUSTRIES:].sum())
    industry_frame = pd.DataFrame({"industry": list(top.index), "people": [int(v) for v in top.values]})
    if rest:
        industry_frame.loc[len(industry_frame)] = [t("story.other_industries"), rest]
    streets_fig = charts.bar(street_frame, "street", "enterprises", horizontal=True, title=t("story.by_street"),
                             labels={"street": "", "enterprises": t("overview.enterprises")})
    streets_fig.update_traces(marker_color=charts.ROLE_COLOURS["coordinator"])
    slide["figures"] = [
        charts.whole_numbers(streets_fig, "x", street_frame["enterprises"].max()),
        charts.donut(industry_frame, "industry", "people", title=t("story.by_industry"),
                     colours=charts.palette(industry_frame["industry"])),
    ]
    return slide


def _work(store: Store, period: Period, lang: str, direction: str, people: int) -> dict:
    t = _t(lang)
    roles = vocab.ROLES_BY_DIRECTION[direction]
    work = work_by_role(store, period, roles)
    entries, hours = int(work["entries"].sum()), float(work["hours"].sum())
    cadre = direction == vocab.CADRE
    key = "roles" if cadre else "talents"
    if cadre:
        message = t("story.roles_message", n=people, entries=_number(entries), hours=_number(hours))
    else:
        message = t("story.talents_message", n=people, units=_talent_hosts(store, period), entries=_number(entries))

    units = _talent_hosts(store, period) if not cadre else None
    stats = [_stat(t("story.cadres" if cadre else "story.talents"), people), _stat(t("story.hours"), hours)]
    if units is not None:
        stats.append(_stat(t("story.units"), units))
    if people:
        stats.append(_stat(t("story.per_person"), round(entries / people)))
    slide = _slide(key, t(f"story.{key}_title"), message, stats=stats,
                   hero=_hero(entries, t("story.entries_unit"), t("story.entries_of", who=t(f"story.{key}_who"))))
    if not entries:
        slide["empty"] = t("story.no_work")
        return slide
    work["label"] = work["role"].map(lambda r: vocab.label("role", r, lang))
    colours = charts.label_colours(charts.ROLE_COLOURS, lambda r: vocab.label("role", r, lang))
    slide["figures"] = [charts.whole_numbers(
        charts.bar(work.iloc[::-1], "label", "entries", colour="label", colours=colours, horizontal=True,
                   title=t("story.by_role"), labels={"label": "", "entries": t("overview.entries")}),
        "x", work["entries"].max())]
    picked = examples(store, period, roles)
    slide["lists"] = [{"title": t("story.examples"), "items": [
        {"title": r["title"], "detail": r["outcome"],
         "meta": " · ".join(x for x in (vocab.label("role", r["role"], lang), r["unit"] or "", r["date"]) if x)}
        for r in picked]}] if picked else []
    return slide


def _loop(store: Store, actor: Actor, period: Period, lang: str, today: date, loop: dict) -> dict:
    t = _t(lang)
    slide = _slide("loop", t("story.loop_title"),
                   t("story.loop_message", n=_number(loop["total"]), closed=_pct(loop["closed_pct"]),
                     on_time=_pct(loop["on_time_pct"]), satisfied=_pct(loop["satisfied_pct"])),
                   hero=_hero(loop["total"], t("story.items_unit"), t("story.raised")),
                   stats=[_stat(t("present.on_time_pct"), _pct(loop["on_time_pct"])),
                          _stat(t("present.satisfied_pct"), _pct(loop["satisfied_pct"])),
                          _stat(t("story.median_days"), "—" if loop["median_days"] is None else
                                f"{loop['median_days']:g}", t("story.days_unit")),
                          _stat(t("present.closed_pct"), _pct(loop["closed_pct"])),
                          _stat(t("story.open_overdue"), t("story.open_overdue_value", open=loop["open"],
                                                           overdue=loop["overdue"]))])
    if not loop["total"]:
        slide["empty"] = t("story.no_items")
        return slide
    data = flows.sankey_data(store, actor, lang=lang, today=today, stages=("category", "department", "outcome"),
                             top_departments=TOP_DEPARTMENTS, **period.feedback_filters())
    slide["figures"] = [charts.sankey(data["nodes"], data["links"], node_colours=charts.sankey_node_colours(data["nodes"]),
                                      value_label=t("flows.items_unit"))]
    return slide


def _changed(store: Store, actor: Actor, period: Period, lang: str, today: date, h: dict, loop: dict) -> dict:
    t = _t(lang)
    practices = promoted(store, period, limit=3)
    fixed = solved(store, actor, period, today)
    n_promoted, satisfied = h["practices_promoted"], loop["satisfied"]
    if n_promoted:
        message = t("story.changed_message", practices=n_promoted, solved=satisfied)
        hero = _hero(n_promoted, t("story.practices_unit"), t("overview.practices_promoted"))
    else:
        message = t("story.changed_solved", solved=satisfied)
        hero = _hero(satisfied, t("story.items_unit"), t("story.solved_hero"))
    slide = _slide("changed", t("story.changed_title"), message, hero=hero)
    slide["lists"] = [
        {"title": t("story.practices_list"), "empty": t("story.no_practices"), "items": [
            {"title": r["title"], "detail": r["summary"] or "",
             "meta": " · ".join(x for x in (r["enterprise"] or "", r["batch"] or "") if x)} for r in practices]},
        {"title": t("story.solved_list"), "empty": t("story.no_solved"), "items": [
            {"title": r["summary"], "detail": "",
             "meta": t("story.solved_by", enterprise=r["enterprise"] or "—", department=r["department"] or "—")}
            for r in fixed]},
    ]
    return slide


COMPARED = (("participants", "overview.participants", True), ("activities", "overview.activities", True),
            ("feedback", "story.raised", True), ("on_time_pct", "present.on_time_pct", True),
            ("satisfied_pct", "present.satisfied_pct", True), ("median_days", "story.median_days", False),
            ("practices_promoted", "overview.practices_promoted", True))


def _compare(store: Store, actor: Actor, period: Period, lang: str, today: date) -> dict:
    t = _t(lang)
    pair = periods.previous(store, actor, period, today)
    if pair is None:
        return _slide("compare", t("story.compare_title"), t("story.compare_none", period=period.label(lang)),
                      empty=t("story.compare_none", period=period.label(lang)))
    now, before = pair
    figures = []
    for p in (now, before):
        loop = analytics.feedback_loop(store, actor, today, p)
        h = analytics.headline(store, actor, today, p, loop=loop)
        figures.append({**h, **{k: loop[k] for k in ("on_time_pct", "satisfied_pct", "median_days")}})
    rows = []
    for key, label, up_is_good in COMPARED:
        a, b = figures[0][key], figures[1][key]
        if a is None or b is None:
            arrow, change, good = "", "—", None
        else:
            diff = a - b
            arrow = "▲" if diff > 0 else "▼" if diff < 0 else "＝"
            unit = t("story.points") if key.endswith("_pct") else t("story.days_unit") if key == "median_days" else ""
            change = f"{diff:+,g}{unit}" if diff else t("story.unchanged")
            good = None if not diff else (diff > 0) == up_is_good
        show = (lambda v: _pct(v)) if key.endswith("_pct") else (lambda v: _days(v, lang)) \
            if key == "median_days" else (lambda v: _number(v))
        rows.append({"label": t(label), "now": show(a), "before": show(b), "arrow": arrow, "change": change,
                     "good": good})
    return _slide("compare", t("story.compare_title"),
                  t("story.compare_message", now=now.label(lang), before=before.label(lang)),
                  rows=rows, columns=[t("story.measure"), now.label(lang), before.label(lang), t("story.change")])


def slides(store: Store, actor: Actor, period: Period = periods.ALL, lang: str = "zh",
           today: date | None = None) -> list[dict]:
    """The presentation's slides for ``period`` in ``lang``, in the order they are told (``SLIDES``)."""
    permissions.require(actor, "presentation.view")
    today = today or clock.today()
    loop = analytics.feedback_loop(store, actor, today, period)
    h = analytics.headline(store, actor, today, period, loop=loop)
    # A batch is of one direction: its slides tell that direction's story only.
    cadres = period.direction in (None, vocab.CADRE)
    talents = period.direction in (None, vocab.TALENT)
    told = [_programme(h, store, period, lang)]
    if cadres:
        told += [_where(store, period, lang, today), _work(store, period, lang, vocab.CADRE, h["cadres"])]
    if talents:
        told.append(_work(store, period, lang, vocab.TALENT, h["talents"]))
    told += [_loop(store, actor, period, lang, today, loop), _changed(store, actor, period, lang, today, h, loop),
             _compare(store, actor, period, lang, today)]
    return told


# --- the cockpit ----------------------------------------------------------------------------------------------------

# The newest approved entries. An entry's week is the ISO week of its date (``activities`` sets it so), so the
# newest weeks hold the newest dates: walking the week index backwards finds them in milliseconds, where ordering
# every approved entry by date took seconds at a national scale (2,000,000 entries). Same rows, same order.
LATEST_WORK_SQL = """
    select a.date as day, a.title, a.role, h.name as unit, p.name as person
    from activities a indexed by idx_activities_week_role_hours
    cross join week_reviews w on w.participant_id = a.participant_id and w.week = a.week
    join participants p on p.id = a.participant_id left join units h on h.id = p.host_unit_id
    where w.state = 'approved' order by a.week desc, a.date desc, a.id desc limit ?"""


def cockpit(store: Store, actor: Actor, lang: str = "zh", today: date | None = None, feed: int = 14) -> dict:
    """The live figures of the wall screen: who is in post, this week's entries, open and overdue items, the
    departments' on-time rate this year, the latest approved work and answered items, and the ten streets."""
    from secondment import roster

    permissions.require(actor, "presentation.view")
    today = today or clock.today()
    t = _t(lang)
    week = activities.week_of(today)
    active = f"{roster.status_sql(today)} = 'active'"
    this_year = periods.year(today.year)
    loop_now = analytics.feedback_loop(store, actor, today)
    loop_year = analytics.feedback_loop(store, actor, today, this_year)
    figures = {
        "active": store.cached_scalar(f"select count(*) from participants p where {active}") or 0,
        "week_entries": store.cached_scalar("select count(*) from activities where week = ?", (week,)) or 0,
        "open": loop_now["open"], "overdue": loop_now["overdue"],
        "on_time_pct": loop_year["on_time_pct"],
    }
    departments = flows.department_table(store, actor, today=today, **this_year.feedback_filters())
    # The departments that answered most this year, each with its on-time rate.
    departments = departments[departments["answered"] > 0].sort_values(
        ["answered", "on_time_pct"], ascending=[False, False], kind="stable").head(9) \
        if not departments.empty else departments
    work = store.cached_rows(LATEST_WORK_SQL, (feed,))
    answered = store.cached_rows(f"""
        select {clock.china_date_sql('f.answered_at')} as day, f.summary, d.name as department, e.name as enterprise
        from feedback f left join units d on d.id = f.department_id left join units e on e.id = f.enterprise_id
        where f.answered_at is not null order by f.answered_at desc, f.id desc limit ?""", (feed,))
    work = [{"day": r["day"], "kind": t("story.feed_work"), "text": r["title"],
             "meta": " · ".join(x for x in (vocab.label("role", r["role"], lang), r["unit"] or "") if x)}
            for r in work]
    answered = [{"day": r["day"], "kind": t("story.feed_answer"), "text": r["summary"],
                 "meta": t("story.solved_by", enterprise=r["enterprise"] or "—", department=r["department"] or "—")}
                for r in answered]
    # Work and answers take turns (each newest first): reviews lag behind answers, and both belong on the screen.
    items = [item for pair in zip_longest(work, answered) for item in pair if item is not None]
    streets = {s: {"street": s, "label": vocab.label("street", s, lang), "x": x, "y": y, "active": 0,
                   "enterprises": 0, "ever": 0} for s, (x, y) in STREET_PLACES.items()}
    for r in store.cached_rows(f"""
            select h.street, count(distinct h.id) as ever,
                   count(distinct case when {active} then h.id end) as enterprises,
                   sum(case when {active} then 1 else 0 end) as active
            from participants p join batches b on b.id = p.batch_id join units h on h.id = p.host_unit_id
            where b.direction = '{vocab.CADRE}' and h.street is not null group by h.street"""):
        if r["street"] in streets:
            streets[r["street"]].update(ever=r["ever"], enterprises=r["enterprises"], active=r["active"])
    return {"figures": figures, "week": week, "today": today.isoformat(), "feed": items[:feed],
            "departments": [{"name": r.department or "—", "on_time_pct": r.on_time_pct, "answered": int(r.answered)}
                            for r in departments.itertuples()],
            "streets": list(streets.values())}
