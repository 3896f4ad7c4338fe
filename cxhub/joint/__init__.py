"""Joint work, kept in the workspace store (cxhub/workspace.py): the
initiatives both executives score, the steering meetings with their
decisions and action items, and the audit of every change. The agenda and "is it
working?" read the analytics file beside it (cxhub.joint.agenda,
cxhub.joint.progress)."""

from cxhub.access import Person
from cxhub.joint.alert_reviews import acknowledge, make_action, reviewed
from cxhub.audit import read as audit
from cxhub.joint.changes import EditRefused, history
from cxhub.joint.initiatives import (
    ALIGNMENT_DEFINITION, CLOSED, COST_BANDS, DISCUSSION_GAP, FIELD, FIELDS, OWNERS, PRIORITY_DEFINITION,
    STATUSES, Field, create_initiative, expected_change, initiatives, normalize, update_initiatives,
)
from cxhub.joint.meetings import (
    ACTION_STATUSES, actions, add_action, add_decision, decisions, hold_meeting, meetings, set_action_status,
    set_action_statuses,
)

__all__ = [
    "Person", "EditRefused", "audit", "history", "acknowledge", "make_action", "reviewed",
    "ALIGNMENT_DEFINITION", "CLOSED", "COST_BANDS", "DISCUSSION_GAP", "FIELD", "FIELDS", "OWNERS",
    "PRIORITY_DEFINITION", "STATUSES", "Field", "create_initiative", "expected_change", "initiatives", "normalize",
    "update_initiatives",
    "ACTION_STATUSES", "actions", "add_action", "add_decision", "decisions", "hold_meeting", "meetings",
    "set_action_status", "set_action_statuses",
]
