"""Who is using the app, and what they may do (cxhub/access.py decides).

Shared mode (an [auth] section in .streamlit/secrets.toml): nobody sees a
number before signing in with the company's OpenID Connect provider
(st.login); the person is the provider's verified email and their role
comes from cxhub.toml. Personal mode: the person picks a display name and a
role once per browser session, and every screen says that identities are
not verified."""

from __future__ import annotations

import streamlit as st

from cxhub import access
from cxhub.plaintext import md
from cxhub.ui import gateway

_KEY = "_editor"
PERSONAL_ROLES = ("cmo", "cio", "analyst", "admin")
PERSONAL_NOTE = "Personal mode: identities are not verified."


def _as_dict(value):
    return {k: _as_dict(v) for k, v in value.items()} if hasattr(value, "items") else value


def shared() -> bool:
    """Whether sign-in is configured (shared mode): an [auth] section in the
    secrets Streamlit reads (.streamlit/secrets.toml, or secrets.files)."""
    try:
        return st.secrets.load_if_toml_exists() and access.auth_complete(_as_dict(st.secrets.get("auth")))
    except Exception:  # no secrets at all, or a file Streamlit cannot parse: personal mode
        return False


def person() -> access.Person | None:
    """The person acting in this session: the signed-in person (shared
    mode), the name and role picked (personal mode), else None (a viewer
    who has not picked a name yet)."""
    if not shared():
        return st.session_state.get(_KEY)
    if not st.user.is_logged_in:
        return None
    email = st.user.get("email")
    role = access.load_config(gateway.config_path()).role_for(email, st.user.to_dict())
    if not email or role == access.NO_ACCESS or st.user.get("email_verified") is False:
        return None
    return access.Person(st.user.get("name") or email, role, email=email, verified=True)


# True only while `cxhub serve` warms its caches, before its port is open
# (cxhub/ui/serving.py): the pages then run as a viewer, with no one signed in.
WARMING = {"on": False}


def gate() -> access.Person | None:
    """Before any page: in shared mode, the sign-in for someone signed out
    and a refusal for someone without a role; nothing else is drawn then.
    Returns the person (None: a personal-mode visitor yet to pick a name)."""
    if not shared() or WARMING["on"]:
        return person() if not shared() else None
    if not st.user.is_logged_in:
        st.title("CX Hub")
        st.write("Sign in with your company account to see the shared scorecard.")
        st.button("Sign in", type="primary", icon=":material/login:", on_click=st.login, key="sign_in")
        st.stop()
    who = person()
    if who is None:
        email = st.user.get("email") or "(no email from the provider)"
        st.title("CX Hub")
        st.error(f"{md(email)} has no access to CX Hub. Ask the administrator to add you to cxhub.toml.",
                 icon=":material/block:")
        st.button("Sign out", on_click=st.logout, key="sign_out_refused")
        st.stop()
    return who


def sidebar(who: access.Person | None) -> None:
    """Who is signed in (shared) or the name-and-role picker (personal)."""
    with st.sidebar:
        if shared():
            if who is None:  # only while warming up, before anyone can connect
                return
            st.caption(f"Signed in as **{md(who.who)}** ({who.role_label}).")
            st.button("Sign out", on_click=st.logout, key="sign_out")
            return
        st.caption(f":orange[{PERSONAL_NOTE}] Anyone who reaches this server acts under the name they type.")
        if who:
            st.caption(f"Editing as **{md(who.name)}** ({who.role_label}). Your changes carry this name.")
            st.button("Change name or role", on_click=_forget, key="identity_change")
            return
        with st.form("identity"):
            st.markdown("**Who is editing?**")
            name = st.text_input("Your name", key="identity_name", help="Shown in the change log next to your edits.")
            role = st.radio("You act as", PERSONAL_ROLES, horizontal=True, key="identity_role",
                            format_func=access.ROLE_LABELS.get,
                            help="The CMO and the CIO each give their own scores; an analyst edits "
                                 "initiatives and records decisions; an admin imports data.")
            if st.form_submit_button("Start editing"):
                try:
                    st.session_state[_KEY] = access.Person(name, role)
                    st.rerun()
                except access.Refused as exc:
                    st.error(md(exc.errors[0]))


def _forget() -> None:
    st.session_state.pop(_KEY, None)


def editor() -> access.Person | None:
    """The person if they may edit joint work, else None (pages then show
    the work read-only and say why)."""
    who = person()
    return who if access.may(who, "edit_joint_work") else None


def read_only_reason() -> str:
    who = person()
    if who is None:
        return "Pick your name and role in the sidebar to edit."
    return f"You act as {who.role_label}: your role sees the joint work but does not edit it."


def refused(exc: access.Refused) -> None:
    """Show why a write was refused, rule by rule."""
    st.error("Nothing was saved:\n\n" + "\n".join(f"- {md(e)}" for e in exc.errors), icon=":material/block:")


def saved(message: str, clear: tuple[str, ...] = ()) -> None:
    """Confirm a write on the next run (the page reruns to show the new data).
    `clear`: the form's widget keys, emptied now it is saved (a refused form
    keeps what was typed, so nothing has to be typed twice)."""
    for key in clear:
        st.session_state.pop(key, None)
    st.session_state["_saved"] = message
    st.rerun()


def confirm_saved() -> None:
    """Show the confirmation left by saved(), once."""
    message = st.session_state.pop("_saved", None)
    if message:
        st.toast(message, icon=":material/check:")


def pending_edits(key: str, ids: list[int]) -> dict[int, dict]:
    """The unsaved cell edits of the data editor `key`, by the id of each
    edited row ({row position: changes} as Streamlit keeps them)."""
    state = st.session_state[key] if key in st.session_state else {}
    return {int(ids[int(row)]): dict(changes) for row, changes in state.get("edited_rows", {}).items()}
