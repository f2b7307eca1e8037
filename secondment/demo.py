"""The demo programme, and synthetic databases at the benchmark tiers, from one deterministic generator.

``build()`` writes the real programme's shape (68 people in 5 cadre and 4 talent batches since 2010) with
invented names, enterprises and texts; ``synthetic()`` writes the same kind of data at tier S, M or L for
the benchmark. Both go through the same pipeline: units → batches → participants → a stream of weekly
activities (with their week reviews) → feedback with its event history → practices → accounts.

Why it is built the way it is:

- The most recent cadre and talent batches are placed relative to ``today`` so the demo always has people
  in post logging up to last week; older batches keep their historic years (2010 on).
- Each participant has their own random streams (one for the plan of weeks, one for the entries), so the
  plan can be replayed cheaply: a first pass counts logged weeks to aim at the activity target, the second
  writes. Same seed and same ``today`` give the same data.
- Feedback histories are simulated step by step through ``vocab.FEEDBACK_TRANSITIONS`` with the same
  bookkeeping as ``secondment.feedback`` (the due date restarts on transfer and send-back, moves on an
  extension; a send-back clears ``answered_at``), and stop at the start of ``today``: what has not happened
  yet is where the item still stands, so recent items are open and some are overdue.
- Everything is written with ``executemany`` in one transaction into a temporary file that is renamed over
  the target only when complete; the audit helpers are not used (a demo is not anyone's action).
- The audit trail of the last six weeks is then derived from the written rows (``_audit_trail``): one
  entry per entry written, week submitted or reviewed, feedback step and practice step, in the exact shape
  the services record (same tables, actions, row ids, before/after), stamped with the event's own time.
"""
from __future__ import annotations

import hashlib
import heapq
import itertools
import json
import os
import random
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path

from secondment import _demo_text as text
from secondment import auth, clock, db, feedback, i18n, leave, notify, roster, stint, vocab, workdays

DEMO_SEED = 2010


@dataclass(frozen=True)
class Tier:
    participants: int
    activities: int
    feedback: int
    practices: int


TIERS = {
    "S": Tier(68, 5_000, 500, 40),
    "M": Tier(1_000, 200_000, 20_000, 600),
    "L": Tier(10_000, 2_000_000, 200_000, 6_000),
}

# The real programme: (code, intake year, start month, stint in months, people). None = the newest intake
# placed relative to today (see ``_latest_intake``), so the demo always has people in post.
DEMO_BATCHES = (
    ("C1", 2010, 3, 12, 8), ("T1", 2011, 9, 12, 5), ("C2", 2012, 3, 12, 8), ("T2", 2014, 9, 12, 6),
    ("C3", 2015, 3, 24, 9), ("T3", 2018, 9, 12, 6), ("C4", 2019, 9, 24, 9),
    ("C5", None, 9, 24, 10), ("T4", None, 3, 12, 7),
)

ROLE_WEIGHTS = {
    vocab.CADRE: {"info_officer": 32, "coordinator": 28, "counsellor": 22, "publicist": 18},
    vocab.TALENT: {"learning": 40, "bridge": 32, "party_practice": 28},
}
HOURS_WEIGHTS = {0.5: 3, 1.0: 10, 1.5: 10, 2.0: 18, 2.5: 10, 3.0: 14, 3.5: 6, 4.0: 12, 5.0: 5, 6.0: 5,
                 7.0: 2, 8.0: 5}
# Feedback comes from information-officer and coordinator work (cadres) or bridge work (talents); an item
# raised on its own counts under the direction's default role, as in ``secondment.feedback``.
FEEDBACK_ROLES = ("info_officer", "coordinator", "bridge")
DEFAULT_FEEDBACK_ROLE = {vocab.CADRE: "info_officer", vocab.TALENT: "bridge"}
# Per person in post and working day: over the last two weeks, and the four before them.
WALK_IN_RATES = (0.12, 0.05)
CATEGORY_WEIGHTS = {
    "info_officer": {"party_building": 16, "staff_sentiment": 16, "production": 24, "project": 8,
                     "policy": 14, "new_issue": 16, "other": 6},
    "coordinator": {"party_building": 6, "staff_sentiment": 4, "production": 30, "project": 26,
                    "policy": 22, "new_issue": 6, "other": 6},
    "bridge": {"staff_sentiment": 10, "production": 25, "policy": 35, "new_issue": 20, "other": 10},
}
ROUTING = {
    "party_building": "区委组织部", "staff_sentiment": "区总工会", "production": "区商务委员会",
    "project": "区发展和改革委员会", "policy": "区科学技术委员会", "new_issue": "区投资促进办公室",
    "other": "区委组织部",
}
# Where a misrouted item is passed on (转办); "street" is the enterprise's own street or town.
TRANSFER_TARGETS = {
    "party_building": ("street", "区委统战部", "区委组织部"),
    "staff_sentiment": ("区人力资源和社会保障局", "区房屋管理局", "区教育局", "street"),
    "production": ("区人力资源和社会保障局", "区投资促进办公室", "区财政局", "区市场监督管理局", "street"),
    "project": ("区规划和自然资源局", "区建设和管理委员会", "区应急管理局", "street"),
    "policy": ("区人力资源和社会保障局", "区发展和改革委员会", "区税务局", "区财政局"),
    "new_issue": ("区市场监督管理局", "区人力资源和社会保障局", "区司法局", "区商务委员会"),
    "other": ("区建设和管理委员会", "区生态环境局", "区市场监督管理局", "street"),
}

# Fixed account ids, so activity and review rows can name their author before the accounts are written.
ADMIN_ID, REVIEWER_ID, VIEWER_ID, SECONDEE_ID, TALENT_ID, LIAISON_ID, LIAISON2_ID = range(1, 8)
FIRST_PARTICIPANT_USER_ID = 8
CHUNK = 20_000
LOCAL_OFFSET = timedelta(hours=8)  # Asia/Shanghai has no daylight saving


# --- small helpers ----------------------------------------------------------------------------------------

def _pool(weights: dict, size: int = 100) -> list:
    """A list where each key appears in proportion to its weight: ``pool[int(random() * len)]`` is a
    weighted draw without the cost of ``random.choices`` per row."""
    total = sum(weights.values())
    out = []
    for key, weight in weights.items():
        out.extend([key] * max(1, round(size * weight / total)))
    return out


def _utc(local: datetime) -> str:
    """China time as the UTC stamp the services write (2026-11-26T02:30:00Z); ``isoformat`` is what
    ``strftime("%Y-%m-%dT%H:%M:%SZ")`` gives, several times faster (the benchmark tiers write millions)."""
    return (local - LOCAL_OFFSET).isoformat(timespec="seconds") + "Z"


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _first_workday(day: date) -> date:
    while day.weekday() >= 5 or not workdays.LIBRARY.is_workday(day):
        day += timedelta(days=1)
    return day


def _allocate(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder), so the sum is exact."""
    mass = sum(weights)
    if total <= 0 or mass <= 0:
        return [0] * len(weights)
    raw = [total * w / mass for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - out[i], reverse=True)
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


_WEEK_DAYS: dict[date, list[date]] = {}


def _week_workdays(monday: date) -> list[date]:
    """Monday–Friday of a week that are working days on the official calendar (none in Golden Week)."""
    days = _WEEK_DAYS.get(monday)
    if days is None:
        days = [d for d in (monday + timedelta(days=i) for i in range(5)) if workdays.LIBRARY.is_workday(d)]
        _WEEK_DAYS[monday] = days
    return days


# --- the shape of a programme ------------------------------------------------------------------------------

@dataclass(slots=True)
class Batch:
    id: int
    code: str
    direction: str
    intake_year: int
    start: date
    end: date
    size: int


@dataclass(slots=True)
class Unit:
    id: int
    name: str
    kind: str
    street: str | None = None
    industry: str | None = None
    short: str | None = None
    time_limit: int | None = None
    staff: int = 0                                  # an enterprise's head-count and party members, and what
    members: int = 0                                # it is like: the texts about it quote them
    trait: str = ""


@dataclass(slots=True)
class Person:
    id: int
    name: str
    gender: str
    political: str
    batch: Batch
    home: Unit
    host: Unit
    post: str
    start: date
    end: date
    contact: str
    status: str = "active"
    notes: str | None = None
    user_id: int | None = None
    rate: float = 0.9
    quiet: int = 0                                  # weeks before today with no entry
    neglect: tuple[str, date, date] | None = None   # (role, first monday, last monday) never logged
    ctx: dict = field(default_factory=dict)         # template fields fixed for the stint
    family: dict = field(default_factory=dict)      # ``text.FAMILIES`` entry of the enterprise's industry
    leave: list = field(default_factory=list)       # leave requests (``_plan_leave``), written with the lifecycle
    off: set | None = None                          # days of approved leave: nothing is logged on them

    @property
    def direction(self) -> str:
        return self.batch.direction

    @property
    def enterprise(self) -> Unit:
        return self.host if self.direction == vocab.CADRE else self.home


def _latest_intake(today: date, months: tuple[int, ...]) -> date:
    """The newest intake (1st of one of ``months``) at least 13 weeks before ``today``. Intakes are half a
    year apart at most and stints last a year or more, so ``today`` falls 13–39 weeks into its stint."""
    limit = today - timedelta(weeks=13)
    return max(date(y, m, 1) for y in (limit.year - 1, limit.year) for m in months if date(y, m, 1) <= limit)


def _demo_batches(today: date) -> list[Batch]:
    """The real programme's nine batches; the latest two are placed so that ``today`` falls in them."""
    latest = {"C": _latest_intake(today, (9,)), "T": _latest_intake(today, (3, 9))}
    shift = min(0, latest["C"].year - 2025)  # only an early ``today`` moves history back, to keep the order
    out = []
    for i, (code, year, month, months, size) in enumerate(DEMO_BATCHES, start=1):
        first = latest[code[0]] if year is None else date(year + shift, month, 1)
        direction = vocab.CADRE if code.startswith("C") else vocab.TALENT
        out.append(Batch(i, code, direction, first.year, _first_workday(first),
                         _add_months(first, months) - timedelta(days=1), size))
    return out


def _synthetic_batches(rng: random.Random, n: int, today: date) -> list[Batch]:
    """About 7–8 people a batch, ~62% cadre batches. A programme that grew: a fifth of the batches are the
    newest intakes (in post today), the rest spread over the sixteen years before them."""
    count = max(9, round(n / 7.5))
    current = max(2, count // 5)
    newest = {vocab.CADRE: _latest_intake(today, (9,)), vocab.TALENT: _latest_intake(today, (3, 9))}
    first_year = max(newest.values()).year - 16
    plans = []
    for j in range(count):
        direction = vocab.CADRE if rng.random() < 0.62 else vocab.TALENT
        year = first_year + (j * 16) // (count - current)
        first = min(date(year, 9 if direction == vocab.CADRE else 3, 1), newest[direction])
        long_stint = direction == vocab.CADRE and (rng.random() < 0.4 or first == newest[direction])
        plans.append((first, direction, 24 if long_stint else 12))
    plans.sort(key=lambda p: (p[0], p[1]))
    sizes = _allocate(n, [1 + rng.random() for _ in plans])
    codes = Counter()
    out = []
    for (first, direction, months), size in zip(plans, sizes):
        if size == 0:
            continue
        prefix = "C" if direction == vocab.CADRE else "T"
        codes[prefix] += 1
        out.append(Batch(len(out) + 1, f"{prefix}{codes[prefix]}", direction, first.year, _first_workday(first),
                         _add_months(first, months) - timedelta(days=1), size))
    return out


def _units(rng: random.Random, enterprises: int) -> list[Unit]:
    """Streets/towns, district departments and party/mass organisations, social organisations, then
    enterprises: the hand-written ones first, invented brand names after them at the larger tiers."""
    units: list[Unit] = []

    def add(**kw) -> None:
        units.append(Unit(id=len(units) + 1, **kw))

    for street in vocab.STREETS:
        add(name=street, kind="street_town", street=street)
    for name, kind in text.DEPARTMENTS:
        add(name=name, kind=kind, time_limit=text.DEPARTMENT_TIME_LIMITS.get(name))
    for name in text.SOCIAL_ORGS:
        add(name=name, kind="social_org")
    for name, short, industry, street in text.ENTERPRISES[:enterprises]:
        staff, members, trait = text.ENTERPRISE_PROFILES[short]
        add(name=name, kind="enterprise", street=street, industry=industry, short=short, staff=staff,
            members=members, trait=trait)
    taken = {u.name for u in units}
    chars = text.BRAND_CHARS
    count = sum(u.kind == "enterprise" for u in units)
    while count < enterprises:
        a, b = rng.choice(chars), rng.choice(chars)
        industry, suffix, short_suffix = rng.choice(text.INDUSTRY_SUFFIXES)
        name = f"上海{a}{b}{suffix}有限公司"
        if a == b or name in taken:
            continue
        taken.add(name)
        # Its profile from a stream of its own, so the main stream (and all that follows) does not move.
        own = random.Random(name)
        staff = own.randrange(60, 600, 10)
        add(name=name, kind="enterprise", street=rng.choice(vocab.STREETS), industry=industry,
            short=f"{a}{b}{short_suffix}", staff=staff, members=max(5, round(staff * own.uniform(0.04, 0.12))),
            trait=own.choice(_family(industry)["traits"]))
        count += 1
    return units


def _family_key(industry: str | None) -> str:
    return text.INDUSTRY_FAMILY.get(industry or "", text.DEFAULT_FAMILY)


_FAMILIES: dict[str | None, dict] = {}


def _family(industry: str | None) -> dict:
    """The posts, teams, places … the texts name for an enterprise of ``industry``: its family's, with the
    industry's own where they differ (``text.INDUSTRY_OVERRIDES``)."""
    family = _FAMILIES.get(industry)
    if family is None:
        family = _FAMILIES[industry] = {**text.FAMILIES[_family_key(industry)],
                                        **text.INDUSTRY_OVERRIDES.get(industry or "", {})}
    return family


# --- people -------------------------------------------------------------------------------------------------

class _Names:
    """Synthetic Chinese names (surname + one or two given-name characters), unique while that is easy."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def __call__(self, gender: str) -> str:
        chars = text.GIVEN_MALE if gender == "male" else text.GIVEN_FEMALE
        for _ in range(50):
            surname = self.rng.choice(text.SURNAMES)
            given = self.rng.choice(chars)
            if self.rng.random() < 0.7:
                given += self.rng.choice(chars)
            name = surname + given
            if surname not in given and name not in self.used:
                break
        self.used.add(name)
        return name


def _phone(rng: random.Random) -> str:
    return f"{rng.choice(text.PHONE_PREFIXES)}****{rng.randrange(10_000):04d}"


def _political(rng: random.Random, direction: str) -> str:
    weights = ({"cpc_member": 88, "probationary": 2, "democratic_party": 6, "masses": 4}
               if direction == vocab.CADRE else
               {"cpc_member": 45, "probationary": 10, "league_member": 10, "democratic_party": 10, "masses": 25})
    return rng.choices(list(weights), list(weights.values()))[0]


def _people(rng: random.Random, batches: list[Batch], units: list[Unit], today: date) -> list[Person]:
    names = _Names(rng)
    enterprises = [u for u in units if u.kind == "enterprise"]
    offices = [u for u in units if u.kind in vocab.DEPARTMENT_KINDS]
    people: list[Person] = []
    for batch in batches:
        cadre = batch.direction == vocab.CADRE
        # Within a batch each enterprise hosts (or sends) one person while there are enough of them.
        firms = rng.sample(enterprises, min(batch.size, len(enterprises)))
        for i in range(batch.size):
            firm = firms[i] if i < len(firms) else rng.choice(enterprises)
            office = rng.choice(offices)
            gender = "male" if rng.random() < (0.6 if cadre else 0.5) else "female"
            home, host = (office, firm) if cadre else (firm, office)
            post = rng.choice(text.CADRE_POSTS if cadre else text.TALENT_POSTS[office.kind])
            people.append(Person(
                id=len(people) + 1, name=names(gender), gender=gender, political=_political(rng, batch.direction),
                batch=batch, home=home, host=host, post=post, start=batch.start, end=batch.end,
                contact=_phone(rng)))
    for person in people:
        person.status = _status(person, today)
        person.rate = 0.78 + rng.random() * 0.18
    _late_joiners(rng, people, today)
    _withdrawals(rng, people)
    return people


def _status(person: Person, today: date) -> str:
    if person.start > today:
        return "planned"
    return "completed" if person.end < today else "active"


def _late_joiners(rng: random.Random, people: list[Person], today: date) -> None:
    """A few people of the batches in post join late: chosen, not yet arrived (planned)."""
    active = [p for p in people if p.status == "active"]
    count = min(len(active) // 4, max(2, round(0.04 * len(people))))
    next_monday = _monday(today) + timedelta(weeks=1)
    for person in rng.sample(active, count):
        start = next_monday + timedelta(weeks=rng.randint(0, 4))
        if start >= person.end:
            continue
        person.start, person.status = start, "planned"
        person.notes = f"补充人选，拟于{start.isoformat()}到岗"


def _withdrawals(rng: random.Random, people: list[Person]) -> None:
    """A couple of completed stints were cut short (called back by the home unit, or left the firm)."""
    done = [p for p in people if p.status == "completed" and (p.end - p.start).days > 240]
    count = min(len(done), max(2, round(0.03 * len(done))))
    # Alternate directions, so both a cadre and a talent stint were cut short.
    pools = [[p for p in done if p.direction == d] for d in vocab.DIRECTIONS]
    for pool in pools:
        rng.shuffle(pool)
    picks = []
    for i in range(count):
        pool = pools[i % 2] or pools[(i + 1) % 2]
        if pool:
            picks.append(pool.pop())
    for person in picks:
        planned_end = person.end
        person.end = person.start + timedelta(days=rng.randint(120, 240))
        person.status = "withdrawn"
        reason = ("因派出单位工作需要提前召回" if person.direction == vocab.CADRE else "因个人原因离开原单位")
        person.notes = f"{reason}，挂职中止（原定{planned_end.isoformat()}期满）"


def _habits(rng: random.Random, people: list[Person], today: date, keep: set[int]) -> None:
    """Who has gone quiet lately, and who leaves a role aside for eight weeks or more. ``keep`` are the
    people behind the demo accounts, who log steadily."""
    this_monday = _monday(today)
    active = [p for p in people if p.status == "active" and p.id not in keep]
    rng.shuffle(active)
    quiet_n = min(len(active) // 3, max(2, round(0.2 * len(active))))
    for i, person in enumerate(active[:quiet_n]):
        person.quiet = 2 + i % 3
    rest = active[quiet_n:]
    for person in rest[: min(len(rest), max(2, round(0.2 * len(active))))]:
        role = rng.choice(("counsellor", "publicist") if person.direction == vocab.CADRE else ("party_practice",))
        person.neglect = (role, this_monday - timedelta(weeks=rng.randint(9, 14)), date.max)
    for person in people:
        if person.status in ("completed", "withdrawn") and rng.random() < 0.15:
            roles = vocab.ROLES_BY_DIRECTION[person.direction]
            first = _monday(person.start) + timedelta(weeks=rng.randint(4, 20))
            person.neglect = (rng.choice(roles), first, first + timedelta(weeks=rng.randint(8, 12)))
    for person in people:
        if person.id in keep:
            person.rate = 0.96


def _contexts(rng: random.Random, trng: random.Random, people: list[Person], units: list[Unit]) -> None:
    """The fixed template fields of each person: their enterprise and the people they deal with there (or, for
    a talent, their mentor in the host unit). The per-entry fields are drawn as entries are written (``_Slots``).
    ``rng`` is the main stream (one draw a person, as always); the people met come from ``trng``, the text
    stream, so adding a field never moves the data."""
    depts = [u.name for u in units if u.kind in ("government_department", "party_org")]
    rnd = trng.random
    for person in people:
        firm = person.enterprise
        family = _family(firm.industry)
        office = _pick(rnd, text.OFFICES)
        person.family = family
        person.ctx = {"ent": firm.short or firm.name, "ent_full": firm.name, "industry": firm.industry or "",
                      "street": firm.street or "", "host": person.host.name, "home": person.home.name,
                      "dept": rng.choice(depts), "name": person.name, "staff": firm.staff,
                      "members": firm.members, "trait": firm.trait, "spread": family["spread"],
                      "place": _pick(rnd, family["places"]), "sec": _name(rnd), "boss": _pick(rnd, text.SURNAMES) + "总",
                      "hr": _pick(rnd, text.HR_TITLES) + _name(rnd), "union": _name(rnd),
                      "mentor": f"{office}{'主任' if office == '办公室' else '科长'}{_name(rnd)}"}


# --- template fields ---------------------------------------------------------------------------------------------

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
DAY_PARTS = ("上午", "下午", "")


def _pick(rnd, options):
    return options[int(rnd() * len(options))]


def _between(rnd, lo: int, hi: int) -> int:
    return lo + int(rnd() * (hi - lo + 1)) if hi > lo else lo


def _name(rnd) -> str:
    """Someone met on the way: surname and one or two given-name characters (not checked for uniqueness)."""
    chars = text.GIVEN_MALE if rnd() < 0.55 else text.GIVEN_FEMALE
    given = _pick(rnd, chars)
    if rnd() < 0.7:
        given += _pick(rnd, chars)
    return _pick(rnd, text.SURNAMES) + given


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _when(s: _Slots) -> str:
    """When in the week it happened, as a log would say it: 周三上午, 11月18日, 11月18日下午."""
    rnd = s.rnd
    part = _pick(rnd, DAY_PARTS)
    return (WEEKDAYS[s.day.weekday()] if rnd() < 0.5 else _md(s.day)) + part


# How each drawn field is made; ``s`` is the ``_Slots`` being filled (``s.day``, ``s.rnd``, ``s.family``, and the
# person's fixed fields through ``s[...]``).
_MAKERS = {
    "when": _when,
    "date": lambda s: _md(s.day),
    "nextdate": lambda s: _md(s.day + timedelta(days=_between(s.rnd, 7, 20))),
    "year": lambda s: s.day.year,
    "month": lambda s: s.day.month % 12 + 1,
    "n": lambda s: _between(s.rnd, 2, 7),
    "m": lambda s: _between(s.rnd, 8, 47),
    "k": lambda s: _between(s.rnd, 12, 98),
    "c": lambda s: _between(s.rnd, 2, 5),
    "pct": lambda s: _between(s.rnd, 3, 25),
    "trend": lambda s: "增长" if s.rnd() < 0.6 else "下降",
    "who": lambda s: _pick(s.rnd, s.family["jobs"]) + _name(s.rnd),
    "member": lambda s: _name(s.rnd),
    "officer": lambda s: _name(s.rnd),
    "unit": lambda s: _pick(s.rnd, s.family["teams"]),
    "job": lambda s: _pick(s.rnd, s.family["jobs"]),
    "project": lambda s: _pick(s.rnd, s.family["projects"]),
    "cost": lambda s: _pick(s.rnd, s.family["costs"]),
    "product": lambda s: _pick(s.rnd, s.family["products"]),
    "stage": lambda s: _pick(s.rnd, text.PROJECT_STAGES),
    "town": lambda s: _pick(s.rnd, vocab.STREETS),
    "office": lambda s: _pick(s.rnd, text.OFFICES),
    "redsite": lambda s: _pick(s.rnd, text.RED_SITES),
    "newthing": lambda s: _pick(s.rnd, text.NEWS),
    "weeknote": lambda s: _pick(s.rnd, text.WEEK_NOTES),
    "amount": lambda s: f"{_between(s.rnd, 2, 30) * 50}万元",
    "area": lambda s: _between(s.rnd, 5, 50) * 100,
    # Head-counts that must fit the enterprise: present at a meeting, usually there, some of its members or staff.
    "pm": lambda s: _between(s.rnd, max(2, s["members"] // 2), s["members"]),
    "att": lambda s: _between(s.rnd, max(2, s["members"] * 3 // 10), max(2, s["members"] * 6 // 10)),
    "mpart": lambda s: _between(s.rnd, max(2, s["members"] * 4 // 10), max(2, s["members"] * 8 // 10)),
    "spart": lambda s: _between(s.rnd, max(5, s["staff"] // 10), max(5, s["staff"] * 3 // 10)),
    "quit": lambda s: _between(s.rnd, max(3, s["staff"] * 3 // 100), max(3, s["staff"] * 12 // 100)),
}


class _Slots(dict):
    """The fields of one text: what is set on it, then the person's fixed fields (``base``), then fields drawn
    the first time a template asks for them (``_MAKERS``), kept so that a description and its outcome name the
    same people and numbers. Drawing only what is used keeps the benchmark tiers' millions of entries cheap."""

    __slots__ = ("base", "day", "family", "rnd")

    def __init__(self, base: dict, rnd, day: date, family: dict, **fields):
        super().__init__(fields)
        self.base, self.rnd, self.day, self.family = base, rnd, day, family

    def __missing__(self, key):
        value = self.base[key] if key in self.base else _MAKERS[key](self)
        self[key] = value
        return value


def _kinds(table: dict, key: str, family: str) -> list:
    """The kinds of ``table[key]`` that occur in an enterprise of ``family`` (a kind's optional 4th item)."""
    return [kind for kind in table[key] if len(kind) < 4 or family in kind[3].split()]


def _distinct(seen: set | None, tries: int, write, *args, keys: int = 1):
    """``write(attempt, *args)`` again until its first ``keys`` items are new to ``seen`` (when given), which
    then remembers them."""
    for attempt in range(tries):
        out = write(attempt, *args)
        if seen is None or not any(_gist(out[i]) in seen for i in range(keys)):
            break
    if seen is not None:
        seen.update(_gist(t) for t in out[:keys])
    return out


_PARTICULARS = re.compile(r"(?:\d+月\d+日|周[一二三四五六日]|[上下]午|\d+)+")


def _gist(text_: str) -> str:
    """A text with its numbers, dates and times of day blanked: two texts that differ only there read as
    copies."""
    return _PARTICULARS.sub("#", text_)


# --- the week-by-week log ----------------------------------------------------------------------------------------

def _weeks(person: Person, rng: random.Random, today: date):
    """The weeks this person logged: (monday, the working days they could log on, weeks before this week).

    Most weeks are logged; some are missed, a long stint has a holiday or two of 2–3 weeks, quiet
    people stopped a few weeks ago, and people in post logged last week."""
    if person.status == "planned":
        return
    last = min(person.end, today)
    this_monday = _monday(today)
    monday = _monday(person.start)
    span = (last - monday).days // 7
    away: set[int] = set()
    if span > 30:
        for _ in range(rng.randint(0, 2)):
            first = rng.randint(2, max(2, span - 8))
            away.update(range(first, first + rng.randint(2, 3)))
    index = 0
    in_post = person.status == "active"
    while monday <= last:
        days = _week_workdays(monday)
        if monday < person.start or monday + timedelta(days=4) > last:
            days = [d for d in days if person.start <= d <= last]
        if person.off:  # nobody logs work on a day of approved leave; a week wholly on leave is not logged
            days = [d for d in days if d not in person.off]
        age = (this_monday - monday).days // 7
        draw = rng.random()
        if days and not (person.quiet and age <= person.quiet):
            if age == 1 and in_post:
                logged = True
            elif age == 0:
                logged = draw < 0.6
            else:
                logged = index not in away and draw < person.rate
            if logged:
                yield monday, days, age
        monday += timedelta(weeks=1)
        index += 1


def _person_rngs(seed: int, person: Person) -> tuple[random.Random, random.Random]:
    base = (seed * 1_000_003 + person.id) * 2
    return random.Random(base), random.Random(base + 1)


class _Reservoir:
    """The k heaviest of a weighted stream by A-Res keys (``random() ** (1 / weight)``): a weighted sample
    without keeping the stream."""

    __slots__ = ("heap", "k")

    def __init__(self, k: int):
        self.k = k
        self.heap: list = []

    def offer(self, key: float, item) -> None:
        if len(self.heap) < self.k:
            heapq.heappush(self.heap, (key, item))
        elif key > self.heap[0][0]:
            heapq.heapreplace(self.heap, (key, item))

    def items(self) -> list:
        return sorted(item for _, item in self.heap)


@dataclass
class _Stream:
    """What the activity stream leaves behind for the later steps."""
    feedback: dict[int, list] = field(default_factory=dict)    # person id -> [(date, activity id, role)]
    practices: dict[int, list] = field(default_factory=dict)   # person id -> [(date, activity id)]
    # The approved entries per month (what a monthly self-check is drafted from): person id -> month ->
    # [entries, hours] of each role in ``vocab.ROLES`` order (``ROLE_INDEX``); and in the demo the entries
    # themselves, person id -> month -> [row].
    months: dict[int, dict] = field(default_factory=dict)
    entries: dict[int, dict] = field(default_factory=dict)
    # Entries of finished weeks an objective may cite: person id -> [(date, activity id, role, created_at)].
    links: dict[int, list] = field(default_factory=dict)


def _entries(person, monday, days, n, erng, ctx_pools, next_id, today):
    """``n`` activity rows for one week of one person. The entry stream ``erng`` decides the day, role, kind of
    work, hours and stamps (and the department, topic and counts the texts name); the person's text stream
    (``ctx_pools``) writes the particulars, and in the demo keeps every description different (``seen``)."""
    rnd = erng.random
    roles, kinds, hours, depts, topics, trnd, seen = ctx_pools
    ctx, family = person.ctx, person.family
    neglect = person.neglect
    week = _iso_week(monday)
    rows = []
    for _ in range(n):
        day = days[int(rnd() * len(days))]
        role = roles[int(rnd() * len(roles))]
        if neglect and neglect[1] <= monday <= neglect[2]:
            while role == neglect[0]:
                role = roles[int(rnd() * len(roles))]
        options = kinds[role]
        kind = options[int(rnd() * len(options))]
        year_topics = topics.get(day.year) or topics[None]
        fields = {"dept": depts[int(rnd() * len(depts))], "topic": year_topics[int(rnd() * len(year_topics))],
                  "policy": text.POLICIES[int(rnd() * len(text.POLICIES))], "n": 2 + int(rnd() * 6),
                  "m": 8 + int(rnd() * 40), "month": day.month % 12 + 1}
        description, title, outcome = _distinct(seen, 80, _write_entry, kind, options, ctx, trnd, day, family,
                                                fields)
        # Written during the working day; an entry dated today was written this morning.
        hour = 1 + int(rnd() * 8) if day < today else 0
        stamp = f"{day.isoformat()}T{hour:02d}:{int(rnd() * 60):02d}:{int(rnd() * 60):02d}Z"
        rows.append((next_id + len(rows), person.id, day.isoformat(), week, role, title, description,
                     hours[int(rnd() * len(hours))], outcome, person.user_id, stamp, person.user_id, stamp))
    return rows


def _write_entry(attempt: int, kind: tuple, options: list, ctx: dict, trnd, day: date, family: dict,
                 fields: dict) -> tuple[str, str, str]:
    """(description, title, outcome) of one entry of ``kind``; the i-th description goes with the i-th title
    (round again when there are fewer titles). After the first ``attempt``, and in case ``kind`` has no new text
    left for the person, another kind of ``options`` (from the text stream, so the entry stream does not move)."""
    if attempt:
        kind = _pick(trnd, options)
    titles, descriptions, outcomes = kind[:3]
    i = int(trnd() * len(descriptions))
    slots = _Slots(ctx, trnd, day, family, **fields)
    return (descriptions[i].format_map(slots), titles[i % len(titles)].format_map(slots),
            _pick(trnd, outcomes).format_map(slots))


def _review(person: Person, monday: date, age: int, erng: random.Random, as_of: datetime):
    """The week's review row, or None when it was never submitted (this week is never submitted)."""
    if age < 1:
        return None
    r = erng.random()
    if age == 1:
        state = "submitted" if r < 0.5 else "approved" if r < 0.75 else "returned" if r < 0.85 else None
    elif age == 2:
        state = "approved" if r < 0.6 else "submitted" if r < 0.8 else "returned" if r < 0.9 else None
    elif age <= 4:
        state = "approved" if r < 0.85 else "returned" if r < 0.9 else None
    else:
        state = "approved" if r < 0.94 else "returned" if r < 0.95 else None
    if state is None:
        return None
    friday = monday + timedelta(days=4)
    if erng.random() < 0.6:
        submitted = datetime.combine(friday, time(17, 30)) + timedelta(minutes=erng.randrange(90))
    else:
        submitted = datetime.combine(friday + timedelta(days=3), time(9)) + timedelta(minutes=erng.randrange(90))
    if submitted >= as_of:
        submitted = datetime.combine(friday, time(17, 30)) + timedelta(minutes=erng.randrange(90))
    reviewed = comment = None
    if state != "submitted":
        day = workdays.LIBRARY.add_working_days(submitted.date(), erng.randint(1, 4))
        reviewed = datetime.combine(day, time(9)) + timedelta(minutes=erng.randrange(480))
        if reviewed >= as_of:
            state, reviewed = "submitted", None
        elif state == "returned":
            comment = text.RETURN_COMMENTS[int(erng.random() * len(text.RETURN_COMMENTS))]
    return (person.id, _iso_week(monday), state, _utc(submitted), person.user_id,
            _utc(reviewed) if reviewed else None, REVIEWER_ID if reviewed else None, comment)


def _stream_activities(people, units, seed, today, logged, target, max_per_week, feedback_quota, practice_quota,
                       activities_table, reviews_table, distinct: bool = False) -> _Stream:
    """Writes every activity and week review; keeps the entries the feedback and practices will cite.
    ``logged`` is each person's number of logged weeks (a first pass over the same plan). ``distinct``: no
    two descriptions alike (the demo; the benchmark tiers may repeat themselves)."""
    as_of = datetime.combine(today, time())
    mean = min(max_per_week, max(1.0, target / max(1, sum(logged.values()))))
    base, extra = int(mean), mean - int(mean)
    pools = {d: _pool(w) for d, w in ROLE_WEIGHTS.items()}
    hours = _pool(HOURS_WEIGHTS)
    depts = [u.name for u in units if u.kind in ("government_department", "party_org")]
    topics = {year: list(t) + list(text.EVERGREEN_TOPICS) for year, t in text.TOPICS_BY_YEAR.items()}
    topics[None] = list(text.EVERGREEN_TOPICS)
    kept = _Stream()
    next_id = 1
    seen: set[str] | None = set() if distinct else None
    kinds_by_family: dict[str, dict] = {}
    for person in people:
        prng, erng = _person_rngs(seed, person)
        rnd = erng.random
        fb = _Reservoir(feedback_quota.get(person.id, 0))
        pr = _Reservoir(practice_quota.get(person.id, 0))
        family = _family_key(person.enterprise.industry)
        kinds = kinds_by_family.get(family)
        if kinds is None:
            kinds = kinds_by_family[family] = {role: _kinds(text.ACTIVITY_KINDS, role, family) for role in vocab.ROLES}
        trnd = random.Random(f"{seed}/entries/{person.id}").random
        ctx_pools = (pools[person.direction], kinds, hours, depts, topics, trnd, seen)
        book: dict[str, list] = {}
        shelf: dict[str, list] | None = {} if distinct else None
        cited: list = []
        for index, (monday, days, age) in enumerate(_weeks(person, prng, today)):
            n = base + (rnd() < extra)
            if 1 < n < max_per_week:  # a symmetric nudge keeps the mean and gives the odd busy week
                spread = rnd()
                n += (spread < 0.15) - (0.15 <= spread < 0.3)
            rows = _entries(person, monday, days, n, erng, ctx_pools, next_id, today)
            next_id += len(rows)
            for row in rows:
                activities_table.add(row)
                # Only finished weeks are cited: this week's entries may still be edited or deleted.
                if age < 1:
                    continue
                day = date.fromisoformat(row[2])
                if fb.k and row[4] in FEEDBACK_ROLES:
                    # Recent weeks weigh more: the loop is still running for what was raised lately.
                    weight = 8.0 if age <= 2 else 5.0 if age <= 8 else 1.0
                    fb.offer(rnd() ** (1 / weight), (day, row[0], row[4]))
                if pr.k and row[4] == "counsellor":
                    pr.offer(rnd(), (day, row[0]))
            review = _review(person, monday, age, erng, as_of)
            if review:
                reviews_table.add(review)
                if review[2] == "approved":  # counted into its months (inline: millions of rows at tier L)
                    for row in rows:
                        month = row[2][:7]
                        tally = book.get(month)
                        if tally is None:
                            tally = book[month] = [0] * (2 * len(vocab.ROLES))
                        i = ROLE_INDEX[row[4]]
                        tally[i] += 1
                        tally[i + 1] += row[7]
                        if shelf is not None:
                            shelf.setdefault(month, []).append(row)
            if age >= 1 and index % LINK_EVERY == LINK_EVERY // 2 and rows:
                row = rows[index % len(rows)]
                cited.append((row[2], row[0], row[4], row[10]))
        kept.feedback[person.id] = fb.items()
        kept.practices[person.id] = pr.items()
        kept.months[person.id] = book
        kept.links[person.id] = cited
        if shelf is not None:
            kept.entries[person.id] = shelf
    return kept


LINK_EVERY = 5  # one entry of every fifth logged week is where an objective may cite the log
ROLE_INDEX = {role: 2 * i for i, role in enumerate(vocab.ROLES)}  # a role's place in a month's tally


def _quotas(people, weeks: dict[int, int], total: int, weight) -> dict[int, int]:
    ids = [p.id for p in people]
    shares = _allocate(total, [weeks.get(p.id, 0) * weight(p) for p in people])
    return {pid: k for pid, k in zip(ids, shares) if k}


# --- feedback and its closed loop ---------------------------------------------------------------------------------

class _Loop:
    """One feedback item walked through the closed loop, with the bookkeeping of ``secondment.feedback``.

    A step that would happen at or after ``as_of`` does not happen, nor does anything after it: the item
    stays where it stood at the start of today. Actors are coded as participant id (> 0), minus a
    department id (< 0) for that department's liaison, or 0 for the organisation department's reviewer.
    """

    def __init__(self, item_id: int, created: datetime, dept: int, urgency: str, limits: dict, as_of: datetime,
                 raiser: int, ctx: _Slots, answers: tuple = (), seen: set | None = None):
        self.id, self.urgency, self.limits, self.as_of, self.ctx = item_id, urgency, limits, as_of, ctx
        self.answers, self.seen = answers, seen  # the item's kind of answer; answers given so far (the demo)
        self.status, self.dept, self.at = "submitted", dept, created
        self.due = workdays.LIBRARY.add_working_days(created.date(), self.limit(dept))
        self.accepted_at = self.answered_at = self.closed_at = None
        self.closed_by = self.close_reason = self.evaluation = self.answer = None
        self.extended = self.transfers = self.send_backs = self.escalated = 0
        self.stopped = False
        self.events = [(item_id, _utc(created), raiser, "raise", None, "submitted", None, dept, None,
                        self.due.isoformat())]

    def limit(self, dept: int) -> int:
        base = vocab.DEFAULT_TIME_LIMITS[self.urgency]
        own = self.limits.get(dept)
        if own:
            return min(own, base) if self.urgency == "urgent" else own
        return base

    def step(self, step: str, at: datetime, actor: int, note: str | None = None, **change) -> bool:
        at = max(at, self.at + timedelta(minutes=5))  # strictly after the previous step
        if self.stopped or at >= self.as_of:
            self.stopped = True
            return False
        to_status = vocab.FEEDBACK_TRANSITIONS[(step, self.status)]  # a KeyError is a bug in the script
        from_dept = self.dept
        if step == "accept":
            self.accepted_at = at
        elif step == "transfer":
            self.dept, self.accepted_at, self.extended = change["to"], None, 0
            self.transfers += 1
            self.due = workdays.LIBRARY.add_working_days(at.date(), self.limit(self.dept))
        elif step == "extend":
            self.due = workdays.LIBRARY.add_working_days(self.due, change["days"])
            self.extended += change["days"]
        elif step == "answer":
            self.answered_at, self.answer = at, note
        elif step == "send_back":
            self.evaluation, self.answered_at, self.extended = "unsatisfied", None, 0
            self.send_backs += 1
            self.due = workdays.LIBRARY.add_working_days(at.date(), self.limit(self.dept))
        elif step == "evaluate":
            self.evaluation, self.closed_at, self.closed_by = change["evaluation"], at, actor
        elif step == "escalate":
            self.escalated = 1
        elif step == "close_unresolved":
            self.closed_at, self.closed_by, self.close_reason = at, actor, note
        self.events.append((self.id, _utc(at), actor, step, self.status, to_status, from_dept, self.dept, note,
                            self.due.isoformat()))
        self.status, self.at = to_status, at
        return True


def _later(rng: random.Random, t: datetime, lo: int, hi: int) -> datetime:
    """A moment in working hours ``lo``–``hi`` working days after ``t`` (0: later the same day); ``hi``
    below ``lo`` (no time left before the due date) means ``lo``."""
    n = rng.randint(lo, max(lo, hi))
    day = workdays.LIBRARY.add_working_days(t.date(), n) if n else t.date()
    moment = datetime.combine(day, time(9)) + timedelta(minutes=rng.randrange(510))
    return moment if moment > t else t + timedelta(minutes=rng.randint(15, 120))


def _walk(rng: random.Random, loop: _Loop, raiser: int, targets: list[int], names: dict[int, str]) -> None:
    """The item's fate: misrouted and passed on, accepted, maybe extended, answered on time or late,
    sometimes sent back, escalated when it drags, rarely closed unresolved; then rated."""
    liaison = lambda: -loop.dept
    urgent = loop.urgency == "urgent"
    moves = rng.choices((0, 1, 2, 3), (86, 9, 3, 2))[0]
    for _ in range(moves):
        if rng.random() < 0.4:
            loop.step("accept", _later(rng, loop.at, 0, 1), liaison(), rng.choice(text.ACCEPT_NOTES))
        choices = [t for t in targets if t != loop.dept]
        if not choices:
            break
        to = rng.choice(choices)
        note = rng.choice(text.TRANSFER_NOTES).format(to=names[to])
        loop.step("transfer", _later(rng, loop.at, 1, 3), liaison(), note, to=to)
    if loop.transfers >= vocab.ESCALATE_AFTER_TRANSFERS:
        loop.step("escalate", _later(rng, loop.at, 0, 2), 0, text.ESCALATE_NOTES[0])
    # Some departments sit on an item before taking it on.
    backlog = rng.random() < 0.1
    loop.step("accept", _later(rng, loop.at, 3 if backlog else 0, 12 if backlog else (1 if urgent else 3)),
              liaison(), rng.choice(text.ACCEPT_NOTES))
    if rng.random() < 0.12:
        loop.step("extend", _later(rng, loop.at, 1, 4), liaison(), rng.choice(text.EXTEND_NOTES),
                  days=rng.choice((5, 10, 10, 15)))
    if rng.random() < 0.025:
        loop.step("close_unresolved", _later(rng, loop.at, 5, 20), 0, rng.choice(text.CLOSE_REASONS))
        return
    pace = rng.random()
    limit = max(1, workdays.LIBRARY.working_days_between(loop.at.date(), loop.due))
    slow = pace < 0.15
    if slow:  # late; a few drag on for months
        answer_at = _later(rng, loop.at, limit + 2, limit + (80 if pace < 0.05 else 30))
        if rng.random() < 0.5 and not loop.escalated:
            watch = datetime.combine(workdays.LIBRARY.add_working_days(loop.due, rng.randint(1, 2)), time(10))
            if watch < answer_at:
                loop.step("escalate", watch, 0, text.ESCALATE_NOTES[1])
    else:
        answer_at = _later(rng, loop.at, 1 if urgent else 2, max(1, min(limit, 3 if urgent else 12)))
    loop.step("answer", answer_at, liaison(), _answer(loop, answer_at, names))
    rounds = rng.choices((0, 1, 2), (90, 7, 3))[0]
    for _ in range(rounds):
        loop.step("send_back", _later(rng, loop.at, 1, 5), raiser, rng.choice(text.SEND_BACK_NOTES))
        if loop.send_backs >= vocab.ESCALATE_AFTER_SEND_BACKS and not loop.escalated:
            loop.step("escalate", _later(rng, loop.at, 0, 2), 0, text.ESCALATE_NOTES[2])
        again = _later(rng, loop.at, 3, 12)
        loop.step("answer", again, liaison(), _answer(loop, again, names))
    r = rng.random()
    if r < 0.02:
        loop.step("close_unresolved", _later(rng, loop.at, 5, 15), 0, rng.choice(text.CLOSE_REASONS))
    elif r < 0.04:
        return  # answered, never rated
    else:
        satisfied = rng.random() < 0.75
        loop.step("evaluate", _later(rng, loop.at, 1, 6), raiser,
                  rng.choice(text.SATISFIED_NOTES if satisfied else text.BASIC_NOTES),
                  evaluation="satisfied" if satisfied else "basically_satisfied")


def _answer(loop: _Loop, at: datetime, names: dict[int, str]) -> str:
    """The department's answer to this item, written on ``at`` by whoever holds it then: it takes up the item's
    own particulars (the post, the sum, the project) and names its officer and dates; after a send-back it says
    what was done again. Drawn from the text stream, so the item's history does not depend on it."""
    slots = loop.ctx
    rnd = slots.rnd
    day = at.date()

    def write(_attempt: int):
        slots.pop("officer", None)  # whoever handles it where it is now
        slots.update(to=names[loop.dept], adate=_md(day), later=_md(day + timedelta(days=_between(rnd, 10, 40))))
        answer = _pick(rnd, loop.answers).format_map(slots)
        if loop.send_backs:
            answer = _pick(rnd, text.FOLLOW_UPS).format_map(slots) + answer
        return (answer,)

    return _distinct(loop.seen, 12, write)[0]


def _walk_ins(rng: random.Random, people: list[Person], today: date) -> dict[int, list[date]]:
    """Items raised on their own, not from an entry, by people in post over the last six weeks: the loop
    is busiest now, and this keeps items at every open stage on the demo's ``today``."""
    first = today - timedelta(weeks=6)
    days = [first + timedelta(days=i) for i in range((today - first).days)]
    days = [d for d in days if d.weekday() < 5 and workdays.LIBRARY.is_workday(d)]
    out = {}
    for person in people:
        if person.status == "active":
            # (the leave test comes after the draw, so the stream does not move with the leave plan)
            picked = [d for d in days if d >= person.start
                      and rng.random() < WALK_IN_RATES[0 if (today - d).days <= 14 else 1]
                      and not (person.off and d in person.off)]
            if picked:
                out[person.id] = picked
    return out


def _feedback(rng: random.Random, people: list[Person], units: list[Unit], kept: _Stream,
              walk_ins: dict[int, list[date]], today: date, seed: int, distinct: bool = False):
    """Feedback rows (numbered in the order they were raised) and their event rows (actors still coded,
    see ``_Loop``). ``rng`` decides what happens to an item; its texts come from a stream of their own, and in
    the demo (``distinct``) no two items share a summary and no two answers are alike."""
    by_name = {u.name: u for u in units}
    by_street = {u.street: u for u in units if u.kind == "street_town"}
    routing = {category: by_name[name].id for category, name in ROUTING.items()}
    limits = {u.id: u.time_limit for u in units if u.time_limit}
    names = {u.id: u.name for u in units}
    as_of = datetime.combine(today, time())
    categories = {role: _pool(w) for role, w in CATEGORY_WEIGHTS.items()}
    sources = []
    for person in people:
        found = [(day, activity_id, role) for day, activity_id, role in kept.feedback.get(person.id, ())]
        found += [(day, None, DEFAULT_FEEDBACK_ROLE[person.direction]) for day in walk_ins.get(person.id, ())]
        for day, activity_id, role in found:
            created = datetime.combine(day, time(10)) + timedelta(minutes=rng.randrange(480))
            if created < as_of:
                sources.append((created, person.id, activity_id or 0, role, person))
    sources.sort(key=lambda s: s[:3])
    items, events = [], []
    trnd = random.Random(f"{seed}/feedback").random
    summaries: set[str] | None = set() if distinct else None
    answers: set[str] | None = set() if distinct else None
    kinds_by: dict[tuple[str, str], list] = {}
    for item_id, (created, _, activity_id, role, person) in enumerate(sources, start=1):
        category = rng.choice(categories[role])
        fields = {"n": rng.randint(2, 9), "m": rng.randint(10, 60), "month": created.month % 12 + 1,
                  "category": category}
        family = _family_key(person.enterprise.industry)
        summary, details, kind, ctx, category = _distinct(summaries, 120, _write_item, category, categories[role],
                                                          family, kinds_by, person, trnd, created.date(), fields,
                                                          keys=2)
        urgency = "urgent" if rng.random() < 0.15 else "normal"
        street = by_street.get(person.enterprise.street)
        targets = [street.id if t == "street" and street else by_name[t].id
                   for t in TRANSFER_TARGETS[category] if t != "street" or street]
        loop = _Loop(item_id, created, routing[category], urgency, limits, as_of, person.id, ctx, kind[2], answers)
        _walk(rng, loop, person.id, targets, names)
        items.append((item_id, person.id, activity_id or None, person.enterprise.id, role, category,
                      summary, details, urgency, loop.dept, loop.status,
                      _utc(created), _stamp(loop.accepted_at), _stamp(loop.answered_at),
                      _stamp(loop.closed_at), loop.due.isoformat(), loop.extended, loop.transfers,
                      loop.send_backs, loop.escalated, loop.answer, loop.evaluation, loop.closed_by,
                      loop.close_reason, _utc(loop.at)))
        events.extend(loop.events)
    return items, events, routing


def _write_item(attempt: int, category: str, others: list, family: str, kinds_by: dict, person: Person, trnd,
                day: date, fields: dict) -> tuple:
    """(summary, details, kind, fields, category) of one feedback item: a kind of ``category`` that occurs in a
    firm of ``family`` and its texts. From the 60th ``attempt`` on, when the firm has raised everything of the
    category already, a category of ``others`` (from the text stream, so the main stream does not move)."""
    if attempt >= 60:
        category = _pick(trnd, others)
    kinds = kinds_by.get((category, family))
    if kinds is None:
        kinds = kinds_by[(category, family)] = _kinds(text.FEEDBACK_KINDS, category, family)
    kind = _pick(trnd, kinds)
    slots = _Slots(person.ctx, trnd, day, person.family, **{**fields, "category": category})
    return (_pick(trnd, kind[0]).format_map(slots), _pick(trnd, kind[1]).format_map(slots), kind, slots,
            category)


def _stamp(moment: datetime | None) -> str | None:
    return _utc(moment) if moment else None


# --- practices ----------------------------------------------------------------------------------------------------

class _Ideas:
    """Hands out practice ideas (``text.PRACTICE_IDEAS``) in a shuffled order: an unused one of the firm's own
    kind of workplace first, then an unused one that suits any firm. Once all are used (only the benchmark
    tiers get that far) ideas come round again, never twice for one enterprise."""

    def __init__(self, rnd):
        self.order = list(range(len(text.PRACTICE_IDEAS)))
        for i in range(len(self.order) - 1, 0, -1):  # Fisher–Yates on the text stream
            j = int(rnd() * (i + 1))
            self.order[i], self.order[j] = self.order[j], self.order[i]
        self.used: set[int] = set()

    def take(self, family: str, ent: str, titles: set[str]) -> tuple | None:
        """An idea for a practice of ``ent`` (of ``family``) whose title is not in ``titles`` yet."""
        fits = [i for i in self.order if text.PRACTICE_IDEAS[i][1] in (family, None)]
        fresh = [i for i in fits if i not in self.used]
        own = [i for i in fresh if text.PRACTICE_IDEAS[i][1] == family]
        for i in own + fresh + fits:
            if ent + text.PRACTICE_IDEAS[i][0] not in titles:
                self.used.add(i)
                return text.PRACTICE_IDEAS[i]
        return None


def _practice_text(idea: tuple, person: Person, rnd) -> tuple[str, str]:
    """Title (the enterprise and the idea's name) and summary of one practice, with numbers of its own."""
    name, _, summary = idea
    members = person.ctx["members"]
    p1 = _between(rnd, 40, 65)
    slots = _Slots(person.ctx, rnd, person.start, person.family, year=person.start.year,
                   a=_between(rnd, 3, max(3, min(8, members - 1))), b=_between(rnd, 10, 40), c=_between(rnd, 2, 5),
                   p1=p1, p2=min(98, p1 + _between(rnd, 15, 30)))
    return person.ctx["ent"] + name, summary.format_map(slots)


def _practices(rng: random.Random, people: list[Person], kept: _Stream, today: date, seed: int) -> list[tuple]:
    """Practices distilled from counsellor entries, numbered in the order they were proposed; older ones
    have gone further (reviewed, promoted). Each is its own idea told about its own enterprise (``_Ideas``);
    the texts come from a stream of their own."""
    as_of = datetime.combine(today, time())
    trnd = random.Random(f"{seed}/practices").random
    ideas = _Ideas(trnd)
    titles: set[str] = set()
    rows = []
    for person in people:
        for day, activity_id in kept.practices.get(person.id, ()):
            created = datetime.combine(day + timedelta(days=rng.randint(3, 20)), time(10)) \
                + timedelta(minutes=rng.randrange(420))
            idea = ideas.take(_family_key(person.enterprise.industry), person.ctx["ent"], titles) \
                if created < as_of else None
            if idea is None:
                continue
            title, summary = _practice_text(idea, person, trnd)
            titles.add(title)
            age = (today - created.date()).days
            weights = (15, 35, 50) if age > 365 else (30, 40, 30) if age > 90 else (60, 30, 10)
            target = rng.choices(vocab.PRACTICE_STATUSES, weights)[0]
            reviewed = promoted = None
            if target != "draft":
                moment = created + timedelta(days=rng.randint(10, 40), minutes=rng.randrange(240))
                reviewed = moment if moment < as_of else None
            if target == "promoted" and reviewed:
                moment = reviewed + timedelta(days=rng.randint(20, 90), minutes=rng.randrange(240))
                promoted = moment if moment < as_of else None
            status = "promoted" if promoted else "reviewed" if reviewed else "draft"
            rows.append((_utc(created), title, summary, person.id,
                         person.enterprise.id, activity_id, status, person.user_id, _utc(created),
                         REVIEWER_ID if reviewed else None, _stamp(reviewed), REVIEWER_ID if promoted else None,
                         _stamp(promoted), _utc(promoted or reviewed or created)))
    rows.sort(key=lambda r: (r[0], r[5]))
    return [(i,) + row[1:] for i, row in enumerate(rows, start=1)]


# --- accounts -----------------------------------------------------------------------------------------------------

def _link_accounts(people: list[Person]) -> tuple[Person, Person | None]:
    """Gives the people behind demo_secondee / demo_talent and everyone else in post their user ids.

    demo_secondee is the cadre in post with the longest history; demo_talent a talent in post."""
    active = [p for p in people if p.status == "active"]
    cadres = sorted((p for p in active if p.direction == vocab.CADRE), key=lambda p: (p.start, p.id))
    talents = sorted((p for p in active if p.direction == vocab.TALENT), key=lambda p: (p.start, p.id))
    if not cadres:
        raise RuntimeError("the programme has no cadre in post; the demo needs one for demo_secondee")
    secondee, talent = cadres[0], (talents[0] if talents else None)
    secondee.user_id = SECONDEE_ID
    if talent:
        talent.user_id = TALENT_ID
    next_id = FIRST_PARTICIPANT_USER_ID
    for person in active:
        if person.user_id is None:
            person.user_id = next_id
            next_id += 1
    return secondee, talent


def _accounts(rng, people, secondee, talent, liaisons: list[Unit], password_hash: str, since: date,
              others: list[Unit] = (), seed: str = "") -> list[tuple]:
    """The demo's accounts: one per role to try (``demo_*``), one per secondee of the current batches, and a
    liaison for each of ``others`` (the other departments the routing catalogue sends items to, so that no
    item waits where nobody can accept it); those are not offered for one-click entry."""
    names = _Names(rng)
    stamp = _utc(datetime.combine(since, time(9)))

    def row(uid, username, display, role, participant=None, department=None, created=stamp):
        return (uid, username, display, role, participant, department, password_hash, 1, "zh", 0, None,
                created, created)

    rows = [row(ADMIN_ID, "demo_admin", text.STAFF_TITLES["admin"], "admin"),
            row(REVIEWER_ID, "demo_reviewer", f"{text.STAFF_TITLES['reviewer']} {names('female')}", "reviewer"),
            row(VIEWER_ID, "demo_viewer", text.STAFF_TITLES["viewer"], "viewer")]
    for uid, username, person in ((SECONDEE_ID, "demo_secondee", secondee), (TALENT_ID, "demo_talent", talent)):
        if person:
            rows.append(row(uid, username, person.name, "secondee", participant=person.id,
                            created=_utc(datetime.combine(person.start, time(9)))))
    for uid, username, unit in zip((LIAISON_ID, LIAISON2_ID), ("demo_liaison", "demo_liaison2"), liaisons):
        rows.append(row(uid, username, f"{unit.name}联络员 {names(rng.choice(vocab.GENDERS))}", "liaison",
                        department=unit.id))
    for person in people:
        if person.user_id and person.user_id >= FIRST_PARTICIPANT_USER_ID:
            rows.append(row(person.user_id, f"p{person.id}", person.name, "secondee", participant=person.id,
                            created=_utc(datetime.combine(person.start, time(9)))))
    more = _Names(random.Random(f"{seed}/liaisons"))   # a stream of its own: the rest of the demo does not move
    next_id = max(r[0] for r in rows) + 1
    for n, unit in enumerate(others):
        rows.append(row(next_id + n, f"liaison{unit.id}", f"{unit.name}联络员 {more(more.rng.choice(vocab.GENDERS))}",
                        "liaison", department=unit.id))
    return rows


def _pick_liaisons(items: list[tuple], events: list[tuple], units: list[Unit]) -> list[Unit]:
    """The department that holds the most feedback, and the one that received the most transfers."""
    by_id = {u.id: u for u in units}
    held = Counter(row[9] for row in items)
    first = held.most_common(1)[0][0] if held else next(u.id for u in units if u.kind == "party_org")
    received = Counter(e[7] for e in events if e[3] == "transfer" and e[7] != first)
    second = received.most_common(1)[0][0] if received else next(
        u.id for u in units if u.kind == "government_department" and u.id != first)
    return [by_id[first], by_id[second]]


def _with_users(rows: list[tuple], table: str, column: str, user_of: dict[int, int], liaison_of: dict[int, int]):
    """``rows`` with the coded actor in ``column`` (see ``_Loop``) replaced by that demo account's id, or
    None where the actor has no account (people of past batches, departments without a liaison)."""
    at = COLUMNS[table].index(column)
    for row in rows:
        code = row[at]
        if code is None:
            user = None
        elif code == 0:
            user = REVIEWER_ID
        else:
            user = user_of.get(code) if code > 0 else liaison_of.get(-code)
        yield row[:at] + (user,) + row[at + 1:]


# --- the stint lifecycle ------------------------------------------------------------------------------------------
#
# Agreements and their objectives, declarations, monthly self-checks, site visits and their follow-up actions,
# leave, the end-of-stint assessment (and the host contact's link) and the return, in the shape the services
# write them (secondment.agreements, stint, leave, assessment). Past stints went through every step, each in its
# time; the stints running on ``today`` are part-way, with what a reviewer still has to do. Nothing happens on or
# after ``today``. The lifecycle has streams of its own, so the rest of the demo does not move with it.
#
# A moment is (day, minutes after midnight, China time, in working hours): it has happened when its day is before
# ``today``, and its stamp is written straight from it (``_st``). The benchmark's tier L has a few hundred thousand
# of these rows, so they are made without datetime arithmetic.

REQUIRED_DECLARATIONS_KEY = roster.REQUIRED_DECLARATIONS_KEY
REQUIRED_DECLARATIONS = ("integrity", "confidentiality")
LEAVE_RULES = {name: default for name, (default, _, _) in notify.RULES.items()}
# Working days of one request: mostly a day or three (the host unit decides), some a week (the organisation
# department), rarely longer (the higher organisation department).
LEAVE_LENGTHS = {1: 30, 2: 22, 3: 14, 4: 6, 5: 10, 6: 4, 7: 4, 9: 2, 12: 1, 15: 1}
LEAVE_KINDS_BY_LENGTH = (({"personal": 45, "sick": 35, "annual": 15, "other": 5}, 3),
                         ({"annual": 50, "sick": 20, "family": 20, "personal": 10}, 7),
                         ({"family": 50, "sick": 50}, 999))
OBJECTIVES_PER_ROLE = {1: 40, 2: 45, 3: 15}
PER_ROLE_POOL = _pool(OBJECTIVES_PER_ROLE)
DAY = timedelta(days=1)
DAYS = tuple(timedelta(days=i) for i in range(120))
_CLOCK = {m: f"T{(m - 480) // 60:02d}:{m % 60:02d}:00Z" for m in range(480, 1440)}  # China 8:00–23:59 as UTC
_ISO: dict[date, str] = {}


def _st(day: date, minutes: int) -> str:
    """The UTC stamp of ``minutes`` (8:00–23:59, China time) on ``day``: what ``_utc`` gives for that moment."""
    iso = _ISO.get(day)
    if iso is None:
        iso = _ISO[day] = day.isoformat()
    return iso + _CLOCK[minutes]


def _noon(day: date) -> str:
    """A party's agreement recorded for a day, as ``agreements.agree(on=...)`` stamps it (noon, China time)."""
    return f"{day.isoformat()}T04:00:00Z"


def _workday_before(day: date) -> date:
    while day.weekday() >= 5 or not workdays.LIBRARY.is_workday(day):
        day -= DAY
    return day


def _month_end(day: date, months: int) -> date:
    """The last day of the month ``months`` after ``day``'s month."""
    return _add_months(day.replace(day=1), months + 1) - DAY


def _current_roles(people: list[Person], today: date, seed: int, keep: set[int]) -> dict[int, str]:
    """In each batch in post, the few people whose stint is not in order yet: an amendment awaiting agreement
    (``amend``), an agreement the organisation department has not signed (``draft``), a leave request waiting for
    its decision (``pending``), and in a cadre batch a declaration not handed in (``undeclared``). Not the people
    behind the demo accounts, whose stints are in order."""
    rng = random.Random(f"{seed}/lifecycle-roles")
    by_batch: dict[int, list[Person]] = {}
    for person in people:
        if person.status == "active" and person.id not in keep and person.batch.start <= today <= person.batch.end:
            by_batch.setdefault(person.batch.id, []).append(person)
    out = {}
    for batch_id in sorted(by_batch):
        pool = by_batch[batch_id]
        wanted = ["amend", "pending", "draft"] + (["undeclared"] if pool[0].direction == vocab.CADRE else [])
        for person, role in zip(rng.sample(pool, min(len(pool), len(wanted))), wanted):
            out[person.id] = role
    return out


def _leave_end(start: date, length: int) -> date:
    """The last day of ``length`` working days of leave from ``start`` (a working day)."""
    return start if length <= 1 else workdays.LIBRARY.add_working_days(start, length - 1)


def _plan_leave(people: list[Person], today: date, seed: int, secondee: Person, roles: dict[int, str]) -> None:
    """Each person's leave requests (``person.leave``) and days of approved leave (``person.off``), planned before
    the log is written. A few requests a year, one in each stretch of the stint; mostly approved, a few refused or
    withdrawn. People in post may have one waiting for a decision or approved for the weeks ahead; demo_secondee
    took a whole week of annual leave a few weeks ago (the coverage map shows it).

    A request is (kind, first day, last day, working days, approver, status, asked, decided, back on), ``asked``
    and ``decided`` moments. Each starts on a working day and lasts ``length`` working days, so its ``days`` are
    ``leave.working_days`` of it by construction."""
    rnd = random.Random(f"{seed}/leave").random
    lengths = _pool(LEAVE_LENGTHS)
    kinds = [(_pool(weights), most) for weights, most in LEAVE_KINDS_BY_LENGTH]
    approver = {n: leave.approver_for(n, LEAVE_RULES) for n in range(1, 31)}
    this_monday = _monday(today)

    def kind_for(length: int) -> str:
        return _pick(rnd, next(pool for pool, most in kinds if length <= most))

    for person in people:
        if person.status == "planned":
            continue
        plans: list[tuple] = []
        if person is secondee:
            for age in sorted(range(3, 11), key=lambda _: rnd()):
                monday = this_monday - timedelta(weeks=age)
                if (monday >= person.start and len(_week_workdays(monday)) == 5
                        and not any(workdays.LIBRARY.is_workday(monday + timedelta(days=d)) for d in (5, 6))):
                    asked = monday - timedelta(days=7 + int(rnd() * 7))
                    plans.append(("annual", monday, monday + timedelta(days=4), 5, approver[5], "approved",
                                  (asked, 540 + int(rnd() * 480)), (asked + DAY, 600 + int(rnd() * 420)),
                                  workdays.LIBRARY.add_working_days(monday + timedelta(days=4), 1)))
                    break
        first = person.start
        last = person.end if person.status != "active" else min(person.end, today - timedelta(days=3))
        span = (last - first).days
        count = int(span / 365 * (1.5 + 2 * rnd()) + rnd()) if span > 30 else 0
        for i in range(count):
            lo = first + timedelta(days=span * i // count)
            hi = first + timedelta(days=span * (i + 1) // count - 1)
            start = _first_workday(lo + timedelta(days=int(rnd() * max(1, (hi - lo).days - 3))))
            length = _pick(rnd, lengths)
            end = _leave_end(start, length)
            if end > hi or any(start <= p[2] and end >= p[1] for p in plans):
                continue
            kind = kind_for(length)
            r = rnd()
            status = "approved" if r < 0.88 else "rejected" if r < 0.94 else "cancelled"
            if kind == "sick" and length <= 3:  # phoned in on the morning
                asked = (start, 480 + int(rnd() * 60))
                decided = (start, asked[1] + 30 + int(rnd() * 180))
            else:
                ask_day = start - timedelta(days=2 + int(rnd() * 9))
                asked = (ask_day, 540 + int(rnd() * 480))
                decided = (ask_day + timedelta(days=int(rnd() * 2)), 600 + int(rnd() * 420))
                if decided <= asked:
                    decided = (ask_day, asked[1] + 60)
            back_on = None
            if status == "approved" and rnd() < 0.9:
                back = workdays.LIBRARY.add_working_days(end, 1)
                back_on = back if back < today else None
            plans.append((kind, start, end, length, approver[length], status, asked,
                          None if status == "cancelled" else decided, back_on))
        if person.status == "active":
            ahead = [("pending", 2, 20)] if roles.get(person.id) == "pending" or rnd() < 0.12 else []
            if rnd() < 0.15:
                ahead.append(("approved", 22, 45))
            for status, lo, hi in ahead:
                start = _first_workday(today + timedelta(days=lo + int(rnd() * (hi - lo))))
                length = min(_pick(rnd, lengths), 5)
                end = _leave_end(start, length)
                if end > person.end or any(start <= p[2] and end >= p[1] for p in plans):
                    start = end = _first_workday(today + timedelta(days=2))
                    length = 1
                    if end > person.end or any(start <= p[2] and end >= p[1] for p in plans):
                        continue
                asked = (_workday_before(today - timedelta(days=1 + int(rnd() * 3))), 540 + int(rnd() * 420))
                decided = (asked[0], asked[1] + 60 + int(rnd() * 120)) if status == "approved" else None
                kind = kind_for(length)
                if kind == "sick":  # sick leave is not asked for weeks ahead
                    kind = "annual" if length > 3 else "personal"
                plans.append((kind, start, end, length, approver[length], status, asked, decided, None))
        plans.sort(key=lambda p: p[1])
        person.leave = plans
        off = set()
        for p in plans:
            if p[5] == "approved":
                off.update(p[1] + timedelta(days=i) for i in range((p[2] - p[1]).days + 1))
        person.off = off or None


DRAFT_ROLE_KEY = "stint.draft_role"  # how ``stint.entries_text`` heads each role


def _has_draft_key() -> bool:
    return DRAFT_ROLE_KEY in i18n.catalogue("zh")


@lru_cache(maxsize=16384)
def _role_line(role: str, n: int, hours: float) -> str:
    """One role's line of a self-check drafted from counts (the benchmark tiers): as ``stint.entries_text`` heads
    each role, in the catalogue's words when it has them."""
    if _has_draft_key():
        return i18n.translate("zh", DRAFT_ROLE_KEY, role=vocab.label("role", role), n=n, hours=f"{hours:g}")
    return f"{vocab.label('role', role)}：{n}条，{hours:g}小时"


ROLE_SLOTS = {d: tuple((role, ROLE_INDEX[role]) for role in roles) for d, roles in vocab.ROLES_BY_DIRECTION.items()}


def _checkin_summary(tally: list | None, shelf: list | None, direction: str = vocab.CADRE) -> str:
    """The month's self-check as the app drafts it from the approved entries (``stint.checkin_draft``): in the demo
    each entry's date, title and outcome, grouped by role; in the benchmark tiers the count and hours per role."""
    if shelf:
        entries = [{"date": r[2], "role": r[4], "title": r[5], "outcome": r[8], "hours": r[7]}
                   for r in sorted(shelf, key=lambda r: (r[2], r[0]))]
        if _has_draft_key():
            return stint.entries_text(entries, "zh")
        lines = []
        for role in vocab.ROLES:
            mine = [e for e in entries if e["role"] == role]
            if mine:
                lines.append(_role_line(role, len(mine), sum(e["hours"] for e in mine)))
                lines.extend(f"- {e['date']} {e['title']}" + (f" — {e['outcome']}" if e["outcome"] else "")
                             for e in mine)
                lines.append("")
        return "\n".join(lines).strip()
    if tally:
        return "\n".join([_role_line(role, tally[i], tally[i + 1]) for role, i in ROLE_SLOTS[direction] if tally[i]])
    return text.CHECKIN_EMPTY


def _fill(template: str | None, person: Person, rnd, day: date, **fields) -> str | None:
    return None if template is None else template.format_map(_Slots(person.ctx, rnd, day, person.family, **fields))


def _signatory(rnd, kind: str) -> str:
    return f"{_name(rnd)}（{_pick(rnd, text.SIGNATORY_TITLES[kind])}）"


def _section_post(office: str, rank: str) -> str:
    """A post in a section of a department: 企业服务科科长, 办公室主任 (an office is headed by a 主任)."""
    if office == "办公室":
        rank = rank.replace("科长", "主任")
    return office + rank


class _Lifecycle:
    """The lifecycle's rows, table by table (``LIFECYCLE_TABLES``), written person by person (``add``)."""

    def __init__(self, people: list[Person], kept: _Stream, items: list[tuple], practice_rows: list[tuple],
                 units: list[Unit], today: date, seed: int, roles: dict[int, str], distinct: bool):
        self.rnd = random.Random(f"{seed}/lifecycle").random
        self.bits = random.Random(f"{seed}/lifecycle-bits").getrandbits
        self.trnd = random.Random(f"{seed}/lifecycle-text").random
        self.today, self.seed, self.roles, self.kept, self.distinct = today, seed, roles, kept, distinct
        self.slots: _Slots | None = None
        self.rows: dict[str, list] = {name: [] for name in LIFECYCLE_TABLES}
        self.counters = {name: itertools.count(1) for name in LIFECYCLE_TABLES}
        self.depts = [u.name for u in units if u.kind == "government_department"]
        self.secondee = next((p for p in people if p.user_id == SECONDEE_ID), None)
        self.feedback_of: dict[int, list] = {}
        for item in items:
            self.feedback_of.setdefault(item[1], []).append((item[0], item[4], item[11]))
        self.practices_of: dict[int, list] = {}
        for row in practice_rows:
            self.practices_of.setdefault(row[3], []).append((row[0], row[8]))
        # a month -> (months before today's, the next month's first day, days from it to today, its first days
        # as ISO text): a self-check is written, handed in and acknowledged in the first days of the next month
        self.months: dict[str, tuple] = {}
        self.spans: dict[tuple, list[str]] = {}
        self.this_month = today.year * 12 + today.month
        self.due_passed = today.day > LEAVE_RULES["checkin_due_day"]

    def id(self, table: str) -> int:
        return next(self.counters[table])

    def fill(self, template: str | None, person: Person, day: date, **fields) -> str | None:
        """A template filled for ``person``: in the demo with numbers (and the like) of its own; in the benchmark
        tiers from one set of fields per person (``self.slots``), drawn once: their texts may repeat themselves."""
        if template is None:
            return None
        if self.distinct:
            return _fill(template, person, self.trnd, day, **fields)
        slots = self.slots
        if fields:
            slots.update(fields)
        return template.format_map(slots)

    def begin(self, person: Person) -> None:
        if not self.distinct:
            self.slots = _Slots(person.ctx, self.trnd, person.start, person.family)

    def add(self, person: Person) -> None:
        role = self.roles.get(person.id)
        self.begin(person)
        working = self.agreement(person, role)
        self.links(person, working)
        self.declarations(person, role)
        self.checkins(person)
        if person.status != "planned":
            self.visits(person)
        self.leave(person)
        if person.status == "completed":
            self.assessment(person, working)
        elif person.status == "withdrawn" and person.direction == vocab.CADRE:
            self.withdrawn_return(person)

    # -- the agreement, sometimes amended once -----------------------------------------------------------------

    def objectives(self, person: Person, start: date, end: date) -> list[dict]:
        """1–3 objectives under each role of the direction, each with its target and a due date inside the period:
        the first of a role's due part-way through, the last at the end."""
        rnd, trnd = self.rnd, self.trnd
        out = []
        months = max(1, round((end - start).days / 30.4))
        per_role = PER_ROLE_POOL
        for role in vocab.ROLES_BY_DIRECTION[person.direction]:
            options = list(text.OBJECTIVES[role])
            k = min(len(options), _pick(rnd, per_role))
            for i in range(k):
                j = i + int(trnd() * (len(options) - i))
                options[i], options[j] = options[j], options[i]
                what, target = options[i]
                due = min(end, _month_end(start, max(1, round(months * (i + 1) / k)) - 1))
                due = max(due, start)
                out.append({"role": role, "text": self.fill(what, person, start),
                            "target": self.fill(target, person, start), "due": due, "due_iso": due.isoformat(),
                            "lineage": None,
                            "status": None, "status_at": None, "spare": options[k:], "origin": None, "new": False})
        return out

    def judge(self, objective: dict, person: Person, until: date) -> None:
        """The reviewer's judgement of an objective as of ``until``: done when due before it, mostly; on track
        for some not yet due. Unjudged ones are left to the data's suggestion (None)."""
        rnd = self.rnd
        due = objective["due"]
        r = rnd()
        if person.status == "completed" and until >= person.end:
            status = "done" if r < 0.88 else "at_risk" if r < 0.92 else None
        elif due <= until:
            reached = person.status != "withdrawn" or due <= person.end
            status = ("done" if r < 0.7 else "at_risk" if r < 0.85 else None) if reached else None
        else:
            status = "on_track" if r < 0.3 and person.status == "active" else None
        if status is None:
            return
        day = min(until, due + timedelta(days=int(rnd() * 20))) if status != "on_track" \
            else until - timedelta(days=int(rnd() * 30))
        day = max(day, person.start)
        if day < self.today:
            objective["status"], objective["status_at"] = status, _st(day, 900 + int(rnd() * 120))

    def agreement(self, person: Person, role: str | None) -> dict:
        """Version 1 drafted a few weeks before the start and agreed by the three parties around it; sometimes
        amended months later (an objective added), the amendment agreed and version 1 superseded. In the batches
        in post a few are not in order yet (``_current_roles``). Returns the working version."""
        rnd, trnd, today = self.rnd, self.trnd, self.today
        start = person.start
        period_end = person.batch.end if person.status == "withdrawn" else person.end
        objectives = self.objectives(person, start, period_end)
        if person.status == "planned":
            created = (today - timedelta(days=3 + int(rnd() * 8)), 540 + int(rnd() * 480))
        else:
            created = (start - timedelta(days=10 + int(rnd() * 16)), 600 + int(rnd() * 360))
        parties = {"home": start - timedelta(days=int(rnd() * 9)), "host": start - timedelta(days=int(rnd() * 7)),
                   "org": start + timedelta(days=int(rnd() * 16))}
        if person.status == "planned":  # chosen lately: the home unit has signed, the others not yet
            signed = {"home": created[0] + DAY} if created[0] + DAY < today else {}
        elif role == "draft":           # the organisation department has not signed yet
            signed = {k: v for k, v in parties.items() if k != "org"}
        else:
            signed = parties
        agreed = len(signed) == len(vocab.PARTIES)
        versions = [{"status": "agreed" if agreed else "draft", "created": created, "signed": signed,
                     "agreed": max(signed.values()) if agreed else None, "objectives": objectives, "notes": None,
                     "superseded": None}]
        amend = None
        if role == "amend":
            amend = (today - timedelta(days=3 + int(rnd() * 12)), 540 + int(rnd() * 480))
        elif person.status in ("completed", "active") and rnd() < 0.15:
            day = start + timedelta(days=120 + int(rnd() * 150))
            if day + timedelta(days=25) < min(today, person.end):
                amend = (day, 600 + int(rnd() * 300))
        if amend is not None and agreed:
            until = amend[0]
            for o in objectives:
                self.judge(o, person, until)
            carried = [dict(o, origin=o) for o in objectives]
            open_roles = [o for o in objectives if o["spare"] and o["due"] > until]
            if open_roles:  # an objective added under a role that still has work ahead
                base = _pick(trnd, open_roles)
                what, target = _pick(trnd, base["spare"])
                due = min(period_end, max(until + timedelta(days=60), base["due"]))
                carried.insert(max(i for i, o in enumerate(carried) if o["role"] == base["role"]) + 1, {
                    "role": base["role"], "text": self.fill(what, person, until),
                    "target": self.fill(target, person, until), "due": due, "due_iso": due.isoformat(),
                    "lineage": None,
                    "status": None, "status_at": None, "spare": (), "origin": None, "new": True})
            notes = _pick(trnd, text.AMENDMENT_NOTES)
            if role == "amend":  # awaiting agreement; the home unit may have signed
                sign = {"home": until + DAY} if until + DAY < today and rnd() < 0.5 else {}
                versions.append({"status": "draft", "created": amend, "signed": sign, "agreed": None,
                                 "objectives": carried, "notes": notes, "superseded": None})
            else:
                sign = {k: until + timedelta(days=3 + int(rnd() * 18)) for k in vocab.PARTIES}
                versions[0]["status"], versions[0]["superseded"] = "superseded", max(sign.values())
                versions.append({"status": "agreed", "created": amend, "signed": sign, "agreed": max(sign.values()),
                                 "objectives": carried, "notes": notes, "superseded": None})
        working = versions[-1]
        if working["status"] == "agreed":
            for o in working["objectives"]:
                o["status"] = o["status_at"] = None
                self.judge(o, person, min(today - DAY, period_end + timedelta(days=20)))
        cadre = person.direction == vocab.CADRE
        kinds = {"home": "department" if cadre else "enterprise", "host": "enterprise" if cadre else "department",
                 "org": "org"}
        names = {k: _signatory(trnd, kinds[k]) for k in vocab.PARTIES}
        agreements, parties_rows, objective_rows = (self.rows["agreements"], self.rows["agreement_parties"],
                                                    self.rows["objectives"])
        for number, version in enumerate(versions, start=1):
            agreement_id = self.id("agreements")
            signed = version["signed"]
            updated = (_noon(version["superseded"]) if version["superseded"] else
                       _noon(max(signed.values())) if signed else _st(*version["created"]))
            agreements.append((
                agreement_id, person.id, number, version["status"], person.home.id, person.host.id, person.post,
                start.isoformat(), period_end.isoformat(), version["notes"],
                _noon(version["agreed"]) if version["agreed"] else None, REVIEWER_ID, _st(*version["created"]),
                updated))
            for party in vocab.PARTIES:
                if party in signed:
                    parties_rows.append((agreement_id, party, names[party], REVIEWER_ID, _noon(signed[party])))
            for position, o in enumerate(version["objectives"], start=1):
                objective_id = self.id("objectives")
                # An objective keeps the id of its first version (its lineage) through amendments.
                origin = o["origin"]
                lineage = o["lineage"] = (origin["lineage"] if origin else None) or objective_id
                objective_rows.append((objective_id, agreement_id, lineage, position, o["role"], o["text"],
                                       o["target"], o["due_iso"], o["status"],
                                       REVIEWER_ID if o["status"] else None, o["status_at"]))
        working["created_day"] = working["created"][0].isoformat()
        return working

    # -- work linked to the objectives ---------------------------------------------------------------------------

    def link_stamp(self, stamp: str) -> str:
        """A moment a few days after ``stamp`` and before today (never before ``stamp``)."""
        day = min(date.fromisoformat(stamp[:10]) + timedelta(days=int(self.rnd() * 15)), self.today - DAY)
        return max(_st(day, 960 + int(self.rnd() * 120)), stamp)

    def links(self, person: Person, working: dict) -> None:
        """2–6 of the person's entries (of finished weeks) under an objective of their role (the first due after
        the entry), and sometimes a feedback item or a practice."""
        rnd, pid = self.rnd, person.id
        by_role: dict[str, list] = {}
        for o in working["objectives"]:
            by_role.setdefault(o["role"], []).append(o)
        linker = person.user_id or REVIEWER_ID
        out = self.rows["objective_links"]
        cited = self.kept.links.get(pid, ())
        if cited:
            count = min(len(cited), 2 + int(rnd() * 5))
            order = list(range(len(cited)))
            for i in range(count):  # the first ``count`` of a shuffle
                j = i + int(rnd() * (len(order) - i))
                order[i], order[j] = order[j], order[i]
            for day_text, activity_id, entry_role, created_at in (cited[i] for i in sorted(order[:count])):
                options = [o for o in by_role.get(entry_role, ())
                           if not (o["new"] and day_text < working["created_day"])]
                if options:
                    target = next((o for o in options if o["due_iso"] >= day_text), options[-1])
                    out.append((self.id("objective_links"), target["lineage"], pid, "activity", activity_id, linker,
                                self.link_stamp(created_at)))
        mine = self.feedback_of.get(pid)
        if mine and rnd() < 0.35:
            item_id, item_role, raised = _pick(rnd, mine)
            if by_role.get(item_role):
                out.append((self.id("objective_links"), by_role[item_role][-1]["lineage"], pid, "feedback", item_id,
                            linker, self.link_stamp(raised)))
        ideas = self.practices_of.get(pid)
        if ideas and by_role.get("counsellor") and rnd() < 0.5:
            practice_id, proposed = _pick(rnd, ideas)
            out.append((self.id("objective_links"), by_role["counsellor"][-1]["lineage"], pid, "practice",
                        practice_id, linker, self.link_stamp(proposed)))

    # -- declarations, a few days before the start ----------------------------------------------------------------

    def declarations(self, person: Person, role: str | None) -> None:
        rnd, trnd = self.rnd, self.trnd
        if person.start > self.today:   # chosen lately: signed these days
            signed = self.today - timedelta(days=1 + int(rnd() * 5))
        else:
            signed = person.start - timedelta(days=2 + int(rnd() * 5))
        out = self.rows["declarations"]
        for kind in vocab.DECLARATIONS:
            if role == "undeclared" and kind == "confidentiality":
                continue
            note = None
            if kind == "conflict" and rnd() < 0.3:
                note = self.fill(_pick(trnd, text.DECLARATION_NOTES[person.direction]), person, signed)
            out.append((self.id("declarations"), person.id, kind, signed.isoformat(), note, REVIEWER_ID,
                        _st(signed, 600 + int(rnd() * 420))))

    # -- monthly self-checks ------------------------------------------------------------------------------------

    def checkins(self, person: Person) -> None:
        """A self-check for each finished month of the stint (``stint.months_of``), written in the first days of the
        next month from the month's approved entries, handed in, and acknowledged by the reviewer a few days
        later. A past stint may lack one month; last month's may still be a draft or not written, rarely once it
        is due."""
        rnd, today = self.rnd, self.today
        closed = min(person.end, today.replace(day=1) - DAY)
        if person.start > closed:
            return
        span = (person.start.year, person.start.month, closed.year, closed.month)
        months = self.spans.get(span)
        if months is None:  # a batch's people share their months
            months = self.spans[span] = workdays.months_between(person.start, closed)
        tallies = self.kept.months.get(person.id, {})
        shelf = self.kept.entries.get(person.id, {}) if self.distinct else {}
        gap = months[int(rnd() * len(months))] if person.status != "active" and rnd() < 0.08 else None
        shares = (0.55, 0.85, 0.93) if self.due_passed else (0.35, 0.4, 0.7)  # submitted, acknowledged, draft
        secondee = person is self.secondee
        plans = text.NEXT_PLANS[person.direction]
        written_plans: dict[str, str] = {}
        out = self.rows["checkins"]
        known, clock = self.months, _CLOCK
        next_id = self.counters["checkins"].__next__
        bits_of = self.bits
        role_slots, comments, line = ROLE_SLOTS[person.direction], text.CHECKIN_COMMENTS, _role_line
        for month in months:
            if month == gap:
                continue
            info = known.get(month)
            if info is None:
                year, number = int(month[:4]), int(month[5:])
                following = _add_months(date(year, number, 1), 1)
                info = known[month] = (self.this_month - year * 12 - number, following, (today - following).days,
                                       [(following + DAYS[i]).isoformat() for i in range(16)])
            age, following, room, isos = info
            # One draw decides the month (bits: state, days after the month's end it was written, handed in and
            # acknowledged, the minutes of each, whether a plan is written and which, the reviewer's comment).
            bits = bits_of(64)
            r = (bits & 1023) / 1024
            if age == 1:
                state = ("submitted" if secondee or r < shares[0] else "acknowledged" if r < shares[1]
                         else "draft" if r < shares[2] else None)
                if state is None:
                    continue
            else:
                state = "acknowledged" if age > 2 or r < 0.8 else "submitted"
            day = (bits >> 10) & 3
            if day >= room:
                continue
            written = isos[day] + clock[540 + ((bits >> 12) & 511)]
            submitted = reviewed = None
            if state != "draft":
                handed = day + ((bits >> 21) & 3) % 3
                if handed >= room:
                    state = "draft"
                else:
                    submitted = max(isos[handed] + clock[540 + ((bits >> 23) & 511)], written)
            if state == "acknowledged":
                read = handed + 1 + ((bits >> 32) & 7)
                if read >= room:
                    state = "submitted"
                else:
                    reviewed = isos[read] + clock[540 + ((bits >> 35) & 255)]
            plan = None
            if (bits >> 43) & 127 < 109:
                template = plans[(bits >> 50) % len(plans)]
                plan = written_plans.get(template)
                if plan is None:  # a person's plans come round again: each written once
                    plan = written_plans[template] = self.fill(template, person, following)
            if shelf:
                summary = _checkin_summary(None, shelf.get(month))
            else:
                tally = tallies.get(month)
                summary = ("\n".join([line(role, tally[i], tally[i + 1]) for role, i in role_slots if tally[i]])
                           if tally else text.CHECKIN_EMPTY)
            out.append((next_id(), person.id, month, summary, plan, state, submitted,
                        comments[(bits >> 57) % len(comments)] if reviewed else None,
                        REVIEWER_ID if reviewed else None, reviewed, written, submitted or written))

    # -- site visits and their follow-up actions -----------------------------------------------------------------

    def visits(self, person: Person) -> None:
        """1–3 visits by the organisation department, spread over the stint (a running one at least every half
        year), each with 0–2 follow-up actions the reviewer owns, done within weeks. demo_secondee was visited
        lately: one action overdue, one due within days, both open (demo_reviewer's to-do)."""
        rnd, trnd, today = self.rnd, self.trnd, self.today
        last = min(person.end, today - timedelta(days=3))
        window = (last - person.start).days - 20
        if person.status == "active":
            elapsed = (today - person.start).days / 30.4
            n = 0 if window < 10 else 1 if elapsed < 6 else 2 if elapsed < 15 else 3
        elif person.status == "withdrawn":
            n = 1 if window > 10 else 0
        else:
            n = (1 if (person.end - person.start).days < 400 else 2) + (rnd() < 0.45)
        dates = [_workday_before(person.start + timedelta(days=20 + int(window * (i + 0.3 + 0.4 * rnd()) / n)))
                 for i in range(n)]
        forced = person is self.secondee
        if forced:
            dates = [d for d in dates if d < today - timedelta(days=30)]
            dates.append(_workday_before(today - timedelta(days=6 + int(rnd() * 7))))
        direction = person.direction
        visits, actions_rows = self.rows["visits"], self.rows["visit_actions"]
        for number, day in enumerate(dates, start=1):
            visit_id = self.id("visits")
            visitors = _pick(trnd, text.VISITORS).format(a=_name(trnd), b=_name(trnd), c=_name(trnd),
                                                         home=person.home.name)
            dept = _pick(trnd, self.depts)
            visits.append((visit_id, person.id, day.isoformat(), visitors,
                           self.fill(_pick(trnd, text.VISIT_MET[direction]), person, day),
                           self.fill(_pick(trnd, text.VISIT_HEARD_HOST[direction]), person, day),
                           self.fill(_pick(trnd, text.VISIT_HEARD_SECONDEE[direction]), person, day, dept=dept),
                           self.fill(_pick(trnd, text.VISIT_PROBLEMS[direction]), person, day), REVIEWER_ID,
                           _st(day, 1020 + int(rnd() * 120))))
            latest = forced and number == len(dates)
            if latest:
                dues = [today - timedelta(days=1 + int(rnd() * 3)), today + timedelta(days=2 + int(rnd() * 5))]
            else:
                k = 0 if rnd() < 0.35 else 1 if rnd() < 0.7 else 2
                dues = [day + timedelta(days=10 + int(rnd() * 21)) for _ in range(k)]
            options = list(text.VISIT_ACTIONS[direction])
            for due in dues:
                what = options.pop(int(trnd() * len(options)))
                done = None
                if not latest:
                    done_day = day + timedelta(days=3 + int(rnd() * ((due - day).days + 8)))
                    done = _st(done_day, 600 + int(rnd() * 420)) if done_day < today else None
                actions_rows.append((self.id("visit_actions"), visit_id, person.id,
                                     self.fill(what, person, day, dept=dept), REVIEWER_ID, due.isoformat(), done,
                                     REVIEWER_ID if done else None))

    # -- leave (planned before the log) -------------------------------------------------------------------------

    def leave(self, person: Person) -> None:
        trnd = self.trnd
        out = self.rows["leave_requests"]
        asker = person.user_id or REVIEWER_ID
        for kind, start, end, days, approver, status, asked, decided, back_on in person.leave:
            note = (_pick(trnd, text.LEAVE_REJECTIONS) if status == "rejected" else
                    _pick(trnd, text.LEAVE_APPROVALS) if status == "approved" else None)
            reason = _pick(trnd, text.LEAVE_REASONS["sick_long" if kind == "sick" and days > 3 else kind])
            out.append((self.id("leave_requests"), person.id, kind, start.isoformat(), end.isoformat(), days, reason,
                        approver, status, asker, _st(*asked), REVIEWER_ID if decided else None,
                        _st(*decided) if decided else None, note, back_on.isoformat() if back_on else None))

    # -- the assessment and the return ----------------------------------------------------------------------------

    def assessment(self, person: Person, working: dict) -> None:
        """The self-assessment (what the record says), the host unit's appraisal (often through its contact's link,
        issued once the self-assessment is in), the home unit's view and the organisation department's conclusion,
        all within a month of the end; then the return. As far as ``today`` allows."""
        rnd, trnd, today = self.rnd, self.trnd, self.today
        pid, end, cadre = person.id, person.end, person.direction == vocab.CADRE
        r = rnd()
        conclusion = "excellent" if r < 0.25 else "competent" if r < 0.96 else "basically_competent"
        grades = []
        for dim in vocab.APPRAISAL_DIMENSIONS:
            g = rnd()
            if conclusion == "excellent":
                grades.append("excellent" if g < 0.85 else "good")
            elif conclusion == "competent":
                grades.append("excellent" if g < (0.85 if dim == "lian" else 0.55) else "good")
            else:
                grades.append("good" if g < 0.6 or dim == "lian" else "fair")
        tallies = self.kept.months.get(pid)
        totals = [sum(column) for column in zip(*tallies.values())] if tallies else [0] * (2 * len(vocab.ROLES))
        parts = [text.ASSESSMENT_SELF_OPENING[person.direction].format(
            start=f"{person.start.year}年{person.start.month}月", end=f"{end.year}年{end.month}月",
            host=person.host.name, post=person.post)]
        if totals[0::2] != [0] * len(vocab.ROLES):
            each = "、".join(f"{vocab.label('role', role)}{totals[i]}条" for role, i in ROLE_INDEX.items() if totals[i])
            parts.append(f"挂职期间共记录经审核通过的工作{sum(totals[0::2])}条、{sum(totals[1::2]):g}小时，其中{each}。")
        objectives = working["objectives"]
        done = sum(o["status"] == "done" for o in objectives)
        parts.append(f"任务书确定的{len(objectives)}项目标任务，已完成{done}项。")
        parts.append(self.fill(_pick(trnd, text.ASSESSMENT_SELF_CLOSING[person.direction]), person, end))
        self_at = (end - timedelta(days=4 + int(rnd() * 10)), 600 + int(rnd() * 420))
        host_signatory = _signatory(trnd, "enterprise" if cadre else "department")
        contact = host_signatory.split("（")[0]
        links = []   # (issued, contact, withdrawn, used)
        if rnd() < 0.65:  # through a link to the host unit's contact
            issued = (self_at[0] + timedelta(days=1 + int(rnd() * 3)), 540 + int(rnd() * 420))
            if rnd() < 0.1:  # a first link went to someone else and was withdrawn
                links.append(((issued[0] - timedelta(days=3 + int(rnd() * 4)), 600), _name(trnd), issued, None))
            host_at = (issued[0] + timedelta(days=1 + int(rnd() * 9)), 540 + int(rnd() * 480))
            links.append((issued, contact, None, host_at))
        else:             # typed in from the signed paper form, sometimes after a link that expired unused
            if rnd() < 0.3:
                links.append(((end - timedelta(days=12 + int(rnd() * 6)), 540 + int(rnd() * 420)), contact, None,
                              None))
            host_at = (end + timedelta(days=1 + int(rnd() * 11)), 600 + int(rnd() * 420))
        expires = timedelta(days=LEAVE_RULES["host_link_days"])
        for issued, who, withdrawn, used in links:
            if issued[0] >= today:
                continue
            link_id = self.id("host_links")
            nonce = hashlib.sha256(f"{self.seed}/host-link/{link_id}".encode()).hexdigest()
            self.rows["host_links"].append((
                link_id, pid, "appraisal", nonce, who, REVIEWER_ID, _st(*issued), _st(issued[0] + expires, issued[1]),
                _st(*used) if used and used[0] < today else None,
                _st(*withdrawn) if withdrawn and withdrawn[0] < today else None))
        home_at = (host_at[0] + timedelta(days=1 + int(rnd() * 6)), 600 + int(rnd() * 420))
        concluded = (home_at[0] + timedelta(days=1 + int(rnd() * 7)), 900 + int(rnd() * 120))
        steps = [s for s in (self_at, host_at, home_at, concluded) if s[0] < today]
        if steps:
            host, home, final = len(steps) >= 2, len(steps) >= 3, len(steps) == 4
            comment = (text.HOST_COMMENT_WEAK if conclusion == "basically_competent" else
                       self.fill(_pick(trnd, text.HOST_COMMENTS[person.direction]), person, end))
            self.rows["assessments"].append((
                pid, "".join(parts), _st(*self_at), *(g if host else None for g in grades),
                comment if host else None, host_signatory if host else None, _st(*host_at) if host else None,
                _pick(trnd, text.HOME_VIEWS) if home else None,
                _signatory(trnd, "department" if cadre else "enterprise") if home else None,
                _st(*home_at) if home else None, conclusion if final else None,
                _pick(trnd, text.CONCLUSION_NOTES[conclusion]) if final else None, REVIEWER_ID if final else None,
                _st(*concluded) if final else None, _st(*steps[-1])))
        # The return, and what followed.
        back = workdays.LIBRARY.add_working_days(end, 1)
        recorded = back + timedelta(days=5 + int(rnd() * 36))
        if recorded >= today:
            return
        office = _pick(trnd, text.OFFICES)
        if cadre:
            weights = (55, 35, 10) if conclusion == "excellent" else (20, 62, 18)
            r = rnd() * 100
            outcome = "promoted" if r < weights[0] else "retained" if r < weights[0] + weights[1] else "transferred"
            unit = person.home.name
            if outcome == "transferred":
                unit = _pick(trnd, [d for d in self.depts if d != unit])
            rank = _section_post(office, _pick(trnd, text.RETURN_RANKS[outcome]))
            post = unit + rank
            note = text.RETURN_NOTES[outcome].format(conclusion=vocab.label("conclusion", conclusion), unit=unit,
                                                     when=f"{recorded.year}年{recorded.month}月",
                                                     post=post if outcome == "promoted" else rank)
        else:
            outcome = "back_to_enterprise" if rnd() < 0.75 else "retained"
            role_post = _pick(trnd, text.TALENT_RETURN_POSTS[outcome])
            post = (person.enterprise.name if outcome == "back_to_enterprise" else person.host.name) + role_post
            note = self.fill(text.RETURN_NOTES["back_to_enterprise" if outcome == "back_to_enterprise"
                                           else "talent_retained"], person, back, post=role_post)
        self.rows["returns"].append((pid, back.isoformat(), post, outcome, note, REVIEWER_ID,
                                     _st(recorded, 600 + int(rnd() * 420))))

    def withdrawn_return(self, person: Person) -> None:
        """A cadre called back early returns to the home unit (a talent who left the firm has nowhere to return)."""
        rnd, trnd = self.rnd, self.trnd
        back = workdays.LIBRARY.add_working_days(person.end, 1)
        recorded = back + timedelta(days=3 + int(rnd() * 18))
        if recorded < self.today:
            post = person.home.name + _section_post(_pick(trnd, text.OFFICES), _pick(trnd, text.RETURN_RANKS["retained"]))
            self.rows["returns"].append((person.id, back.isoformat(), post, "retained", text.RETURN_NOTES["withdrawn"],
                                         REVIEWER_ID, _st(recorded, 600 + int(rnd() * 300))))


def _lifecycle(people: list[Person], kept: _Stream, items: list[tuple], practice_rows: list[tuple],
               units: list[Unit], today: date, seed: int, roles: dict[int, str], distinct: bool) -> dict[str, list]:
    """The lifecycle's rows, table by table (``LIFECYCLE_TABLES``), every person's stint in turn."""
    life = _Lifecycle(people, kept, items, practice_rows, units, today, seed, roles, distinct)
    for person in people:
        life.add(person)
    return life.rows


# --- writing ------------------------------------------------------------------------------------------------------

COLUMNS = {
    "units": ("id", "name", "kind", "street", "industry", "active", "notes", "time_limit_days"),
    "batches": ("id", "code", "direction", "intake_year", "start_date", "end_date", "notes"),
    "participants": ("id", "name", "gender", "political_status", "batch_id", "home_unit_id", "host_unit_id",
                     "post", "start_date", "end_date", "status", "contact", "notes", "created_at", "updated_at"),
    "activities": ("id", "participant_id", "date", "week", "role", "title", "description", "hours", "outcome",
                   "created_by", "created_at", "updated_by", "updated_at"),
    "week_reviews": ("participant_id", "week", "state", "submitted_at", "submitted_by", "reviewed_at",
                     "reviewed_by", "comment"),
    "routing": ("category", "department_id"),
    "users": ("id", "username", "display_name", "role", "participant_id", "department_id", "password_hash",
              "active", "language", "failed_attempts", "locked_until", "created_at", "updated_at"),
    "feedback": ("id", "participant_id", "activity_id", "enterprise_id", "role", "category", "summary", "details",
                 "urgency", "department_id", "status", "created_at", "accepted_at", "answered_at", "closed_at",
                 "due_date", "extended_days", "transfers", "send_backs", "escalated", "answer", "evaluation",
                 "closed_by", "close_reason", "updated_at"),
    "feedback_events": ("feedback_id", "at", "user_id", "step", "from_status", "to_status", "from_department_id",
                        "to_department_id", "note", "due_date"),
    "practices": ("id", "title", "summary", "participant_id", "enterprise_id", "activity_id", "status",
                  "created_by", "created_at", "reviewed_by", "reviewed_at", "promoted_by", "promoted_at",
                  "updated_at"),
    # The stint lifecycle (``_lifecycle``), in the order they are written (a row's parent first).
    "agreements": ("id", "participant_id", "version", "status", "home_unit_id", "host_unit_id", "post", "start_date",
                   "end_date", "notes", "agreed_at", "created_by", "created_at", "updated_at"),
    "agreement_parties": ("agreement_id", "party", "signatory", "recorded_by", "agreed_at"),
    "objectives": ("id", "agreement_id", "lineage", "position", "role", "text", "target", "due_date", "status",
                   "status_by", "status_at"),
    "objective_links": ("id", "lineage", "participant_id", "kind", "item_id", "linked_by", "linked_at"),
    "declarations": ("id", "participant_id", "kind", "signed_on", "note", "recorded_by", "recorded_at"),
    "checkins": ("id", "participant_id", "month", "summary", "next_plan", "status", "submitted_at", "comment",
                 "reviewed_by", "reviewed_at", "created_at", "updated_at"),
    "visits": ("id", "participant_id", "visit_date", "visitors", "met", "heard_enterprise", "heard_secondee",
               "problems", "recorded_by", "created_at"),
    "visit_actions": ("id", "visit_id", "participant_id", "action", "owner_id", "due_date", "done_at", "done_by"),
    "leave_requests": ("id", "participant_id", "kind", "start_date", "end_date", "days", "reason", "approver",
                       "status", "requested_by", "requested_at", "decided_by", "decided_at", "decision_note",
                       "back_on"),
    "assessments": ("participant_id", "self_text", "self_at", "host_de", "host_neng", "host_qin", "host_ji",
                    "host_lian", "host_comment", "host_signatory", "host_at", "home_view", "home_signatory",
                    "home_at", "conclusion", "conclusion_note", "conclusion_by", "conclusion_at", "updated_at"),
    "host_links": ("id", "participant_id", "purpose", "nonce_hash", "contact", "created_by", "created_at",
                   "expires_at", "used_at", "revoked_at"),
    "returns": ("participant_id", "return_date", "post", "outcome", "notes", "recorded_by", "recorded_at"),
}
LIFECYCLE_TABLES = tuple(COLUMNS)[tuple(COLUMNS).index("agreements"):]


class _Table:
    """Buffered ``executemany`` into one table. Columns the schema does not have (an older migration) are
    left out, so the generator keeps working while the schema grows."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        present = {row[1] for row in conn.execute(f"pragma table_info({name})")}
        columns = COLUMNS[name]
        self.keep = [i for i, c in enumerate(columns) if c in present]
        names = [columns[i] for i in self.keep]
        self.whole = len(self.keep) == len(columns)
        self.missing = not present  # a table of a later migration than the file has: nothing is written
        self.sql = f"insert into {name} ({', '.join(names)}) values ({', '.join('?' * len(names))})"
        self.conn, self.rows, self.count = conn, [], 0

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= CHUNK:
            self.flush()

    def extend(self, rows) -> None:
        """All of ``rows``, written before returning (so rows that refer to them can follow)."""
        for row in rows:
            self.add(row)
        self.flush()

    def flush(self) -> None:
        if self.rows and self.missing:
            self.rows = []
        if self.rows:
            rows = self.rows if self.whole else [tuple(r[i] for i in self.keep) for r in self.rows]
            self.conn.executemany(self.sql, rows)
            self.count += len(self.rows)
            self.rows = []


def _unit_rows(units: list[Unit]):
    return [(u.id, u.name, u.kind, u.street, u.industry, 1, None, u.time_limit) for u in units]


def _batch_rows(batches: list[Batch]):
    counts = Counter()
    rows = []
    for b in batches:
        counts[b.direction] += 1
        label = vocab.label("direction", b.direction)
        rows.append((b.id, b.code, b.direction, b.intake_year, b.start.isoformat(), b.end.isoformat(),
                     f"第{counts[b.direction]}批{label}"))
    return rows


def _participant_rows(people: list[Person]):
    for p in people:
        stamp = _utc(datetime.combine(p.batch.start - timedelta(days=30), time(10)))
        yield (p.id, p.name, p.gender, p.political, p.batch.id, p.home.id, p.host.id, p.post, p.start.isoformat(),
               p.end.isoformat(), p.status, p.contact, p.notes, stamp, stamp)


def _generate(conn: sqlite3.Connection, *, seed: int, today: date, batches: list[Batch], enterprises: int,
              tier: Tier, max_per_week: int, distinct: bool = False) -> dict:
    """Everything inside one transaction on ``conn``; returns the row counts. ``distinct``: no two texts alike
    (the demo); the benchmark tiers may repeat themselves."""
    rng = random.Random(seed)
    units = _units(rng, enterprises)
    people = _people(rng, batches, units, today)
    secondee, talent = _link_accounts(people)
    keep = {secondee.id, talent.id if talent else -1}
    _habits(rng, people, today, keep)
    _contexts(rng, random.Random(f"{seed}/people"), people, units)
    # The lifecycle's own streams from here on: the plan of leave comes before the log (nothing is logged on a
    # day of leave), the rest after it. The main stream does not move.
    roles = _current_roles(people, today, seed, keep)
    _plan_leave(people, today, seed, secondee, roles)
    tables = {name: _Table(conn, name) for name in COLUMNS}
    tables["units"].extend(_unit_rows(units))
    tables["batches"].extend(_batch_rows(batches))
    tables["participants"].extend(_participant_rows(people))

    weeks = {p.id: sum(1 for _ in _weeks(p, _person_rngs(seed, p)[0], today)) for p in people}

    def feedback_weight(p: Person) -> float:
        w = (1.0 if p.direction == vocab.CADRE else 0.25) * (3.0 if p.status == "active" else 1.0)
        return w * (2.0 if p is secondee else 1.0)

    walk_ins = _walk_ins(rng, people, today)
    fb_quota = _quotas(people, weeks, tier.feedback - sum(map(len, walk_ins.values())), feedback_weight)
    pr_quota = _quotas(people, weeks, tier.practices,
                       lambda p: 0.0 if p.direction == vocab.TALENT else (2.0 if p.status == "active" else 1.0))
    kept = _stream_activities(people, units, seed, today, weeks, tier.activities, max_per_week, fb_quota, pr_quota,
                              tables["activities"], tables["week_reviews"], distinct)
    tables["activities"].flush()
    tables["week_reviews"].flush()

    items, events, routing = _feedback(rng, people, units, kept, walk_ins, today, seed, distinct)
    liaisons = _pick_liaisons(items, events, units)
    password_hash = auth.hash_password(auth.DEMO_PASSWORD)  # once: argon2 is slow by design
    by_id = {u.id: u for u in units}
    others = [by_id[d] for d in sorted(set(routing.values()) - {u.id for u in liaisons})]
    accounts = _accounts(rng, people, secondee, talent, liaisons, password_hash, min(b.start for b in batches),
                         others, seed)
    tables["users"].extend(accounts)
    tables["routing"].extend(sorted(routing.items()))
    user_of = {p.id: p.user_id for p in people if p.user_id}
    liaison_of = {liaisons[0].id: LIAISON_ID, liaisons[1].id: LIAISON2_ID,
                  **{r[5]: r[0] for r in accounts if r[1].startswith("liaison")}}
    tables["feedback"].extend(_with_users(items, "feedback", "closed_by", user_of, liaison_of))
    tables["feedback_events"].extend(_with_users(events, "feedback_events", "user_id", user_of, liaison_of))
    practice_rows = _practices(rng, people, kept, today, seed)
    tables["practices"].extend(practice_rows)
    for name, rows in _lifecycle(people, kept, items, practice_rows, units, today, seed, roles,
                                 distinct).items():
        tables[name].extend(rows)
    counts = {name: tables[name].count for name in ("batches", "units", "participants", "activities",
                                                    "week_reviews", "feedback", "feedback_events", "practices",
                                                    "users", *LIFECYCLE_TABLES)}
    counts["audit_log"] = _write_audit(conn, _audit_trail(conn, today))
    return counts


# --- the audit trail ----------------------------------------------------------------------------------------------

AUDIT_DAYS = 42  # the recent history the audit trail covers, up to ``today``
# Steps a department takes. Only two departments have a demo liaison; the others' steps are recorded as
# entered by the organisation department's reviewer, who may handle any department's items.
_DEPARTMENT_STEPS = frozenset({"accept", "transfer", "extend", "answer"})


def _select(conn: sqlite3.Connection, sql: str, params=()) -> list[dict]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur]


def _feedback_changes(step: str, state: dict, event: dict, item: dict) -> dict:
    """What ``secondment.feedback`` changes on the item for ``step`` (before status and updated_at)."""
    at, due = event["at"], event.get("due_date")
    if step == "accept":
        return {"accepted_at": at}
    if step == "transfer":
        return {"department_id": event["to_department_id"], "transfers": (state["transfers"] or 0) + 1,
                "accepted_at": None, "due_date": due, "extended_days": 0}
    if step == "extend":
        days = workdays.LIBRARY.working_days_between(state["due_date"], due)
        return {"due_date": due, "extended_days": (state["extended_days"] or 0) + days}
    if step == "answer":
        return {"answered_at": at, "answer": event["note"]}
    if step == "send_back":
        return {"evaluation": "unsatisfied", "send_backs": (state["send_backs"] or 0) + 1, "answered_at": None,
                "due_date": due, "extended_days": 0}
    if step == "evaluate":  # the last step of an item: its rating is the one it keeps
        return {"evaluation": item["evaluation"], "closed_at": at, "closed_by": event["user_id"]}
    if step == "escalate":
        return {"escalated": 1}
    if step == "close_unresolved":
        return {"closed_at": at, "closed_by": event["user_id"], "close_reason": event["note"]}
    raise ValueError(f"unknown feedback step {step!r}")


def _audit_trail(conn: sqlite3.Connection, today: date, days: int = AUDIT_DAYS) -> list[tuple]:
    """The audit rows the services would have written over the ``days`` before ``today``, derived from the
    data already written, oldest first: activity entries (``insert``), weeks submitted, approved and returned,
    feedback raised and every later step (``feedback.<step>``, the changed columns before/after), practices
    proposed, reviewed and promoted. Each is stamped with its event's time and its actor's account; a step
    whose actor has no account (people of past batches) is left out, except a department's step, which the
    reviewer entered. Rows are ``(at, user_id, username, table_name, row_id, action, before, after)``."""
    since = _utc(datetime.combine(today - timedelta(days=days), time()))
    usernames = dict(conn.execute("select id, username from users"))
    out: list[tuple] = []

    def add(at, user_id, table, row_id, action, before, after) -> None:
        if at and at >= since and user_id in usernames:
            out.append((at, len(out), (at, user_id, usernames[user_id], table, row_id, action,
                                       db.to_json(before), db.to_json(after))))

    def change(at, user_id, table, row_id, action, state: dict, changes: dict) -> None:
        """As ``audit.update``: only the columns that change, before and after; nothing when none does."""
        changed = {k: v for k, v in changes.items() if state.get(k) != v}
        if changed:
            add(at, user_id, table, row_id, action, {k: state.get(k) for k in changed}, changed)
            state.update(changed)

    for row in _select(conn, "select * from activities where created_at >= ? order by id", (since,)):
        add(row["created_at"], row["created_by"], "activities", str(row["id"]), "insert", None, row)

    for row in _select(conn, "select * from week_reviews where coalesce(reviewed_at, submitted_at) >= ? "
                             "order by participant_id, week", (since,)):
        key = f"{row['participant_id']}/{row['week']}"
        state = dict(row, state="submitted", reviewed_at=None, reviewed_by=None, comment=None)
        add(row["submitted_at"], row["submitted_by"], "week_reviews", key, "submit", None, state)
        if row["reviewed_at"]:
            change(row["reviewed_at"], row["reviewed_by"], "week_reviews", key,
                   "approve" if row["state"] == "approved" else "return", state,
                   {"state": row["state"], "reviewed_at": row["reviewed_at"], "reviewed_by": row["reviewed_by"],
                    "comment": row["comment"]})

    for row in _select(conn, "select * from practices where coalesce(promoted_at, reviewed_at, created_at) >= ? "
                             "order by id", (since,)):
        key = str(row["id"])
        state = dict(row, status="draft", reviewed_by=None, reviewed_at=None, promoted_by=None, promoted_at=None,
                     updated_at=row["created_at"])
        add(row["created_at"], row["created_by"], "practices", key, "propose", None, state)
        for step, status, by, at in (("review", "reviewed", "reviewed_by", "reviewed_at"),
                                     ("promote", "promoted", "promoted_by", "promoted_at")):
            if row[at]:
                change(row[at], row[by], "practices", key, step, state,
                       {"status": status, by: row[by], at: row[at], "updated_at": row[at]})

    recent = "select distinct feedback_id from feedback_events where at >= ?"
    items = {r["id"]: r for r in _select(conn, f"select * from feedback where id in ({recent})", (since,))}
    state: dict = {}
    for event in _select(conn, f"select * from feedback_events where feedback_id in ({recent}) "
                               "order by feedback_id, at, id", (since,)):
        item, step, at, user_id = items[event["feedback_id"]], event["step"], event["at"], event["user_id"]
        key = str(item["id"])
        if step == "raise":
            state = dict(item, department_id=event["to_department_id"], status="submitted", accepted_at=None,
                         answered_at=None, closed_at=None, due_date=event.get("due_date"), extended_days=0,
                         transfers=0, send_backs=0, escalated=0, answer=None, evaluation=None, closed_by=None,
                         close_reason=None, updated_at=at)
            add(at, user_id, "feedback", key, "feedback.raise", None, state)
            continue
        if user_id is None and step in _DEPARTMENT_STEPS:
            user_id = REVIEWER_ID
        changes = _feedback_changes(step, state, event, item)
        changes.update(status=event["to_status"], updated_at=at)
        change(at, user_id, "feedback", key, f"feedback.{step}", state, changes)

    out.sort(key=lambda r: r[:2])
    return [r[2] for r in out]


def _write_audit(conn: sqlite3.Connection, rows: list[tuple]) -> int:
    for i in range(0, len(rows), CHUNK):
        conn.executemany("insert into audit_log(at, user_id, username, table_name, row_id, action, before, after) "
                         "values (?, ?, ?, ?, ?, ?, ?, ?)", rows[i:i + CHUNK])
    return len(rows)


# --- files --------------------------------------------------------------------------------------------------------

def _holds_data(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


_FTS_INSERT_TRIGGER = "activities_ai"


def _write_file(path: Path, replace: bool, fill, *, defer_fts: bool) -> dict:
    """Run ``fill(conn)`` on a fresh, migrated temporary file next to ``path`` and rename it over ``path``
    only when it is complete, so a failed build never leaves half a database."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise IsADirectoryError(f"{path} is not a regular file; a demo is written only to a file")
    if _holds_data(path) and not replace:
        raise FileExistsError(f"{path} already exists and holds data; pass replace=True "
                              f"(command line: --replace) to overwrite it")
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.building")
    _remove(temp)
    try:
        db.migrate(temp)
        store = db.connect(temp)
        conn = store.conn
        try:
            # A private file nobody else has open yet: no journal while loading (a failure discards the
            # file anyway); WAL is switched back on before it is renamed into place.
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA cache_size = -262144")
            conn.execute("PRAGMA temp_store = MEMORY")
            trigger = conn.execute("select sql from sqlite_master where type = 'trigger' and name = ?",
                                   (_FTS_INSERT_TRIGGER,)).fetchone()
            conn.execute("BEGIN")
            if defer_fts and trigger:
                conn.execute(f"drop trigger {_FTS_INSERT_TRIGGER}")
            counts = fill(conn)
            if defer_fts and trigger:
                conn.execute("insert into activities_fts(activities_fts) values ('rebuild')")
                conn.execute(trigger[0])
            conn.execute("COMMIT")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA optimize")
        finally:
            store.close()
        for suffix in ("-wal", "-shm", "-journal"):  # a stale WAL would be replayed into the new file
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, path)
        return counts
    except BaseException:
        _remove(temp)
        raise


def build(path, *, seed: int = DEMO_SEED, today: date | None = None, replace: bool = False) -> dict:
    """Write the demo programme (68 people, 9 batches, ~5,000 activities, ~500 feedback items) to ``path``.

    Refuses a file that already holds data unless ``replace``. Returns the row counts per table."""
    today = today or clock.today()

    def fill(conn):
        counts = _generate(conn, seed=seed, today=today, batches=_demo_batches(today),
                           enterprises=len(text.ENTERPRISES), tier=TIERS["S"], max_per_week=3, distinct=True)
        _mark(conn, seed=seed, today=today)
        return counts

    return _write_file(Path(path), replace, fill, defer_fts=False)


def synthetic(path, tier: str, *, seed: int = 1, participants: int | None = None, today: date | None = None,
              replace: bool = False) -> dict:
    """A synthetic programme at a benchmark tier (S, M or L; see ``TIERS``), or scaled to ``participants``.

    Same generators as the demo, written in bulk; the full-text index is rebuilt once at the end instead
    of row by row. Marked as a demo (so its accounts can sign in with one click) with its ``tier``."""
    if tier not in TIERS:
        raise ValueError(f"unknown tier {tier!r}; choose one of {', '.join(TIERS)}")
    today = today or clock.today()
    spec = TIERS[tier]
    n = participants or spec.participants
    scale = n / spec.participants
    scaled = Tier(n, round(spec.activities * scale), round(spec.feedback * scale),
                  max(1, round(spec.practices * scale)))

    def fill(conn):
        rng = random.Random(seed)
        if tier == "S" and participants is None:
            batches, enterprises = _demo_batches(today), len(text.ENTERPRISES)
        else:
            batches, enterprises = _synthetic_batches(rng, n, today), max(len(text.ENTERPRISES), n // 2)
        counts = _generate(conn, seed=seed, today=today, batches=batches, enterprises=enterprises, tier=scaled,
                           max_per_week=3 if tier == "S" else 6)
        _mark(conn, seed=seed, today=today, tier=tier)
        return counts

    return _write_file(Path(path), replace, fill, defer_fts=tier != "S")


def _mark(conn: sqlite3.Connection, *, seed: int, today: date, tier: str | None = None) -> None:
    feedback.count_answer_days(conn)          # the closed loop's spans, as every answer stores its own
                                              # (the library they are counted with: set by db.migrate)
    marks = {"is_demo": "1", "demo_seed": seed, "demo_today": today.isoformat(),
             REQUIRED_DECLARATIONS_KEY: json.dumps(list(REQUIRED_DECLARATIONS))}
    if tier:
        marks["tier"] = tier
    # The programme's history is not news: only what happened in the last three days becomes a notification
    # (secondment.notify), so each demo role finds a few in its bell, not hundreds.
    recent = (today - timedelta(days=3)).isoformat()
    for key, table in (("notify.audit_seen", "audit_log"), ("notify.event_seen", "feedback_events")):
        marks[key] = conn.execute(f"select coalesce(max(id), 0) from {table} where at < ?", (recent,)).fetchone()[0]
    # Built with raw writes, so its data gets its token here (the same seed, day and tier build the same data),
    # and its tables theirs at its first write.
    marks[db.DATA_TOKEN] = hashlib.sha256(f"{seed}/{today.isoformat()}/{tier}".encode()).hexdigest()[:16]
    conn.execute("delete from meta where key >= ? and key < ?", (db.TABLE_TOKEN, db.TABLE_TOKEN + "~"))
    for key, value in marks.items():
        conn.execute("insert into meta(key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
                     (key, str(value)))
