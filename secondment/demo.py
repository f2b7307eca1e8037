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

import heapq
import os
import random
import re
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from secondment import _demo_text as text
from secondment import auth, clock, db, vocab, workdays

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
    return (local - LOCAL_OFFSET).strftime("%Y-%m-%dT%H:%M:%SZ")


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
        for monday, days, age in _weeks(person, prng, today):
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
        kept.feedback[person.id] = fb.items()
        kept.practices[person.id] = pr.items()
    return kept


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
            picked = [d for d in days if d >= person.start
                      and rng.random() < WALK_IN_RATES[0 if (today - d).days <= 14 else 1]]
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
}


class _Table:
    """Buffered ``executemany`` into one table. Columns the schema does not have (an older migration) are
    left out, so the generator keeps working while the schema grows."""

    def __init__(self, conn: sqlite3.Connection, name: str):
        present = {row[1] for row in conn.execute(f"pragma table_info({name})")}
        columns = COLUMNS[name]
        self.keep = [i for i, c in enumerate(columns) if c in present]
        names = [columns[i] for i in self.keep]
        self.whole = len(self.keep) == len(columns)
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
    _habits(rng, people, today, {secondee.id, talent.id if talent else -1})
    _contexts(rng, random.Random(f"{seed}/people"), people, units)
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
    tables["practices"].extend(_practices(rng, people, kept, today, seed))
    counts = {name: tables[name].count for name in ("batches", "units", "participants", "activities",
                                                    "week_reviews", "feedback", "feedback_events", "practices",
                                                    "users")}
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
    marks = {"is_demo": "1", "demo_seed": seed, "demo_today": today.isoformat()}
    if tier:
        marks["tier"] = tier
    # The programme's history is not news: only what happened in the last three days becomes a notification
    # (secondment.notify), so each demo role finds a few in its bell, not hundreds.
    recent = (today - timedelta(days=3)).isoformat()
    for key, table in (("notify.audit_seen", "audit_log"), ("notify.event_seen", "feedback_events")):
        marks[key] = conn.execute(f"select coalesce(max(id), 0) from {table} where at < ?", (recent,)).fetchone()[0]
    for key, value in marks.items():
        conn.execute("insert into meta(key, value) values (?, ?) on conflict(key) do update set value = excluded.value",
                     (key, str(value)))
