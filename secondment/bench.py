"""Benchmark: ``python -m secondment.bench [--tiers S M L] [--runs N] [--pages overview roster ...]``.

Builds synthetic databases at DESIGN.md's tiers (same generator as the demo, in bulk), then prints for each
page the median script-run time under AppTest (as a reviewer, or the role the page is for), the time spent
inside the database for that run, and the peak Python memory of one run. Not part of the test suite: the
figures are printed, never asserted. Aim: every page under 0.5 s at tier M and under 2 s at tier L.
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
            row = store.one("select username from users where role = ? and active = 1 "
                            "order by username like 'demo_%' desc, id limit 1", (role,))
            if row:
                return row["username"]
    return None


def measure_page(store: db.Store, spec: navigation.PageSpec, username: str, runs: int) -> dict:
    """One page's figures, measured in a child process by ``tests/page_timer.py`` (which drives the page with
    Streamlit's AppTest), so this module, like the rest of the core, never imports Streamlit."""
    command = [sys.executable, str(ROOT / "tests" / "page_timer.py"), str(store.path), spec.key, username, str(runs)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return {"error": lines[-1][:80] if lines else f"exit status {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m secondment.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--tiers", nargs="+", default=["S", "M"], choices=TIERS,
                        help="tiers to build and measure (default S M; L takes several minutes to build)")
    parser.add_argument("--runs", type=int, default=5, help="runs per page (median is printed)")
    parser.add_argument("--pages", nargs="+", default=None, help="page keys (default: all)")
    parser.add_argument("--dir", default=None, help="folder for the synthetic databases (kept for reuse)")
    args = parser.parse_args(argv)
    folder = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="secondment-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    specs = [p for p in navigation.PAGES if args.pages is None or p.key in args.pages]
    targets = {"M": 0.5, "L": 2.0}
    for tier in args.tiers:
        path = build_tier(tier, folder)
        store = db.open_store(path)
        print(f"\ntier {tier}  (target: under {targets.get(tier, 0.5)} s per page)")
        print(f"{'page':<14}{'as':<16}{'median s':>10}{'sql s':>10}{'peak MB':>10}  verdict")
        for spec in specs:
            username = _user_for(store, spec)
            if username is None:
                print(f"{spec.key:<14}{'-':<16}{'':>10}{'':>10}{'':>10}  no account for this page")
                continue
            result = measure_page(store, spec, username, args.runs)
            if "error" in result:
                print(f"{spec.key:<14}{username:<16}  error: {result['error']}")
                continue
            verdict = "ok" if result["median_s"] < targets.get(tier, 0.5) else "SLOW"
            print(f"{spec.key:<14}{username:<16}{result['median_s']:>10.3f}{result['sql_s']:>10.3f}"
                  f"{result['peak_mb']:>10.1f}  {verdict}", flush=True)
        # Each role's home page, as that role: its to-do list, the bell and the sidebar's counts (target 1 s).
        print("home pages, as each role (target: under 1 s)")
        for role, key in navigation.HOME.items():
            row = store.one("select username from users where role = ? and active = 1 order by "
                            "username like 'demo_%' desc, id limit 1", (role,))
            if row is None or (args.pages is not None and key not in args.pages):
                continue
            result = measure_page(store, navigation.BY_KEY[key], row["username"], args.runs)
            if "error" in result:
                print(f"{'home:' + role:<14}{row['username']:<16}  error: {result['error']}")
                continue
            verdict = "ok" if result["median_s"] < 1.0 else "SLOW"
            print(f"{'home:' + role:<14}{row['username']:<16}{result['median_s']:>10.3f}{result['sql_s']:>10.3f}"
                  f"{result['peak_mb']:>10.1f}  {verdict}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
