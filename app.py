"""Entry point: page config, sign-in gate, language, and navigation built from the user's role.

Served as an ASGI app (``app`` at the bottom) so that the session cookie is set by the server, HttpOnly.
Every page's URL always resolves, so nobody meets Streamlit's own (English-only) "page not found":
signed out, every URL shows the sign-in page (and after signing in the same URL opens the page asked
for); signed in, the pages the role may not use stay reachable but hidden, and their own gate refuses.
"""
from __future__ import annotations

import os
import time

import streamlit as st

from secondment import clock, db, navigation, ui


def main() -> None:
    """One run of the app for one browser session."""
    # The icon is the app's own file: a Material icon name would make every browser fetch it from Google's font host,
    # which an intranet cannot reach.
    st.set_page_config(page_title="双岗 · Two-Way Secondment", page_icon=str(ui.ICON), layout="wide")

    try:
        clock.today()
    except clock.BadPin:
        st.error(ui.t("app.bad_pin", value=os.environ.get(clock.PIN_ENV, "")), icon=":material/error:")
        st.stop()

    actor = ui.current_actor()
    ui.sync_cookie()
    ui.localise_builtins()
    ui.app_styles()

    with st.sidebar:
        st.markdown(f"**{ui.t('app.title')}**")
        ui.language_picker(st.sidebar)

    if actor is None:
        sign_in = ui.t("nav.sign_in")
        # The default page is served at "/" (Streamlit ignores its url_path), so /sign_in and /home (where a
        # sign-out or a bookmark may leave the address) are pages of their own, like every page's URL.
        pages = [st.Page("pages/sign_in.py", title=sign_in, icon=":material/login:", url_path="start", default=True)]
        pages += [st.Page("pages/sign_in.py", title=sign_in, url_path=path, visibility="hidden")
                  for path in ("sign_in", "home", *(spec.key for spec in navigation.PAGES))]
        page = st.navigation(pages, position="hidden")
    else:
        allowed = navigation.pages_for(actor)
        sections: dict[str, list] = {}
        for spec in allowed:
            sections.setdefault(ui.t(f"nav.section_{spec.section}"), []).append(
                st.Page(f"pages/{spec.file}", title=ui.t(f"nav.{spec.key}"), icon=spec.icon, url_path=spec.key))
        # As signed out: the default page is "/" (its url_path ignored), so /home needs a page of its own.
        hidden = [st.Page("pages/home.py", title=ui.t("nav.home"), url_path="start", default=True)]
        hidden += [st.Page("pages/home.py", title=ui.t("nav.home"), url_path=path) for path in ("home", "sign_in")]
        hidden += [st.Page(f"pages/{spec.file}", title=ui.t(f"nav.{spec.key}"), url_path=spec.key)
                   for spec in navigation.PAGES if spec not in allowed]
        # Streamlit's own sidebar menu is switched off (.streamlit/config.toml) so that it never lists the
        # pages/ folder by file name; the menu is drawn here from the role's pages, in the session's language.
        page = st.navigation([p for group in sections.values() for p in group] + hidden, position="hidden")
        waiting = ui.todo_counts(actor)   # what waits on each page: "审核周志（3）"
        ui.bell(actor)
        with st.sidebar:
            for title, group in sections.items():
                st.caption(title)
                for item in group:
                    n = waiting.get(item.url_path, 0)   # each page's url_path is its key
                    label = ui.t("app.menu_count", page=item.title, n=n) if n else item.title
                    st.page_link(item, label=label, icon=item.icon, width="stretch")
            st.divider()
            st.caption(ui.tm("app.signed_in_as", name=actor.display_name, role=ui.label("app_role", actor.role)))
            if st.button(ui.t("app.sign_out"), icon=":material/logout:", key="_sign_out"):
                ui.sign_out()
                st.rerun()

    page.run()


if __name__ == "__main__":
    started, outcome = time.perf_counter(), "done"
    try:
        with db.one_connection():      # the run's reads share one connection, closed when the run ends
            main()
    except Exception as error:  # noqa: BLE001 - a fault becomes a message in the person's language, not a traceback
        outcome = "fault"
        ui.fault(error)
    except BaseException as control:   # Streamlit's own: st.rerun (or a newer run replacing this one), st.stop
        outcome = "stopped" if type(control).__name__ == "StopException" else "rerun"
        raise
    finally:
        ui.log_slow_run(started, outcome)
else:
    # Imported by the web server: `streamlit run app.py` finds this ASGI app and serves it (through uvicorn),
    # with the routes that set the session cookie from the server (secondment.web); each browser session then
    # runs this file as its script, which calls main() above.
    from secondment import web

    app = st.App(__file__, routes=web.routes(), middleware=web.middleware(st.get_option("server.baseUrlPath")))
