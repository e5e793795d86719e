"""Every audited model, in one place, with what must never be copied into an entry.

auditlog writes a diff for each create, update and delete of these models. Free-text
fields are redacted whole (auditlog's default mask keeps half the value), so a note
that quotes a name or a phone number never reaches the trail.
"""

from auditlog.registry import auditlog
from django.apps import apps

from casework.identity.models import FIELDS as IDENTITY_FIELDS

REDACTED = "[redacted]"

# model label → free-text fields whose changes are recorded as "[redacted]".
AUDITED_MODELS = {
    "access.Organisation": [],
    "access.Team": [],
    "access.Membership": [],
    "access.Grant": [],
    "access.AccessRequest": [],
    "cases.Case": ["summary"],
    "cases.CaseAssignment": [],
    "cases.ServiceProvider": [],
    "cases.SupportNeed": ["outcome_notes"],
    "cases.Referral": [
        "external_provider",
        "consent_scope_note",
        "consent_recipient",
        "consent_witness",
        "data_shared",
        "next_step",
        "outcome",
    ],
    "cases.ReferralStep": ["note"],
    "cases.Contact": ["place", "notes"],
    "cases.JourneyStep": [],
    # The columns hold ciphertext, but even that stays out of the trail: only "changed".
    "identity.Identity": [f.name for f in IDENTITY_FIELDS],
    "identity.DuplicateAlert": [],
    # identity.IdentityIndex is not here: it is derived from the identity (rebuilt with
    # every change, which the identity's own entry records) and holds only keyed digests.
}
# model label → fields left out of the trail: derived from records audited in their own right.
EXCLUDED_FIELDS = {
    # From the assignments; from the packet accepted (its own entry); from the journey steps.
    "cases.Case": ["has_lead", "from_packet", "stage"],
}
M2M_FIELDS = {
    "access.Membership": {"teams", "supervised_teams"},
    "access.AccessRequest": {"teams"},
    "cases.Referral": {"needs"},
}


def redact(value):
    return REDACTED


def register_models():
    for label, masked in AUDITED_MODELS.items():
        auditlog.register(
            apps.get_model(label),
            mask_fields=masked,
            exclude_fields=EXCLUDED_FIELDS.get(label, []),
            m2m_fields=M2M_FIELDS.get(label, set()),
            serialize_data=False,
        )
