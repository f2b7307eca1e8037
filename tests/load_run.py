"""A load run, for ``python -m secondment.bench --load 1 5 10 20``: many people at once in one headless Chromium.

    python tests/load_run.py DB N [N ...] [--split-cores]

For each N, a fresh copy of DB is served by one ``streamlit run app.py`` (as in production) and N browser contexts
work at once, each a different person: the even ones are secondees doing their weekly routine (sign in, save three
entries, submit the week, open the practice library and the feedback page), the odd ones reviewers doing a review
(sign in, then three rounds of: open the review queue, approve a week, open the feedback, coverage, roster and
overview pages). At N = 1 one secondee and then one reviewer work alone, so that every action has a baseline.

With ``--split-cores`` the app server runs on the first core and Chromium (with this driver) on the others, so
that the server's own times (``server_runs``, from its log of every run) show how the app scales with the number
of people apart from the browser's drawing, which on two shared cores takes most of the CPU.

Each action is timed from the click or the address until its result is drawn and the script has ended. Prints one
JSON line per N: per action its count, p50 and p95; every error (a page showing Streamlit's exception box, the
app's fault message, a raw database error or "database is busy", or a wait that ran out); how many approvals found
the week already taken by another reviewer (a clear message, not an error); and the check that no save was lost:
every entry a secondee was told was saved is in the database, every week they were told was submitted is
submitted (or approved), every approval a reviewer was told of is recorded with that reviewer's name.
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, SCRIPT_DONE, LiveServer

from secondment import activities, auth, clock, db, i18n, vocab

PASSWORD = auth.DEMO_PASSWORD         # the synthetic tiers' accounts
REVIEWER_PASSWORD = "Lz-负载-7194-审核"  # the reviewers made here (the password rules refuse the demo's)
TIMEOUT = 180_000                     # ms: at 20 people on 2 cores a page may take a while; waiting longer is an error
ROUNDS = 3
RAW_ERRORS = re.compile(r"OperationalError|IntegrityError|database is locked|Traceback|sqlite3\.")
FAULTS = (i18n.translate("zh", "app.fault_unexpected"), i18n.translate("zh", "error.database_busy"))
WEEK = r"\d{4}-W\d{2}"
EVIDENCE = Path(tempfile.gettempdir()) / "secondment-load-evidence"   # screenshots and texts of failures


def told(key: str, **groups: str) -> re.Pattern:
    """The app's own message ``key`` (in Chinese) as a pattern, each placeholder one group of ``groups``, in the
    order the message has them. Written so that the browser can read it too (Playwright hands it to JavaScript,
    which knows neither ``(?P<name>`` nor an escaped space)."""
    marks = {name: f"\x00{name}\x00" for name in groups}
    pattern = re.escape(i18n.translate("zh", key, **marks)).replace("\\ ", " ")
    for name, group in groups.items():
        pattern = pattern.replace(re.escape(marks[name]), f"({group})")
    return re.compile(pattern)


APPROVED = told("review.approved", name=".+", week=WEEK)          # 已通过 {name} 的 {week} 周志。: name, week
TAKEN = told("error.week_not_submitted", week=WEEK)             # someone else reviewed it first


def prepare(source: Path, folder: Path, n: int) -> tuple[Path, list[dict], list[str]]:
    """A copy of ``source`` with ``n`` people ready: cadre secondees with an empty current week, and reviewers
    (accounts made here with the demo password)."""
    path = folder / f"load_{n}.db"
    shutil.copyfile(source, path)
    if Path(f"{source}.key").exists():                # the session key file beside the database
        shutil.copyfile(f"{source}.key", f"{path}.key")
    store = db.open_store(path)
    week = activities.week_of(clock.today())
    want_secondees = 1 if n == 1 else (n + 1) // 2
    want_reviewers = 1 if n == 1 else n // 2
    secondees = store.rows(
        "select u.username, u.participant_id, p.name from users u join participants p on p.id = u.participant_id "
        "join batches b on b.id = p.batch_id where u.role = 'secondee' and u.active = 1 and b.direction = ? "
        "and p.status = 'active' and u.username not like 'demo_%' order by u.id limit ?",
        (vocab.DIRECTIONS[0], want_secondees))
    if len(secondees) < want_secondees:
        raise SystemExit(f"the database has {len(secondees)} cadre secondee accounts; {want_secondees} are needed")
    with store.write() as w:
        for person in secondees:
            pid = person["participant_id"]
            w.conn.execute("delete from practices where activity_id in (select id from activities "
                           "where participant_id = ? and week = ?)", (pid, week))
            w.conn.execute("delete from activities where participant_id = ? and week = ?", (pid, week))
            w.conn.execute("delete from week_reviews where participant_id = ? and week = ?", (pid, week))
    admin = auth.actor_from_row(store.one("select * from users where role = 'admin' and active = 1 order by id"))
    reviewers = []
    for i in range(want_reviewers):
        username = f"load_reviewer_{i + 1}"
        auth.create_user(store, admin, username, REVIEWER_PASSWORD, "reviewer", display_name=f"负载审核 {i + 1}")
        reviewers.append(username)
    return path, [dict(s, week=week) for s in secondees], reviewers


def pct(values: list[float], q: float) -> float:
    """The ``q`` quantile of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stamp() -> str:
    """The wall-clock time to the millisecond, as the server's log writes it, to set the two side by side."""
    now = time.time()
    return f"{time.strftime('%H:%M:%S', time.localtime(now))}.{int(now * 1000) % 1000:03d}"


class Person:
    """One browser context: its timings, its errors, and what the app told it was done."""

    def __init__(self, page, url: str, who: str, timings: dict, errors: list, server_pid: int | None = None):
        self.page, self.url, self.who, self.timings, self.errors = page, url, who, timings, errors
        self.server_pid = server_pid
        self.saved: list[str] = []
        self.submitted = False
        self.approved: list[tuple[str, str]] = []
        self.taken = 0
        self.frames: list[str] = []        # the websocket's traffic, kept for the evidence of a failure
        self.marks: list[str] = []         # what this person did, with the wall-clock time

        def on_socket(ws):
            def note(kind):
                def record(payload):
                    size = len(payload) if isinstance(payload, (bytes, str)) else 0
                    self.frames.append(f"{stamp()} {kind} {size} B")
                    del self.frames[:-200]
                return record
            ws.on("framesent", note("sent"))
            ws.on("framereceived", note("received"))
            ws.on("close", lambda _ws: self.frames.append(f"{stamp()} socket closed"))
        page.on("websocket", on_socket)

    def mark(self, what: str) -> None:
        self.marks.append(f"{stamp()} {what}")
        del self.marks[:-50]

    async def ready(self) -> None:
        await self.page.wait_for_function(SCRIPT_DONE, timeout=TIMEOUT)
        await self.page.wait_for_timeout(150)
        await self.page.wait_for_function(SCRIPT_DONE, timeout=TIMEOUT)

    async def check(self, action: str) -> None:
        body = await self.page.locator("body").inner_text()
        if await self.page.locator("[data-testid='stException']").count() or RAW_ERRORS.search(body) or \
                any(f in body for f in FAULTS):
            line = next((x for x in body.splitlines() if RAW_ERRORS.search(x) or any(f in x for f in FAULTS)),
                        "exception box")
            self.errors.append(f"{self.who} · {action}: {line[:120]}")

    async def keep_evidence(self, action: str) -> str:
        """A screenshot and the page's text at a failure, in ``EVIDENCE``: their stem."""
        EVIDENCE.mkdir(parents=True, exist_ok=True)
        stem = EVIDENCE / re.sub(r"\W+", "_", f"{self.who}_{action}_{len(self.errors)}")
        try:
            await self.page.screenshot(path=f"{stem}.png", full_page=True, timeout=30_000)
            Path(f"{stem}.txt").write_text(await self.page.locator("body").inner_text(timeout=30_000))
            # When the click was made, and whether the browser then sent anything to the server and got an answer
            Path(f"{stem}.frames.txt").write_text("\n".join(["# marks", *self.marks, "# frames", *self.frames]))
            if self.server_pid and shutil.which("py-spy"):    # what every thread of the server is doing now
                dump = await asyncio.create_subprocess_exec("py-spy", "dump", "--pid", str(self.server_pid),
                                                            stdout=asyncio.subprocess.PIPE,
                                                            stderr=asyncio.subprocess.STDOUT)
                Path(f"{stem}.server.txt").write_bytes((await dump.communicate())[0])
        except Exception as exc:                      # noqa: BLE001 - the evidence is a help, not the finding
            return f"{stem} (not kept: {type(exc).__name__})"
        return str(stem)

    async def timed(self, action: str, work) -> bool:
        start = time.perf_counter()
        try:
            await work()
            await self.ready()
        except Exception as exc:                      # noqa: BLE001 - every failure is reported, the run goes on
            stem = await self.keep_evidence(action)
            self.errors.append(f"{self.who} · {action}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]} "
                               f"(see {stem}.png)")
            return False
        self.timings.setdefault(action, []).append(time.perf_counter() - start)
        await self.check(action)
        return True

    async def sign_in(self) -> bool:
        async def work():
            await self.page.goto(self.url)
            await self.page.get_by_label("用户名").fill(self.who)
            await self.page.get_by_label("密码").fill(REVIEWER_PASSWORD if self.who.startswith("load_") else PASSWORD)
            await self.page.get_by_role("button", name="登录").click()
            await self.page.wait_for_selector("[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']",
                                              timeout=TIMEOUT)
        return await self.timed("sign in", work)

    async def open(self, label: str) -> bool:
        async def work():
            await self.page.locator("[data-testid='stSidebar'] [data-testid='stPageLink-NavLink']").filter(
                has_text=label).first.click()
            await self.page.locator("[data-testid='stMain'] h1").filter(has_text=label).first.wait_for(
                timeout=TIMEOUT)
        return await self.timed(f"open {label}", work)


async def secondee(person: Person) -> None:
    page = person.page
    if not await person.sign_in():
        return
    await page.locator("[data-testid='stForm']").first.wait_for(timeout=TIMEOUT)
    for k in range(1, 4):
        title = f"负载测试 {person.who} 第 {k} 条"

        async def save(title=title, k=k):
            form = page.locator("[data-testid='stForm']").first
            await form.get_by_text(("辅导员", "宣传员", "协调员")[k - 1], exact=True).click()
            await form.get_by_label("标题").fill(title)
            await form.get_by_label("工作内容").fill(f"走访企业第 {k} 次，了解用工需求")
            await form.get_by_role("button", name=re.compile("保存这一条")).click()
            await page.get_by_text(title).first.wait_for(timeout=TIMEOUT)
        if await person.timed("my week: save an entry", save):
            person.saved.append(title)

    async def submit():
        await page.get_by_role("button", name=re.compile("提交本周周志")).click()
        await page.get_by_role("dialog").get_by_role("button", name=re.compile("提交本周周志")).click()
        await page.get_by_text("正在等待审核").first.wait_for(timeout=TIMEOUT)
    person.submitted = await person.timed("my week: submit", submit)
    await person.open("经验做法库")
    await person.open("问题反馈")


async def reviewer(person: Person, index: int, spread: int) -> None:
    page = person.page
    if not await person.sign_in():
        return
    for round_ in range(ROUNDS):
        if not await person.open("周志审核"):
            continue
        items = page.locator("[data-testid='stExpander']").filter(has_text=re.compile(r"\d{4}-W\d{2} · \d+ 条"))
        count = await items.count()
        if count:
            # Pinned by its heading (person, batch, week), not by its place: another reviewer's approval shifts
            # the queue, and the n-th week would then be a different, closed one.
            heading = await items.nth((index + round_ * spread) % count).locator("summary").inner_text()
            who = re.search(r"[^\s]+（[^）]*）· \d{4}-W\d{2}", heading)[0]      # the arrow icon's name left out
            item = items.filter(has=page.locator("summary", has_text=who)).first
            state: dict = {}

            async def approve(item=item, state=state, who=who):
                from playwright.async_api import TimeoutError as Waited

                button = item.get_by_role("button", name=re.compile("通过$"))
                deadline = time.monotonic() + TIMEOUT / 1000
                while not await button.is_visible():
                    if not await item.count():
                        return             # another reviewer approved it meanwhile: it left the queue
                    if time.monotonic() > deadline:
                        raise Waited(f"the approve button of {who} never showed")
                    # Opened once (the page runs again to draw the week's entries and buttons); a second click
                    # while that run is slow would close it again.
                    if not await item.locator("details").first.evaluate("d => d.open"):
                        person.mark(f"open {who}")
                        await item.locator("summary").click()
                    try:
                        await button.wait_for(state="visible", timeout=5_000)
                    except Waited:
                        pass
                await person.ready()       # as a person does: the week drawn and the page still (a click while
                person.mark(f"click 通过 on {who}")     # the page shifts under the pointer may land on nothing)
                await button.click()
                person.mark("clicked")
                done = page.get_by_text(APPROVED).or_(page.get_by_text(TAKEN))
                await done.first.wait_for(timeout=TIMEOUT)
                state["text"] = await done.first.inner_text()
            if await person.timed("review: approve a week", approve):
                found = APPROVED.search(state.get("text", ""))
                if found:
                    person.approved.append((found[1], found[2]))
                else:
                    person.taken += 1
        for label in ("问题反馈", "履职覆盖", "人员名册", "总览"):
            await person.open(label)


def cpu_seconds(pids: list[int] | None = None, name: str | None = None) -> float:
    """CPU time (user + system, seconds) used so far by the processes ``pids`` or by every process whose name
    starts with ``name`` (Chromium's browser, renderers and helpers), read from ``/proc``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or (pids is not None and int(entry.name) not in pids):
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:                               # the process ended meanwhile
            continue
        comm, fields = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name is None or comm.startswith(name):
            total += int(fields[11]) + int(fields[12])    # utime, stime
    return total / tick


def verify(store: db.Store, people: list[tuple[Person, dict | None]]) -> list[str]:
    """What each person was told was done, looked up in the database: the lost saves (empty when none)."""
    lost = []
    for person, who in people:
        if who is not None:
            titles = {r["title"] for r in store.rows("select title from activities where participant_id = ? and "
                                                     "week = ?", (who["participant_id"], who["week"]))}
            lost += [f"{person.who}: entry {t!r}" for t in person.saved if t not in titles]
            state = store.scalar("select state from week_reviews where participant_id = ? and week = ?",
                                 (who["participant_id"], who["week"]))
            if person.submitted and state not in ("submitted", "approved"):
                lost.append(f"{person.who}: week {who['week']} is {state!r} after it was submitted")
        for name, week in person.approved:           # (two people may share a name: any of them will do)
            if not store.scalar("select count(*) from week_reviews w join participants p on p.id = w.participant_id "
                                "join users u on u.id = w.reviewed_by where p.name = ? and w.week = ? and "
                                "w.state = 'approved' and u.username = ?", (name, week, person.who)):
                lost.append(f"{person.who}: the approval of {name} {week} is not recorded")
    return lost


async def run(n: int, path: Path, secondees: list[dict], reviewers: list[str], url: str, server_pid: int) -> dict:
    from playwright.async_api import async_playwright

    timings: dict[str, list[float]] = {}
    errors: list[str] = []
    people: list[tuple[Person, dict | None]] = []
    started = time.perf_counter()
    server_cpu = cpu_seconds([server_pid])
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)

        async def person(username: str):
            context = await browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
            context.set_default_timeout(TIMEOUT)
            return Person(await context.new_page(), url, username, timings, errors, server_pid)

        if n == 1:                                    # the baseline: one person at a time
            first = await person(secondees[0]["username"])
            people.append((first, secondees[0]))
            await secondee(first)
            second = await person(reviewers[0])
            people.append((second, None))
            await reviewer(second, 0, 1)
        else:
            tasks = []
            for i in range(n):
                if i % 2 == 0:
                    who = secondees[i // 2]
                    p = await person(who["username"])
                    people.append((p, who))
                    tasks.append(secondee(p))
                else:
                    p = await person(reviewers[i // 2])
                    people.append((p, None))
                    tasks.append(reviewer(p, i // 2, len(reviewers)))
            await asyncio.gather(*tasks)
        browser_cpu = cpu_seconds(name="chrom")       # before the contexts close and their renderers end
        await browser.close()
    elapsed = time.perf_counter() - started
    server_cpu = cpu_seconds([server_pid]) - server_cpu
    status = Path(f"/proc/{server_pid}/status").read_text()
    server_peak_mb = int(re.search(r"VmHWM:\s+(\d+)", status)[1]) / 1024    # the server's peak resident memory
    store = db.open_store(path)
    lost = verify(store, people)

    actions = {a: {"count": len(v), "p50_s": round(statistics.median(v), 2), "p95_s": round(pct(v, 0.95), 2)}
               for a, v in timings.items()}
    every = [x for v in timings.values() for x in v]
    later = [x for a, v in timings.items() if a != "sign in" for x in v]
    return {"contexts": n, "seconds": round(elapsed, 1), "actions": actions,
            "all": {"count": len(every), "p50_s": round(statistics.median(every), 2) if every else None,
                    "p95_s": round(pct(every, 0.95), 2) if every else None},
            # every action after signing in (a new context's sign-in is its first load of Streamlit's scripts)
            "after_sign_in": {"count": len(later), "p50_s": round(statistics.median(later), 2) if later else None,
                              "p95_s": round(pct(later, 0.95), 2) if later else None},
            "per_second": round(len(every) / elapsed, 2),
            # where the two cores went: the app server's and the browser's CPU seconds per action
            "cpu_s_per_action": {"server": round(server_cpu / max(1, len(every)), 2),
                                 "browser": round(browser_cpu / max(1, len(every)), 2)},
            "server_peak_mb": round(server_peak_mb),
            "errors": errors,
            "taken_by_another": sum(p.taken for p, _ in people),
            "saved": sum(len(p.saved) for p, _ in people), "approved": sum(len(p.approved) for p, _ in people),
            "lost": lost}


RUN_LINE = re.compile(r"run of (\S+) took ([\d.]+) s \((\w+)\)")


def server_runs(log: Path) -> dict:
    """The server's own time per script run (every run is logged: ``SECONDMENT_SLOW_RUN_SECONDS=0``): p50 and
    p95 of the runs that ended, all pages together and the slowest page's, and how many runs ended how. Beside
    the browser's times it tells how much of a wait was the app's work and how much the browser's drawing."""
    runs = [(m[1], float(m[2]), m[3]) for m in RUN_LINE.finditer(log.read_text(errors="replace"))]
    ends = dict(Counter(how for _, _, how in runs))
    pages: dict[str, list[float]] = {}
    for page, took, how in runs:
        if how in ("done", "stopped"):
            pages.setdefault(page, []).append(took)
    done = [took for took_by_page in pages.values() for took in took_by_page]
    if not done:
        return {"count": 0, "ends": ends}
    worst = max(pages, key=lambda p: pct(pages[p], 0.95))
    return {"count": len(done), "p50_s": round(pct(done, 0.5), 3), "p95_s": round(pct(done, 0.95), 3),
            "slowest_page": worst, "slowest_page_p95_s": round(pct(pages[worst], 0.95), 3), "ends": ends,
            "pages": {p: {"count": len(v), "p50_s": round(pct(v, 0.5), 3), "p95_s": round(pct(v, 0.95), 3)}
                      for p, v in sorted(pages.items())}}


def main(argv: list[str]) -> int:
    split = "--split-cores" in argv         # the server on the first core, this driver and Chromium on the rest
    source, *counts = [a for a in argv if a != "--split-cores"]
    cores = sorted(os.sched_getaffinity(0))
    if split and len(cores) < 2:
        print("--split-cores needs two cores", file=sys.stderr)
        return 2
    os.environ["SECONDMENT_SLOW_RUN_SECONDS"] = "0"     # the server logs every run's time (server_runs)
    for n in (int(c) for c in counts):
        with tempfile.TemporaryDirectory() as folder:
            path, secondees, reviewers = prepare(Path(source), Path(folder), n)
            log = Path(folder) / "streamlit.log"
            server = LiveServer(path, log, cpus={cores[0]} if split else None)
            if split:                            # Chromium, started below, inherits this process's cores
                os.sched_setaffinity(0, set(cores[1:]))
            result: dict = {"errors": []}
            try:
                result = asyncio.run(run(n, path, secondees, reviewers, server.url, server.proc.pid))
                print(json.dumps(result, ensure_ascii=False), flush=True)
            finally:
                server.stop()
                os.sched_setaffinity(0, set(cores))
            if log.exists():
                result["server_runs"] = server_runs(log)
                print(json.dumps({"contexts": n, "server_runs": result["server_runs"]}, ensure_ascii=False),
                      flush=True)
            if log.exists():                    # the server's own account of the run (every run's time), kept
                EVIDENCE.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(log, EVIDENCE / f"server_{n}_people.log")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
