"""Partnerships between organisations, and the packets that carry a referral from one to the other.

Nothing else crosses organisations. A packet holds what the survivor's consent covers,
category by category, and nothing else; accepting it opens a new case at the receiving end,
with its own code. The two cases are never linked where a page could see it: the sender's
pages read packets through the sender's referral, the receiver's through its inbox, and
the one row that joins a packet to the case it opened (``PacketLink``) is read only by the
services that carry answers and notices between the two ends.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.access.models import Organisation
from casework.cases.choices import (
    AgeBand,
    Language,
    Nationality,
    Region,
    RiskLevel,
    ServiceType,
    ShareCategory,
    Urgency,
)
from casework.identity import crypto
from casework.keystore import services as keystore
from casework.keystore.fields import SealedModel, SealedTextField


class PartnershipQuerySet(models.QuerySet):
    def of(self, organisation):
        return self.filter(Q(first=organisation) | Q(second=organisation))

    def live(self):
        """Proposed or active: not ended."""
        return self.filter(ended_at__isnull=True)

    def active(self):
        return self.filter(ended_at__isnull=True, active_since__isnull=False)

    def between(self, one, other):
        low, high = sorted([one.pk if hasattr(one, "pk") else one, other.pk if hasattr(other, "pk") else other])
        return self.filter(first_id=low, second_id=high)


def active_partners(organisation_id):
    """The organisations in an active partnership with this one."""
    live = Partnership.objects.active().filter(Q(first_id=organisation_id) | Q(second_id=organisation_id))
    ids = {pk for pair in live.values_list("first_id", "second_id") for pk in pair} - {organisation_id}
    return Organisation.objects.filter(pk__in=ids).order_by("name")


def partner_directory(organisation_id):
    """The directory entries of this organisation's active partners (what each offers, where, how to reach it)."""
    live = Partnership.objects.active().filter(Q(first_id=organisation_id) | Q(second_id=organisation_id))
    return list(
        PartnerSide.objects.filter(partnership__in=live)
        .exclude(organisation_id=organisation_id)
        .select_related("organisation", "partnership")
        .order_by("organisation__name")
    )


class Partnership(models.Model):
    """Two organisations that may send each other packets: proposed by an administrator of
    each, confirmed by a supervisor of each (for a partner on another server: by comparing
    its key's fingerprint aloud). Either side may end it: no new packets, while those already
    sent can still be answered."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The organisation with the lower id first, so that a pair is one row.
    first = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    active_since = models.DateTimeField(_("active since"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = PartnershipQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("partnership")
        verbose_name_plural = _("partnerships")
        constraints = [
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="partnership_pair_ordered"),
            models.UniqueConstraint(
                fields=["first", "second"], condition=Q(ended_at__isnull=True), name="partnership_one_live_per_pair"
            ),
        ]

    def __str__(self):
        return f"partnership {self.uid}"

    @property
    def is_active(self):
        return self.active_since is not None and self.ended_at is None

    def side_of(self, organisation):
        """This partnership's side of ``organisation`` (its proposal, confirmation, directory entry)."""
        organisation_id = getattr(organisation, "pk", organisation)
        return next(side for side in self.sides.all() if side.organisation_id == organisation_id)

    def other_side(self, organisation):
        organisation_id = getattr(organisation, "pk", organisation)
        return next(side for side in self.sides.all() if side.organisation_id != organisation_id)


class PartnerSide(models.Model):
    """One organisation's side of a partnership: who proposed and confirmed it there, and
    its entry in the other's partner directory (what it offers, where, in which languages,
    how to reach it safely). Regions are a province or a country, never finer."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="sides")
    organisation = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="partner_sides")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    services = models.JSONField(_("services offered"), default=list, blank=True)
    regions = models.JSONField(_("regions served"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    reach = models.CharField(
        _("how to reach it safely"),
        max_length=300,
        blank=True,
        help_text=_("A channel and when to use it; never a person's private number."),
    )
    # A partner on another server: its public keys, as its key card gave them (base64).
    signing_key = models.CharField(_("signing key"), max_length=100, blank=True, editable=False)
    agreement_key = models.CharField(_("encryption key"), max_length=100, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partnership", "organisation"]
        constraints = [
            models.UniqueConstraint(fields=["partnership", "organisation"], name="partner_side_once"),
        ]

    def __str__(self):
        return f"{self.organisation} in {self.partnership}"

    def services_display(self):
        return [label for value, label in ServiceType.choices if value in self.services]

    def regions_display(self):
        return [label for value, label in Region.choices if value in self.regions]

    def languages_display(self):
        return [label for value, label in Language.choices if value in self.languages]


class PacketStatus(models.TextChoices):
    AWAITING_APPROVAL = "approval", _("Waiting for a supervisor's approval")
    SENT = "sent", _("Waiting for the partner")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")


# A packet in one of these waits for someone: it can still be withdrawn.
OPEN_PACKET = (PacketStatus.AWAITING_APPROVAL, PacketStatus.SENT)
# On its way or accepted: one such packet per referral at most.
LIVE_PACKET = [*OPEN_PACKET, PacketStatus.ACCEPTED]


class DeclineReason(models.TextChoices):
    NO_CAPACITY = "no_capacity", _("No capacity at the moment")
    NOT_OUR_SERVICE = "not_our_service", _("We do not offer this service")
    NOT_OUR_REGION = "not_our_region", _("Outside the regions we serve")
    NOT_SAFE = "not_safe", _("We cannot reach her safely")
    NOT_ENOUGH = "not_enough", _("Not enough information to act on")
    ALREADY_SUPPORTED = "already_supported", _("She is already supported by us")
    OTHER = "other", _("Another reason (we will say by a safe channel)")


class Answer(models.TextChoices):
    """What the receiving organisation tells the sender after accepting."""

    STARTED = "started", _("Service started")
    COMPLETED = "completed", _("Completed")


class ConsentNotice(models.TextChoices):
    NONE = "", _("None")
    WAITING = "waiting", _("Waiting for a supervisor's decision")
    ERASED = "erased", _("Identity details erased")
    KEPT = "kept", _("Kept, with a reason")


class Packet(SealedModel):
    """What one referral shares with a partner organisation: the categories her consent
    covers, each value copied when the packet was built. Identity values travel encrypted,
    bound to the packet. Once the packet is accepted, declined or withdrawn its content is
    wiped: the receiver's case holds what was accepted, and nothing else lingers here."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    partnership = models.ForeignKey(Partnership, on_delete=models.PROTECT, related_name="packets")
    sender = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    # The sender's side; null at a receiving server that imported the packet from a file.
    referral = models.ForeignKey(
        "cases.Referral", on_delete=models.SET_NULL, null=True, blank=True, related_name="packets"
    )
    status = models.CharField(_("status"), max_length=10, choices=PacketStatus.choices)
    categories = models.JSONField(_("what it holds"), default=list)
    service_type = models.CharField(_("service"), max_length=20, choices=ServiceType.choices)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    needs = models.JSONField(_("needs"), default=list, blank=True)  # [{"category", "urgency"}]
    risk_level = models.CharField(_("risk"), max_length=10, choices=RiskLevel.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, blank=True)
    nationality = models.CharField(_("nationality"), max_length=10, blank=True)
    region = models.CharField(_("region"), max_length=10, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    identity = models.JSONField(default=dict, blank=True, editable=False)  # {field: token}
    note = SealedTextField(_("handover note"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("built"), default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decline_reason = models.CharField(_("reason"), max_length=20, choices=DeclineReason.choices, blank=True)
    # The survivor withdrew her consent after the partner accepted: the receiving supervisor decides.
    consent_withdrawn_on = models.DateField(_("consent withdrawn"), null=True, blank=True)
    consent_notice = models.CharField(max_length=10, choices=ConsentNotice.choices, blank=True, default="")
    # Arrived as a file from a partner on another server.
    imported = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("packet")
        verbose_name_plural = _("packets")
        indexes = [models.Index(fields=["recipient", "status", "sent_at"], name="packet_inbox")]
        constraints = [
            # One packet on its way (or accepted) per referral: a second click never sends two.
            models.UniqueConstraint(
                fields=["referral"],
                condition=Q(status__in=LIVE_PACKET),
                name="packet_one_live_per_referral",
            ),
            models.CheckConstraint(condition=~Q(sender=models.F("recipient")), name="packet_between_two"),
            models.CheckConstraint(
                condition=Q(status__in=[value for value, _label in PacketStatus.choices]), name="packet_status_valid"
            ),
        ]

    def __str__(self):
        return f"packet {self.uid}"

    @property
    def is_open(self):
        return self.status in OPEN_PACKET

    def identity_context(self, name):
        # Bound to this packet and field: a token moved to another packet or field fails.
        return f"packet:{self.uid}:{name}"

    # What a packet carries is encrypted under a key of its own (casework.keystore), named by
    # its uid and wrapped by the receiving organisation's key. The key is destroyed when the
    # packet closes and its content is wiped (and with the receiving organisation): a backup
    # made while it was on its way then opens nothing of it either.
    def sealing_key(self, *, create):
        return keystore.case_key(self.uid, self.recipient_id, create=create and self._state.adding)

    def seal_context(self, name):
        return f"packet:{self.uid}:{name}:v{self.version}"

    def seal_identity(self, name, text):
        """``text`` (an identity value, dumped) encrypted for this packet's field ``name``."""
        return crypto.seal(self.sealing_key(create=True), text, self.identity_context(name))

    def open_identity(self, name):
        """The dumped identity value ``name`` of this packet (a packet built before per-case
        keys holds it under CASEWORK_FIELD_KEYS)."""
        token = self.identity[name]
        if crypto.is_sealed(token):
            return crypto.unseal(self.sealing_key(create=False), token, self.identity_context(name))
        return crypto.decrypt(token, self.identity_context(name))

    def needs_display(self):
        categories, urgencies = dict(ServiceType.choices), dict(Urgency.choices)
        return [
            (categories.get(need["category"], need["category"]), urgencies.get(need["urgency"], need["urgency"]))
            for need in self.needs
        ]

    def categories_display(self):
        return [label for value, label in ShareCategory.choices if value in self.categories]

    def region_display(self):
        return dict(Region.choices).get(self.region, "")

    def age_band_display(self):
        return dict(AgeBand.choices).get(self.age_band, "")

    def nationality_display(self):
        return dict(Nationality.choices).get(self.nationality, "")

    def languages_display(self):
        return [label for value, label in Language.choices if value in self.languages]


class PacketLink(models.Model):
    """The one place a packet meets the case it opened at the receiving end. No page reads
    it: the services that carry answers back and consent notices forward do, and only
    they. Neither end's pages, exports or trail ever show the other end's case code."""

    packet = models.OneToOneField(Packet, on_delete=models.CASCADE, related_name="+")
    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    # The identity fields that came with the packet: what a withdrawal of consent may erase.
    identity_fields = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("packet link")

    def __str__(self):
        return f"link of packet {self.packet_id}"  # never a code: this row is what joins the two ends


# Keys and files for partners on another server, kept in their own modules.
from casework.partners.exchange_models import AnswerToSend, ReceivedFile  # noqa: E402, F401
from casework.partners.keys import OrganisationKey  # noqa: E402, F401
