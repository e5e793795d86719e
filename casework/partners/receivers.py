"""What the partners app hears from the cases app."""

from django.dispatch import receiver

from casework.cases.models import Referral
from casework.cases.services.referrals import consent_withdrawn, referral_withdrawn
from casework.partners import services


@receiver(consent_withdrawn, sender=Referral, dispatch_uid="partners.consent_withdrawn")
def tell_partner_consent_withdrawn(sender, referral, on, by=None, **kwargs):
    services.notify_consent_withdrawn(referral, on, by=by)


@receiver(referral_withdrawn, sender=Referral, dispatch_uid="partners.referral_withdrawn")
def withdraw_packets_of_a_withdrawn_referral(sender, referral, by=None, **kwargs):
    services.withdraw_open_packets(referral, by=by)
