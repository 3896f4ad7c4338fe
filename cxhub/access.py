"""Who may see and change what (the access contract, v1).

Two ways to run. Personal (no sign-in configured): the server listens on
127.0.0.1 only, whoever reaches it picks a name and a role, and every screen
says identities are not verified. Shared (sign-in configured): a person is
the sign-in provider's verified email, and their role comes from the
`[access]` section of `cxhub.toml` beside the database.

Every page and every write asks `may` / `require` here; the writes in
cxhub.joint and cxhub.ingest call `require` themselves, so a refused action
is refused even when the code is called directly.
"""

from __future__ import annotations

import getpass
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

ROLES = ("viewer", "analyst", "cmo", "cio", "admin")
ROLE_LABELS = {"viewer": "viewer", "analyst": "analyst", "cmo": "CMO", "cio": "CIO", "admin": "admin"}
NO_ACCESS = "none"
CONFIG_FILE = "cxhub.toml"


@dataclass(frozen=True)
class Right:
    name: str
    description: str  # as the access table words it
    roles: tuple[str, ...]


# The access table, row by row.
RIGHTS = (
    Right("see_aggregates", "see every page's aggregates and download them", ROLES),
    Right("see_customer_detail", "see customer-level detail unmasked (customer ids, verbatim comments)",
          ("analyst", "cmo", "cio", "admin")),
    Right("edit_joint_work", "add and edit initiatives, record decisions and action items",
          ("analyst", "cmo", "cio", "admin")),
    Right("score_as_cmo", "give the CMO's impact/effort score", ("cmo",)),
    Right("score_as_cio", "give the CIO's impact/effort score", ("cio",)),
    Right("administer", "import data, see rejected rows, see the audit log", ("admin",)),
)
RIGHT = {r.name: r for r in RIGHTS}


class Refused(ValueError):
    """A write that was refused; nothing was changed. `errors` lists each
    reason in words that name the item, the field and the value."""

    def __init__(self, errors: list[str] | str):
        errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(errors))
        self.errors = errors


class AccessRefused(Refused):
    """An action the acting person's role may not take (it is audited)."""


class AccessConfigError(ValueError):
    """A cxhub.toml whose [access] section cannot be used as written."""


def normal_role(role: str) -> str:
    """'CMO' -> 'cmo'; an unknown role is an error naming the known ones."""
    value = str(role).strip().lower()
    if value not in ROLES:
        raise AccessConfigError(f"role {role!r} is not one of {', '.join(ROLES)}")
    return value


@dataclass(frozen=True)
class Person:
    """Who acts: a display name, a role, and how we know who they are.
    verified is true for a signed-in email (shared mode) and for the
    operating-system user running the CLI; false for a name typed in
    personal mode."""

    name: str
    role: str
    email: str | None = None
    verified: bool = False

    def __post_init__(self) -> None:
        if not self.name or not str(self.name).strip():
            raise Refused("Pick a display name before editing.")
        try:
            object.__setattr__(self, "role", normal_role(self.role))
        except AccessConfigError:
            raise Refused(f"Role {self.role!r} is not one of {', '.join(ROLE_LABELS.values())}.") from None
        object.__setattr__(self, "name", str(self.name).strip())

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def who(self) -> str:
        """How the audit names this person: the verified email, cli:<user>,
        or the typed name marked as not verified."""
        if self.verified:
            return self.email or self.name
        return f"{self.name} (not verified)"


def cli_person() -> Person:
    """The CLI acts with the rights of the operating-system user who runs it:
    whoever can run it can already read and write the files."""
    return Person(f"cli:{getpass.getuser()}", "admin", verified=True)


def may(person: Person | None, right: str) -> bool:
    """Whether this person's role has this right (no person: none)."""
    if right not in RIGHT:
        raise KeyError(f"unknown right {right!r}; known: {', '.join(RIGHT)}")
    return person is not None and person.role in RIGHT[right].roles


def require(person: Person | None, right: str, what: str) -> None:
    """Refuse (AccessRefused) unless the person has the right; `what` names
    the action in the message ("Import interactions", "CMO impact")."""
    if not may(person, right):
        who = "Nobody is signed in" if person is None else f"{person.who} acts as {person.role_label}"
        allowed = ", ".join(ROLE_LABELS[r] for r in RIGHT[right].roles)
        raise AccessRefused(f"{what} refused: {who}; only {allowed} may {RIGHT[right].description}.")


def rights_of(role: str) -> list[Right]:
    return [r for r in RIGHTS if normal_role(role) in r.roles]


# ---------------------------------------------------------------- roles from cxhub.toml

@dataclass(frozen=True)
class AccessConfig:
    default_role: str = "viewer"  # any other signed-in person; "none" refuses strangers
    groups_claim: str | None = None
    emails: dict[str, str] = field(default_factory=dict)  # lower-case email -> role
    groups: dict[str, str] = field(default_factory=dict)  # group -> role, in the file's order
    source: str = "defaults (no cxhub.toml)"

    def role_for(self, email: str | None, claims: dict | None = None) -> str:
        """The role of a signed-in person: their email's entry, else the
        first group of [access.groups] they belong to, else the default
        role ("none": no access)."""
        if email and email.strip().lower() in self.emails:
            return self.emails[email.strip().lower()]
        theirs = (claims or {}).get(self.groups_claim) if self.groups_claim else None
        if isinstance(theirs, str):
            theirs = [theirs]
        for group, role in self.groups.items():
            if theirs and group in theirs:
                return role
        return self.default_role


def config_path(db_path: str | os.PathLike) -> Path:
    """cxhub.toml beside the database."""
    return Path(db_path).resolve().parent / CONFIG_FILE


def toml_section(path: str | os.PathLike, section: str, error: type[Exception]) -> dict | None:
    """One section of a cxhub.toml ({} when absent), None when there is no
    file; a file that is not TOML raises `error` naming it."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")).get(section, {})
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: {exc}") from None


def load_config(path: str | os.PathLike) -> AccessConfig:
    """The [access] section of a cxhub.toml; defaults when the file is
    missing. A mistake is an AccessConfigError naming the file and key."""
    data = toml_section(path, "access", AccessConfigError)
    if data is None:
        return AccessConfig()

    def role(value, where: str) -> str:
        if str(value).strip().lower() == NO_ACCESS and where == "default_role":
            return NO_ACCESS
        try:
            return normal_role(value)
        except AccessConfigError as exc:
            raise AccessConfigError(f"{path}: [access] {where}: {exc}") from None

    unknown = set(data) - {"default_role", "groups_claim", "emails", "groups"}
    if unknown:
        raise AccessConfigError(f"{path}: [access] has unknown key(s) {', '.join(sorted(unknown))}; known: "
                                "default_role, groups_claim, emails, groups")
    return AccessConfig(
        default_role=role(data.get("default_role", "viewer"), "default_role"),
        groups_claim=data.get("groups_claim") or None,
        emails={str(e).strip().lower(): role(r, f"emails.{e!r}") for e, r in data.get("emails", {}).items()},
        groups={str(g): role(r, f"groups.{g!r}") for g, r in data.get("groups", {}).items()},
        source=str(path),
    )


# ---------------------------------------------------------------- sign-in

def secrets_files(app_dir: str | os.PathLike) -> list[Path]:
    """Where Streamlit reads secrets from: the app's folder, then the user's."""
    return [Path(app_dir) / ".streamlit" / "secrets.toml", Path.home() / ".streamlit" / "secrets.toml"]


def auth_complete(auth) -> bool:
    """Whether an [auth] section has what Streamlit's OpenID Connect sign-in
    needs: a redirect URI, a cookie secret and a provider's client id."""
    if not isinstance(auth, dict):
        return False
    providers = [auth, *(v for v in auth.values() if isinstance(v, dict))]
    return bool(auth.get("redirect_uri") and auth.get("cookie_secret") and any(p.get("client_id") for p in providers))


def sign_in_configured(app_dir: str | os.PathLike) -> bool:
    """Whether a secrets file Streamlit reads by default configures sign-in."""
    for path in secrets_files(app_dir):
        if not path.exists():
            continue
        try:
            if auth_complete(tomllib.loads(path.read_text(encoding="utf-8")).get("auth")):
                return True
        except tomllib.TOMLDecodeError:
            continue
    return False


LOOPBACK = ("127.0.0.1", "localhost", "::1")

# ---------------------------------------------------------------- masking

# What a role without see_customer_detail sees instead of a verbatim.
WITHHELD = "(withheld: your role sees aggregates only)"


def masked(frame, person: Person | None, text_columns: tuple[str, ...]):
    """A frame as this person may see it: verbatim text columns withheld
    for a role without see_customer_detail (the rows, their scores and
    their count stay)."""
    if may(person, "see_customer_detail"):
        return frame
    return frame.assign(**{c: WITHHELD for c in text_columns if c in frame.columns})
