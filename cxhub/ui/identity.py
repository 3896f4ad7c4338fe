"""Who is editing: a display name and a role (CMO or CIO), picked once per
browser session and stamped on every change."""

from __future__ import annotations

import streamlit as st

from cxhub import joint
from cxhub.plaintext import md

_KEY = "_editor"


def _forget() -> None:
    st.session_state.pop(_KEY, None)


def editor() -> joint.Editor | None:
    """The sidebar's 'editing as' panel; returns the editor once picked."""
    current = st.session_state.get(_KEY)
    with st.sidebar:
        if current:
            st.caption(f"Editing as **{md(current.name)}** ({current.role}). Your changes carry this name.")
            st.button("Change name or role", on_click=_forget, key="identity_change")
            return current
        with st.form("identity"):
            st.markdown("**Who is editing?**")
            name = st.text_input("Your name", key="identity_name", help="Shown in the change log next to your edits.")
            role = st.radio("You score as", joint.ROLES, horizontal=True, key="identity_role",
                            help="Each executive scores impact and effort independently; "
                                 "you can change only your role's scores.")
            if st.form_submit_button("Start editing"):
                try:
                    st.session_state[_KEY] = joint.Editor(name.strip(), role)
                    st.rerun()
                except joint.EditRefused as exc:
                    st.error(md(exc.errors[0]))
    return None


def refused(exc: joint.EditRefused) -> None:
    """Show why an edit was refused, rule by rule."""
    st.error("Nothing was saved:\n\n" + "\n".join(f"- {md(e)}" for e in exc.errors), icon=":material/block:")


def saved(message: str) -> None:
    """Confirm a write on the next run (the page reruns to show the new data)."""
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
