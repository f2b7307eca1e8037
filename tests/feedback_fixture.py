"""A small hand-built programme for the feedback tests: four departments, two enterprises, two secondees,
one account per role (two liaisons), and a routing catalogue. Built with plain SQL plus
``auth.create_user``, so the figures in the tests can be worked out by hand."""
from __future__ import annotations

from secondment import auth, db
from secondment.permissions import Actor

PASSWORD = "fixture-password"

# units: id -> (name, kind)
UNITS = {
    1: ("区民政局", "government_department"),
    2: ("区商务委", "government_department"),
    3: ("区总工会", "party_org"),
    4: ("长寿路街道", "street_town"),
    5: ("示例科技有限公司", "enterprise"),
    6: ("样本物流有限公司", "enterprise"),
    7: ("区发改委", "government_department"),
}
DEPT_A, DEPT_B, DEPT_C, DEPT_D, ENT_1, ENT_2, DEPT_HOME = 1, 2, 3, 4, 5, 6, 7
P_CADRE, P_TALENT, P_OTHER = 1, 2, 3
ACTIVITY = 1  # P_CADRE's information-officer entry
OTHER_ACTIVITY = 2  # P_OTHER's entry
ROUTING = {"policy": DEPT_A, "production": DEPT_B, "party_building": DEPT_C, "staff_sentiment": DEPT_C}


def build(store: db.Store) -> dict[str, Actor]:
    """Fill ``store`` (an empty, migrated database); returns the actors by username."""
    with store.write() as conn:
        c = conn.conn
        for uid, (name, kind) in UNITS.items():
            c.execute("insert into units(id, name, kind, active) values (?, ?, ?, 1)", (uid, name, kind))
        c.execute("insert into batches(id, code, direction, intake_year, start_date, end_date) values "
                  "(1, 'C5', 'cadre_to_enterprise', 2025, '2025-09-01', '2027-08-31'), "
                  "(2, 'T4', 'talent_to_government', 2025, '2025-09-01', '2027-08-31')")
        for pid, name, batch, home, host in ((P_CADRE, "张伟", 1, DEPT_HOME, ENT_1),
                                             (P_TALENT, "李娜", 2, ENT_2, DEPT_C),
                                             (P_OTHER, "王芳", 1, DEPT_HOME, ENT_2)):
            c.execute("insert into participants(id, name, batch_id, home_unit_id, host_unit_id, start_date, "
                      "end_date, status) values (?, ?, ?, ?, ?, '2025-09-01', '2027-08-31', 'active')",
                      (pid, name, batch, home, host))
        c.execute("insert into activities(id, participant_id, date, week, role, title, hours) values "
                  "(1, 1, '2026-11-02', '2026-W45', 'info_officer', '走访企业收集用工需求', 3), "
                  "(2, 3, '2026-11-03', '2026-W45', 'coordinator', '协调项目审批', 2)")
        for category, dept in ROUTING.items():
            c.execute("insert into routing(category, department_id) values (?, ?)", (category, dept))
    system = Actor.system()
    users = {
        "fx_admin": {"role": "admin"},
        "fx_reviewer": {"role": "reviewer"},
        "fx_viewer": {"role": "viewer"},
        "fx_secondee": {"role": "secondee", "participant_id": P_CADRE},
        "fx_talent": {"role": "secondee", "participant_id": P_TALENT},
        "fx_other": {"role": "secondee", "participant_id": P_OTHER},
        "fx_liaison_a": {"role": "liaison", "department_id": DEPT_A},
        "fx_liaison_b": {"role": "liaison", "department_id": DEPT_B},
    }
    actors = {}
    for username, spec in users.items():
        role = spec.pop("role")
        auth.create_user(store, system, username, PASSWORD, role, display_name=username, **spec)
        row = store.one("select * from users where username = ?", (username,))
        actors[username] = auth.actor_from_row(row)
    return actors


def built_file(folder):
    """Build the fixture once into ``folder`` and fold its WAL in, so a plain copy carries everything."""
    from pathlib import Path

    path = Path(folder) / "feedback_fixture.db"
    store = db.open_store(path)
    build(store)
    conn = db.connect(path)
    conn.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def copy_of(path, target) -> tuple[db.Store, dict[str, Actor]]:
    """A private copy of a built fixture and its actors by username."""
    import shutil

    shutil.copyfile(path, target)
    store = db.open_store(target)
    actors = {r["username"]: auth.actor_from_row(r) for r in store.rows("select * from users")}
    return store, actors
