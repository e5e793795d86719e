"""What the file exchange keeps: the files imported here (so that none imports twice) and
the answers waiting to be sent back to a partner on another server."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.cases.choices import ReferralStatus


class FileKind(models.TextChoices):
    PACKET = "packet", _("A packet")
    ANSWER = "answer", _("An answer")


class ReceivedFile(models.Model):
    """One file imported by this organisation, by its message id: the same file, or a
    copy of it, is refused the second time (a replay). A packet or an answer downloaded
    twice carries two message ids but one uid: that is refused too."""

    organisation = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    message_id = models.CharField(max_length=40, editable=False)
    kind = models.CharField(max_length=10, choices=FileKind.choices, editable=False)
    sender = models.ForeignKey("access.Organisation", on_delete=models.PROTECT, related_name="+")
    # The packet it brought (at the receiver) or answered (at the sender).
    packet = models.ForeignKey("partners.Packet", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    # The uid of the packet (which its answers name) or the answer at the sender's server.
    remote_uid = models.UUIDField(null=True, blank=True, editable=False)
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "received file"
        constraints = [
            models.UniqueConstraint(fields=["organisation", "message_id"], name="received_file_once"),
            models.UniqueConstraint(
                fields=["organisation", "sender", "kind", "remote_uid"],
                condition=Q(remote_uid__isnull=False),
                name="received_uid_once",
            ),
        ]

    def __str__(self):
        return f"received file {self.message_id}"


class AnswerToSend(models.Model):
    """An answer to a packet imported from another server (accepted, declined, service
    started, completed), waiting here to be downloaded as a signed file and sent back."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    packet = models.ForeignKey("partners.Packet", on_delete=models.CASCADE, related_name="+")
    answer = models.CharField(_("answer"), max_length=10, editable=False)
    reason = models.CharField(_("reason"), max_length=20, blank=True, editable=False)
    on = models.DateField(_("date"), editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)
    downloaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = "answer to send"

    def __str__(self):
        return f"answer {self.uid}"

    @property
    def label(self):
        return ReferralStatus(self.answer).label
