"""The one catalogue of audit events: every name an entry may carry, what it means in words,
who reviews it, and whether a reviewer should see it before the routine.

``record()`` refuses a name that is not here, so a typo cannot land in the trail; the
review scope asks ``reviewer`` instead of matching name prefixes. Model changes from
auditlog's registry are ``<model>.<verb>`` (see AuditEntry.save) and are listed here too.
An entry is also sensitive whenever its outcome is not "ok" (a denial, a failed
verification), whatever its event.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Who reviews an event.
SUPERVISOR = "supervisor"
ADMIN = "admin"
BOTH = "both"

# What an event is about: the review page and the flags group by it.
VIEW = "view"  # routine page views and lists, folded per person, case and day
REVEAL = "reveal"
EXPORT = "export"
SIGN_IN = "sign_in"
ACCESS = "access"  # accounts, teams, roles, assignments, grants
CHANGE = "change"  # a record of a case changed
AUDIT = "audit"
OTHER = "other"


@dataclass(frozen=True)
class Event:
    name: str
    label: Promise
    reviewer: str
    sensitive: bool = False
    kind: str = OTHER

    def __str__(self) -> str:
        return self.name

    def reviewed_by(self, role: str) -> bool:
        """Whether someone of ``role`` ("supervisor" or "admin") reviews this event."""
        return self.reviewer in (role, BOTH)


CATALOGUE: dict[str, Event] = {}


def _event(name, label, reviewer, *, sensitive=False, kind=OTHER) -> Event:
    if name in CATALOGUE:
        raise ValueError(f"Audit event {name!r} is catalogued twice.")
    CATALOGUE[name] = event = Event(name, label, reviewer, sensitive, kind)
    return event


# Reading cases. A denial of any of these is sensitive through its outcome.
CASE_VIEW = _event("case.view", _("Opened a case page"), SUPERVISOR, kind=VIEW)
CASE_LIST = _event("case.list", _("Listed cases"), SUPERVISOR, kind=VIEW)
CASE_CHANGE = _event("case.change", _("Tried to change a case"), SUPERVISOR, sensitive=True)
CASE_MANAGE = _event("case.manage", _("Tried to manage a case"), SUPERVISOR, sensitive=True)
CASE_REVEAL = _event("case.reveal", _("Tried to reach identity details"), SUPERVISOR, sensitive=True)

# Working on cases.
CASE_OPEN = _event("case.open", _("Opened a new case"), SUPERVISOR, kind=CHANGE)
CASE_CLOSE = _event("case.close", _("Closed a case"), SUPERVISOR, kind=CHANGE)
CASE_REOPEN = _event("case.reopen", _("Reopened a case"), SUPERVISOR, kind=CHANGE)
CASE_ASSIGN = _event("case.assign", _("Assigned someone to a case"), BOTH, sensitive=True, kind=ACCESS)
CASE_UNASSIGN = _event("case.unassign", _("Took someone off a case"), BOTH, sensitive=True, kind=ACCESS)
CASE_MOVE_TEAM = _event("case.move_team", _("Moved a case to another team"), SUPERVISOR, sensitive=True, kind=ACCESS)
# A journey step entered by mistake, taken off with the reason (its diff is journeystep.delete).
JOURNEY_STEP_REMOVE = _event(
    "journey.remove", _("Removed a journey step entered by mistake"), SUPERVISOR, sensitive=True, kind=CHANGE
)

# Erasure, legal hold and retention (casework.retention). The tombstone ("case.erased") is
# the one entry an erasure writes: the code, who, why; never any content of the case.
CASE_ERASE = _event("case.erase", _("Asked to erase a case"), SUPERVISOR, sensitive=True)
CASE_ERASE_CANCEL = _event("case.erase_cancel", _("Cancelled a request to erase a case"), SUPERVISOR, sensitive=True)
CASE_ERASED = _event("case.erased", _("Erased a case: its content is gone"), SUPERVISOR, sensitive=True)
CASE_HOLD = _event("case.hold", _("Placed a legal hold on a case"), SUPERVISOR, sensitive=True)
CASE_HOLD_LIFT = _event("case.hold_lift", _("Lifted a legal hold"), SUPERVISOR, sensitive=True)
RETENTION_RULES = _event("retention.rules", _("Changed the retention rules"), SUPERVISOR, sensitive=True)
RETENTION_EXTEND = _event("retention.extend", _("Postponed a case's erasure under the retention rules"), SUPERVISOR)
RETENTION_APPLY = _event("retention.apply", _("Applied the retention rules"), SUPERVISOR)
ORGANISATION_ERASE_CONFIRM = _event(
    "organisation.erase_confirm", _("Confirmed that the organisation is to be erased"), BOTH, sensitive=True
)
ORGANISATION_ERASED = _event("organisation.erased", _("Erased the organisation at the server"), BOTH, sensitive=True)

# Identity.
IDENTITY_REVEAL = _event("identity.reveal", _("Revealed identity details"), SUPERVISOR, sensitive=True, kind=REVEAL)
IDENTITY_CHANGE = _event("identity.change", _("Tried to edit identity details"), SUPERVISOR, sensitive=True)
IDENTITY_DUPLICATE = _event("identity.duplicate", _("Found a possible duplicate identity"), SUPERVISOR, sensitive=True)
IDENTITY_KEPT_IN_TEXT = _event(
    "identity.kept_in_text", _("Kept a name or phone number in a note"), SUPERVISOR, sensitive=True
)
IDENTITY_ROTATE_KEYS = _event("identity.rotate_keys", _("Re-encrypted identities under a new key"), ADMIN)
IDENTITY_REINDEX = _event("identity.reindex", _("Rebuilt the duplicate index under the current key"), ADMIN)
# Free text that quoted the case's identity: for someone who may not reveal it, accepted
# as if nothing matched and shown only to the supervisors (never back to the writer).
IDENTITY_IN_TEXT = _event("identity.in_text", _("Wrote identity details into free text"), SUPERVISOR, sensitive=True)

# Exports.
EXPORT_CSV = _event("export.csv", _("Exported cases (de-identified)"), BOTH, sensitive=True, kind=EXPORT)
BACKUP_MADE = _event("backup.made", _("Backed up the databases (encrypted)"), ADMIN, sensitive=True, kind=EXPORT)
EXPORT_AUDIT_CSV = _event("export.audit_csv", _("Exported the audit trail"), BOTH, sensitive=True, kind=EXPORT)

# Reports (casework.reports): aggregates only, small counts hidden; a download is an export.
REPORT_VIEW = _event("report.view", _("Looked at a report"), SUPERVISOR, kind=VIEW)
EXPORT_REPORT_CSV = _event(
    "export.report_csv", _("Downloaded a report (CSV or chart)"), BOTH, sensitive=True, kind=EXPORT
)
EXPORT_DONOR = _event("export.donor", _("Made a donor report"), BOTH, sensitive=True, kind=EXPORT)

# Partner organisations and the packets between them. Each side's entries are its own:
# the sender's under her case code, the receiver's under its own, and an entry one side's
# act writes into the other's trail names no actor.
PARTNERSHIP_PROPOSE = _event("partnership.propose", _("Proposed a partnership"), BOTH, sensitive=True, kind=ACCESS)
PARTNERSHIP_CONFIRM = _event("partnership.confirm", _("Confirmed a partnership"), BOTH, sensitive=True, kind=ACCESS)
PARTNERSHIP_END = _event("partnership.end", _("Ended a partnership"), BOTH, sensitive=True, kind=ACCESS)
PARTNERSHIP_DIRECTORY = _event("partnership.directory", _("Changed a partner directory entry"), BOTH, kind=ACCESS)
PACKET_BUILD = _event(
    "packet.build", _("Built a packet for a partner organisation"), SUPERVISOR, sensitive=True, kind=EXPORT
)
PACKET_SEND = _event(
    "packet.send", _("Sent a packet to a partner organisation"), SUPERVISOR, sensitive=True, kind=EXPORT
)
PACKET_ARRIVE = _event("packet.arrive", _("A packet arrived from a partner organisation"), SUPERVISOR)
PACKET_VIEW = _event("packet.view", _("Looked at a packet in the partner inbox"), SUPERVISOR, kind=VIEW)
PACKET_WITHDRAW = _event("packet.withdraw", _("Withdrew a packet"), SUPERVISOR, sensitive=True)
PACKET_ACCEPT = _event(
    "packet.accept", _("Received a packet from a partner organisation: opened this case"), SUPERVISOR, kind=CHANGE
)
PACKET_DECLINE = _event("packet.decline", _("Declined a packet from a partner organisation"), SUPERVISOR)
PACKET_ANSWER = _event("packet.answer", _("A partner organisation answered a packet"), SUPERVISOR, kind=CHANGE)
PACKET_ANSWER_SEND = _event(
    "packet.answer_send", _("Told the sending organisation how the referral goes"), SUPERVISOR, kind=CHANGE
)
PACKET_CONSENT_WITHDRAWN = _event(
    "packet.consent_withdrawn", _("The sending organisation reported consent withdrawn"), SUPERVISOR, sensitive=True
)
PACKET_CONSENT_DECISION = _event(
    "packet.consent_decision", _("Decided what a withdrawal of consent means for a case"), SUPERVISOR, sensitive=True
)
PACKET_FILE_EXPORT = _event(
    "packet.file_export", _("Exported a packet or an answer as a file"), SUPERVISOR, sensitive=True, kind=EXPORT
)
PACKET_FILE_IMPORT = _event(
    "packet.file_import", _("Imported a file from a partner on another server"), SUPERVISOR, sensitive=True
)

# Accounts, teams and access.
ACCESS_CASE = _event("access.case", _("Tried to manage access to a case"), BOTH, sensitive=True, kind=ACCESS)
USER_CREATE = _event("user.create", _("Created an account"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_ADD = _event("membership.add", _("Added someone to the organisation"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_TEAMS = _event("membership.teams", _("Changed someone's teams"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_MOVE = _event("membership.move", _("Moved someone to another team"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_ROLE = _event("membership.role", _("Changed someone's role"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_DEACTIVATE = _event("membership.deactivate", _("Deactivated an account"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_REACTIVATE = _event("membership.reactivate", _("Reactivated an account"), BOTH, sensitive=True, kind=ACCESS)
MEMBERSHIP_OFFBOARD = _event("membership.offboard", _("Took someone off all cases"), BOTH, sensitive=True, kind=ACCESS)
TEAM_CREATE = _event("team.create", _("Created a team"), ADMIN, kind=ACCESS)
TEAM_RENAME = _event("team.rename", _("Renamed a team"), ADMIN, kind=ACCESS)
GRANT_ADD = _event("grant.add", _("Gave someone access to a case"), BOTH, sensitive=True, kind=ACCESS)
GRANT_REMOVE = _event("grant.remove", _("Took away someone's access to a case"), BOTH, sensitive=True, kind=ACCESS)
GRANT_EXPIRE = _event("grant.expire", _("Access to a case expired"), BOTH, sensitive=True, kind=ACCESS)
# Vouching: no account reaches a case until a supervisor who already has that reach vouches
# for it; what an administrator asks that would give case content waits for a supervisor.
ACCESS_VOUCH = _event("access.vouch", _("Vouched for an account"), BOTH, sensitive=True, kind=ACCESS)
ACCESS_UNVOUCH = _event(
    "access.unvouch", _("An account went back to not vouched for"), BOTH, sensitive=True, kind=ACCESS
)
ACCESS_REQUEST = _event(
    "access.request", _("Asked for a change that waits for a supervisor"), BOTH, sensitive=True, kind=ACCESS
)
ACCESS_CONFIRM = _event("access.confirm", _("Confirmed a change of access"), BOTH, sensitive=True, kind=ACCESS)
ACCESS_REFUSE = _event("access.refuse", _("Refused a change of access"), BOTH, sensitive=True, kind=ACCESS)
ACCESS_BOOTSTRAP_SUPERVISOR = _event(
    "access.bootstrap_supervisor",
    _("Made an organisation's first supervisor at the server"),
    BOTH,
    sensitive=True,
    kind=ACCESS,
)
PASSWORD_RESET = _event("password.reset", _("Gave someone a temporary password"), BOTH, sensitive=True, kind=ACCESS)
OTP_RESET = _event("otp.reset", _("Reset someone's second factor"), BOTH, sensitive=True, kind=ACCESS)

# Protecting an account whose phone, laptop or owner is in the wrong hands (casework.accounts.safety).
# For her supervisors only: never shown to the person while it lasts (she reviews nothing then),
# nor to administrators, who could be the ones she is protected from.
ACCOUNT_FREEZE = _event("account.freeze", _("Froze an account"), SUPERVISOR, sensitive=True, kind=ACCESS)
ACCOUNT_UNFREEZE = _event("account.unfreeze", _("Unfroze an account"), SUPERVISOR, sensitive=True, kind=ACCESS)
ACCOUNT_TRAVEL = _event("account.travel", _("Put an account into travel mode"), SUPERVISOR, sensitive=True, kind=ACCESS)
ACCOUNT_TRAVEL_END = _event(
    "account.travel_end", _("Ended an account's travel mode early"), SUPERVISOR, sensitive=True, kind=ACCESS
)
ACCOUNT_DURESS = _event(
    "account.duress", _("Signed in with the duress password"), SUPERVISOR, sensitive=True, kind=SIGN_IN
)
ACCOUNT_DURESS_PASSWORD = _event(
    "account.duress_password", _("Set a duress password"), SUPERVISOR, sensitive=True, kind=ACCESS
)
ACCOUNT_DEVICE_LOST = _event(
    "account.device_lost",
    _("Reported a lost phone: every session ended and the second factor reset"),
    SUPERVISOR,
    sensitive=True,
    kind=ACCESS,
)

# A session opened (or used) while her workspace was emptied, ended when that ended: whoever
# made her sign in does not wake up with her cases (casework.accounts.sessions).
ACCOUNT_SESSION_ENDED = _event(
    "account.session_ended",
    _("A session used while frozen, travelling or under duress ended with the protection"),
    SUPERVISOR,
    sensitive=True,
    kind=SIGN_IN,
)

# A change she sent while her workspace was emptied: nothing was written, and she was shown
# the page a database that does not answer gives (casework.accounts.middleware).
ACCOUNT_CHANGE_REFUSED = _event(
    "account.change_refused",
    _("Sent a change while frozen, travelling or under duress: nothing was changed"),
    SUPERVISOR,
    sensitive=True,
    kind=ACCESS,
)

# Signing in and out.
# The password step alone: a leaked password shows here even when no code follows.
LOGIN_PASSWORD = _event("login.password", _("Gave the right password (first step)"), BOTH, kind=SIGN_IN)
LOGIN_SUCCESS = _event("login.success", _("Signed in"), BOTH, kind=SIGN_IN)
LOGIN_RECOVERY_CODE = _event(
    "login.recovery_code", _("Signed in with a recovery code"), BOTH, sensitive=True, kind=SIGN_IN
)
LOGIN_FAILED = _event("login.failed", _("Failed to sign in"), BOTH, sensitive=True, kind=SIGN_IN)
LOGIN_SECOND_FACTOR = _event(
    "login.second_factor", _("Gave a wrong second-factor code"), BOTH, sensitive=True, kind=SIGN_IN
)
LOGIN_LOCKOUT = _event("login.lockout", _("Sign-in locked after failed attempts"), BOTH, sensitive=True, kind=SIGN_IN)
LOGIN_UNLOCK = _event("login.unlock", _("Unlocked a sign-in"), BOTH, sensitive=True, kind=SIGN_IN)
LOGOUT = _event("logout", _("Signed out"), BOTH, kind=SIGN_IN)
SESSION_EXPIRE = _event("session.expire", _("Session ended"), BOTH, kind=SIGN_IN)
SESSION_END_OTHERS = _event("session.end_others", _("Ended the other sessions"), BOTH, kind=SIGN_IN)
# A quick exit may mean someone was in danger at her screen: worth a look.
SESSION_QUICK_EXIT = _event("session.quick_exit", _("Used the quick exit"), BOTH, sensitive=True, kind=SIGN_IN)
PASSWORD_CHANGE = _event("password.change", _("Changed the password"), BOTH, kind=SIGN_IN)
OTP_ENROL = _event("otp.enrol", _("Set up an authenticator"), BOTH, sensitive=True, kind=SIGN_IN)
OTP_RECOVERY_CODES = _event("otp.recovery_codes", _("Made new recovery codes"), BOTH, sensitive=True, kind=SIGN_IN)

# The audit itself.
AUDIT_VIEW = _event("audit.view", _("Looked at the audit trail"), BOTH, kind=VIEW)
# Supervisors' notes on flags and weeks speak of cases: not for administrators.
AUDIT_FLAG_REVIEW = _event("audit.flag_review", _("Marked a flag reviewed"), SUPERVISOR, kind=AUDIT)
AUDIT_WEEK_REVIEWED = _event(
    "audit.week_reviewed", _("Marked a week of the audit trail reviewed"), SUPERVISOR, kind=AUDIT
)
# Sensitive only when it fails: the outcome makes it so.
AUDIT_VERIFY = _event("audit.verify", _("Verified the audit trail"), BOTH, kind=AUDIT)

# Development only.
DEMO_SEED = _event("demo.seed", _("Loaded demonstration data"), ADMIN)


# Model changes, from auditlog's registry: "<model>.<verb>" for every model in
# casework.audit.registry.AUDITED_MODELS.  (model, reviewer, added, changed, deleted)
_MODEL_CHANGES = [
    (
        "organisation",
        ADMIN,
        _("Created the organisation"),
        _("Changed the organisation"),
        _("Deleted the organisation"),
    ),
    ("team", ADMIN, _("Created a team"), _("Changed a team"), _("Deleted a team")),
    ("membership", BOTH, _("Added a membership"), _("Changed a membership"), _("Deleted a membership")),
    ("grant", BOTH, _("Added a grant"), _("Changed a grant"), _("Deleted a grant")),
    (
        "accessrequest",
        BOTH,
        _("Recorded a request that waits for a supervisor"),
        _("Changed a request that waits for a supervisor"),
        _("Deleted a request that waits for a supervisor"),
    ),
    ("case", SUPERVISOR, _("Created a case record"), _("Changed a case"), _("Deleted a case")),
    ("caseassignment", BOTH, _("Added an assignment"), _("Changed an assignment"), _("Deleted an assignment")),
    (
        "serviceprovider",
        SUPERVISOR,
        _("Added a service provider"),
        _("Changed a service provider"),
        _("Deleted a service provider"),
    ),
    ("supportneed", SUPERVISOR, _("Added a support need"), _("Changed a support need"), _("Deleted a support need")),
    ("referral", SUPERVISOR, _("Added a referral"), _("Changed a referral"), _("Deleted a referral")),
    (
        "referralstep",
        SUPERVISOR,
        _("Added a referral step"),
        _("Changed a referral step"),
        _("Deleted a referral step"),
    ),
    ("contact", SUPERVISOR, _("Added a contact"), _("Changed a contact"), _("Deleted a contact")),
    (
        "journeystep",
        SUPERVISOR,
        _("Recorded a step of her journey"),
        _("Changed a step of her journey"),
        _("Deleted a step of her journey"),
    ),
    ("identity", SUPERVISOR, _("Added identity details"), _("Changed identity details"), _("Deleted identity details")),
    (
        "duplicatealert",
        SUPERVISOR,
        _("Noted a possible duplicate"),
        _("Changed a possible duplicate"),
        _("Deleted a possible duplicate"),
    ),
]
MODEL_VERBS = ("create", "update", "delete")


def _model_changes():
    for model, reviewer, *labels in _MODEL_CHANGES:
        for verb, label in zip(MODEL_VERBS, labels, strict=True):
            name = f"{model}.{verb}"
            if name in CATALOGUE:  # "team.create" is also written by the team service
                continue
            # Identity changes and deletions of any record are worth a look.
            sensitive = verb == "delete" or model == "identity"
            _event(name, label, reviewer, sensitive=sensitive, kind=ACCESS if reviewer != SUPERVISOR else CHANGE)


_model_changes()

# The case door denies "case.<action>" for the action it was asked (casework.cases.models.ACTIONS).
_CASE_ACTIONS = {"view": CASE_VIEW, "change": CASE_CHANGE, "manage": CASE_MANAGE, "reveal": CASE_REVEAL}


def for_case_action(action: str) -> Event:
    """The event of a denied ``action`` on a case: case.view, case.change ..."""
    try:
        return _CASE_ACTIONS[action]
    except KeyError:
        raise ValueError(f"No audit event for case action {action!r}.") from None


def get(event: "Event | str") -> Event:
    """The catalogued event named ``event`` (or ``event`` itself); ValueError if unknown."""
    name = event.name if isinstance(event, Event) else event
    try:
        return CATALOGUE[name]
    except (KeyError, TypeError):
        raise ValueError(f"{name!r} is not an audit event: add it to casework.audit.events.") from None


def label(name: str) -> Promise | str:
    """What an entry's event means, in words; an uncatalogued name (written by an older
    version) is shown as it is rather than hidden."""
    event = CATALOGUE.get(name)
    return event.label if event is not None else name


def names(*, reviewer: str | None = None, kind: str | None = None, sensitive: bool | None = None) -> list[str]:
    """The catalogued names reviewed by ``reviewer`` (supervisor/admin), of ``kind``, sensitive or not."""
    return sorted(
        event.name
        for event in CATALOGUE.values()
        if (reviewer is None or event.reviewed_by(reviewer))
        and (kind is None or event.kind == kind)
        and (sensitive is None or event.sensitive == sensitive)
    )
