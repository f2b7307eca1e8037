"""Benchmark: ``python -m secondment.bench [--tiers S M L] [--runs N] [--pages overview roster ...] [--browser]``.

Builds synthetic databases at DESIGN.md's tiers (same generator as the demo, in bulk), then prints for every
page and every tab a person can open (as a reviewer, or the role the page is for) the median script-run time
under AppTest, the time spent inside the database in that run, the peak Python memory of one run and the size
of what the run sends to the browser; then each role's home page as that role, and the ten slowest views.
Tabs that open on demand (``st.tabs(on_change="rerun")``) are measured one by one; on the other pages a run
draws every tab, so the page's figure covers them all. ``--browser`` also times full page loads and tab
switches in Debian's Chromium; ``--load 1 5 10 20`` instead runs that many people at once in Chromium (a
secondee's weekly routine and a reviewer's review; ``tests/load_run.py``). Not part of the test suite: the
figures are printed, never asserted.
Aim: every view under 0.3 s at tier M and 0.5 s at tier L (AppTest), a full load under 2 s at L.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from secondment import db, navigation, permissions

ROOT = Path(__file__).resolve().parent.parent
TIERS = ("S", "M", "L")


def build_tier(tier: str, folder: Path) -> Path:
    from secondment import demo

    path = folder / f"bench_{tier}.db"
    if path.exists():
        print(f"tier {tier}: reusing {path}", flush=True)
        return path
    start = time.perf_counter()
    counts = demo.synthetic(path, tier)
    print(f"tier {tier}: built in {time.perf_counter() - start:.1f} s: "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items() if isinstance(v, int)), flush=True)
    return path


def _user_for(store: db.Store, spec: navigation.PageSpec) -> str | None:
    """The account a page is measured as: a reviewer when a reviewer may open it, else the page's role."""
    for role in ("reviewer", "secondee", "liaison", "admin", "viewer"):
        probe = permissions.Actor(None, "probe", role, participant_id=1, department_id=1)
        if permissions.can(probe, spec.action):
            username = _account(store, role)
            if username:
                return username
    return None


# The views of the pages whose tabs are drawn only when opened: the tabs' widget key and, per view, the tab's label
# (its message key; None for the page as it opens) and the role it is measured as (None: the page's own account).
LAZY_TABS: dict[str, tuple[str, tuple[tuple[str | None, str | None], ...]]] = {
    "documents": ("doc_tabs", (("docs.tab_library", None), ("docs.tab_bulletins", None),
                               ("docs.tab_reports", "secondee"), ("docs.tab_reviews", None),
                               ("docs.tab_settings", None))),
    "lifecycle": ("lc_tabs", tuple((f"lifecycle.tab_{k}", None) for k in
                                   ("board", "progress", "attendance", "waiting", "outcomes"))),
    "stint": ("st_tabs", tuple((f"stint.tab_{k}", None) for k in ("agreement", "declarations", "checkins", "visits",
                                                                   "leave", "assessment", "return"))),
    "review": ("rv_tabs_zh", ((None, None), ("review.tab_entries", None), ("review.tab_reviewed", None))),
    "coverage": ("cv_tab_zh", tuple((f"coverage.tab_{k}", None) for k in ("map", "quiet", "balance", "batches",
                                                                          "trends"))),
    "flows": ("fl_tab_zh", tuple((f"flows.tab_{k}", None) for k in ("sankey", "departments", "trends"))),
    "admin": ("admin_tabs", ((None, None), ("admin.tab_units", None), ("holidays.tab", None),
                             ("admin.tab_reminders", None), ("admin.tab_backup", None))),
    # a reviewer sees the items alone; the administrator has the routing editor in a tab beside them
    "feedback": ("fb_main_tabs", ((None, None), ("feedback.tab_items_plain", "admin"),
                                  ("feedback.tab_routing", "admin"))),
}
TARGETS = {"S": 0.3, "M": 0.3, "L": 0.5}


def views_of(spec: navigation.PageSpec) -> list[tuple[str, dict | None, str | None]]:
    """(name, session state, role) for each view of a page: the page as it opens, or each of its views."""
    from secondment import i18n

    if spec.key not in LAZY_TABS:
        return [(spec.key, None, None)]
    key, views = LAZY_TABS[spec.key]
    return [(spec.key, None, role) if label is None else
            (f"{spec.key} › {i18n.translate('zh', label)}", {key: i18n.translate("zh", label)}, role)
            for label, role in views]


def _account(store: db.Store, role: str) -> str | None:
    row = store.one("select username from users where role = ? and active = 1 "
                    "order by username like 'demo_%' desc, id limit 1", (role,))
    return row["username"] if row else None


def _pad(text: str, width: int) -> str:
    """``text`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    import unicodedata

    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 1)


def _child(script: str, arguments: list[str]) -> tuple[list[str], str | None]:
    """Run ``tests/<script>`` in a child process: its output lines, and its last error line if it failed."""
    done = subprocess.run([sys.executable, str(ROOT / "tests" / script), *arguments], capture_output=True, text=True,
                          cwd=ROOT, check=False)
    lines = done.stdout.strip().splitlines()
    if done.returncode == 0:
        return lines, None
    said = (done.stderr or done.stdout).strip().splitlines()
    return lines, said[-1][:100] if said else f"exit status {done.returncode}"


def measure_page(store: db.Store, spec: navigation.PageSpec, username: str, runs: int,
                 state: dict | None = None) -> dict:
    """One page's figures, measured in a child process by ``tests/page_timer.py`` (which drives the page with
    Streamlit's AppTest), so this module, like the rest of the core, never imports Streamlit."""
    arguments = [str(store.path), spec.key, username, str(runs)]
    if state:
        arguments.append(json.dumps(state, ensure_ascii=False))
    lines, error = _child("page_timer.py", arguments)
    return {"error": error} if error else json.loads(lines[-1])


def _row(name: str, username: str, result: dict, target: float) -> str:
    if "error" in result:
        return f"{_pad(name, 30)}{username:<16}  error: {result['error']}"
    verdict = "ok" if result["median_s"] < target else "SLOW"
    return (f"{_pad(name, 30)}{username:<16}{result['median_s']:>9.3f}{result['sql_s']:>8.3f}{result['peak_mb']:>9.1f}"
            f"{result['sent_kb']:>10.0f}  {verdict}")


def measure_browser(store: db.Store, username: str, keys: list[str], runs: int) -> list[dict]:
    """Full page loads and tab switches in Chromium, measured in a child process by ``tests/browser_timer.py``."""
    lines, error = _child("browser_timer.py", [str(store.path), username, str(runs), *keys])
    rows = [json.loads(line) for line in lines if line.startswith("{")]
    return rows + ([{"view": "error", "error": error}] if error else [])


def _folder(given: str | None) -> Path:
    """The folder for the synthetic databases: the one given (kept for reuse), or a new temporary one."""
    folder = Path(given) if given else Path(tempfile.mkdtemp(prefix="secondment-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def load(args) -> int:
    """The load run on each tier's database: per number of people, p50 and p95 per action, errors, lost saves."""
    folder = _folder(args.dir)
    for tier in args.tiers:
        path = build_tier(tier, folder)
        print(f"\ntier {tier}: load run (each person in their own browser context, one Chromium, one app server)")
        for n in args.load:
            lines, error = _child("load_run.py", [str(path), str(n), *(["--split-cores"] if args.split_cores else [])])
            rows = [json.loads(line) for line in lines if line.startswith("{")]
            results = [row for row in rows if "all" in row]
            if error or not results:
                print(f"{n:>3} people: error: {error or 'no result'}")
                continue
            r = results[-1]
            runs = next((row["server_runs"] for row in rows if "server_runs" in row), None)
            print(f"{n:>3} people: {r['all']['count']} actions in {r['seconds']} s ({r['per_second']}/s), "
                  f"p50 {r['all']['p50_s']} s, p95 {r['all']['p95_s']} s (after signing in: p50 "
                  f"{r['after_sign_in']['p50_s']} s, p95 {r['after_sign_in']['p95_s']} s); "
                  f"saved {r['saved']}, approved "
                  f"{r['approved']}, taken by another reviewer {r['taken_by_another']}; errors {len(r['errors'])}, "
                  f"lost {len(r['lost'])}; CPU per action: server {r['cpu_s_per_action']['server']} s, "
                  f"browser {r['cpu_s_per_action']['browser']} s; the server's peak memory {r['server_peak_mb']} MB")
            if runs and runs.get("count"):    # the server's own time per script run, beside the browser's waits
                print(f"      the server's script runs: {runs['count']} ended, p50 {runs['p50_s']} s, p95 "
                      f"{runs['p95_s']} s (slowest page {runs['slowest_page']}, p95 {runs['slowest_page_p95_s']} s); "
                      f"ends {runs['ends']}")
                print("      " + "; ".join(f"{page} {p['count']}× p50 {p['p50_s']} p95 {p['p95_s']}"
                                         for page, p in runs["pages"].items()))
            for action, a in r["actions"].items():
                print(f"      {_pad(action, 28)}{a['count']:>5}{a['p50_s']:>8.2f}{a['p95_s']:>8.2f}")
            for line in r["errors"] + r["lost"]:
                print(f"      ! {line}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m secondment.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", nargs="+", default=["S", "M"], choices=TIERS,
                        help="tiers to build and measure (default S M; L takes several minutes to build)")
    parser.add_argument("--runs", type=int, default=5, help="runs per view (median is printed)")
    parser.add_argument("--pages", nargs="+", default=None, help="page keys (default: all)")
    parser.add_argument("--dir", default=None, help="folder for the synthetic databases (kept for reuse)")
    parser.add_argument("--browser", action="store_true", help="also time full page loads in Chromium")
    parser.add_argument("--load", nargs="+", type=int, default=None, metavar="N",
                        help="instead: a load run with N people at once in Chromium (e.g. --load 1 5 10 20)")
    parser.add_argument("--split-cores", action="store_true",
                        help="with --load: the app server on one core, Chromium on the other")
    args = parser.parse_args(argv)
    if args.load:
        return load(args)
    folder = _folder(args.dir)
    specs = [p for p in navigation.PAGES if args.pages is None or p.key in args.pages]
    for tier in args.tiers:
        path = build_tier(tier, folder)
        store = db.open_store(path)
        target = TARGETS[tier]
        print(f"\ntier {tier}  (target: every view under {target} s)")
        print(f"{'view':<30}{'as':<16}{'median s':>9}{'sql s':>8}{'peak MB':>9}{'sent KB':>10}  verdict")
        measured: list[tuple[str, dict]] = []
        for spec in specs:
            username = _user_for(store, spec)
            if username is None:
                print(f"{spec.key:<30}{'-':<16}  no account for this page")
                continue
            for name, state, role in views_of(spec):
                who = _account(store, role) if role else username
                if who is None:
                    continue
                result = measure_page(store, spec, who, args.runs, state)
                measured.append((name, result))
                print(_row(name, who, result, target), flush=True)
        # Each role's home page, as that role: its to-do list, the bell and the sidebar's counts.
        print("home pages, as each role")
        for role, key in navigation.HOME.items():
            username = _account(store, role)
            if username is None or (args.pages is not None and key not in args.pages):
                continue
            result = measure_page(store, navigation.BY_KEY[key], username, args.runs)
            measured.append((f"home:{role}", result))
            print(_row(f"home:{role}", username, result, target), flush=True)
        timed = sorted((r for r in measured if "error" not in r[1]), key=lambda r: -r[1]["median_s"])
        print(f"slowest ten at tier {tier}: " + ", ".join(f"{n} {r['median_s']:.2f} s" for n, r in timed[:10]))
        if args.browser:
            username = _user_for(store, navigation.BY_KEY["review"])
            print(f"in Chromium, as {username} (full load until the script is done; target 2 s)")
            for row in measure_browser(store, username, [s.key for s in specs if _user_for(store, s) == username],
                                       args.runs):
                if "server_peak_mb" in row:
                    verdict = "ok" if row["server_peak_mb"] < 500 else "HIGH"
                    print(f"{_pad('the server’s peak memory', 40)}{row['server_peak_mb']:>6} MB  {verdict}")
                elif "error" in row:
                    print(f"  error: {row['error']}")
                else:
                    verdict = "ok" if row["median_s"] < 2.0 else "SLOW"
                    first = f"   (first switch {row['first_s']:.2f} s)" if "first_s" in row else ""
                    print(f"{_pad(row['view'], 40)}{row['median_s']:>9.2f}  {verdict}{first}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
