"""Safe on a government network: what an attacker or an accident can do to the server, and what it may not."""
from __future__ import annotations

import threading

from conftest import actor_for

from secondment import activities, auth, clock


def test_a_flood_of_failed_sign_ins_never_blocks_another_users_saves(demo_store):
    """32 concurrent wrong passwords (real Argon2) while a secondee saves four entries: every save lands."""
    secondee = actor_for(demo_store, "demo_secondee")
    errors: list[BaseException] = []

    def guess(n):
        try:
            auth.authenticate(demo_store, "demo_admin", f"wrong-{n}", f"10.1.{n // 8}.{n}")
        except (auth.SignInFailed, auth.AccountLocked, auth.SignInBusy):
            pass
        except BaseException as error:  # noqa: BLE001 - anything else is what this test is about
            errors.append(error)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    saved = []
    for n in range(4):
        saved.append(activities.add_entry(demo_store, secondee, secondee.participant_id, date=clock.today(),
                                          role="counsellor", title=f"并发保存第{n + 1}条", hours=1))
    for thread in threads:
        thread.join(120)
    assert not errors
    titles = {r["title"] for r in demo_store.rows("select title from activities where title like '并发保存第%'")}
    assert len(saved) == 4 and titles == {f"并发保存第{n}条" for n in range(1, 5)}
    failures = demo_store.scalar("select count(*) from audit_log where action = 'sign_in_failed'")
    assert 20 <= failures <= 32   # once twenty have failed, the username is held back without a hash
