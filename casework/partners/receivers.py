"""What the partners app hears from the cases app."""

from django.dispatch import receiver

from casework.cases.models import Referral
from casework.cases.services.referrals import consent_withdrawn
from casework.partners import services


@receiver(consent_withdrawn, sender=Referral, dispatch_uid="partners.consent_withdrawn")
def tell_partner_consent_withdrawn(sender, referral, on, **kwargs):
    services.notify_consent_withdrawn(referral, on)
