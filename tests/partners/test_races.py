"""Two people (or two clicks) at once, committed for real from two connections (PostgreSQL:
SQLite takes one writer at a time, so there is no race to see)."""

import threading

import pytest
from django.db import connection, connections, transaction
from django.test import TransactionTestCase, override_settings

from casework.cases.choices import ShareCategory
from casework.cases.models import Case
from casework.partners import services as partners
from casework.partners.models import Packet, Partnership
from tests.conftest import FAST_HASHERS
from tests.factories import make_admin, make_org
from tests.partners.conftest import build_partners

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="a race needs two writers: PostgreSQL")


def at_once(*calls):
    """Run ``calls`` in threads released together, each in its own transaction; returns
    ("ok", value) or ("refused", exception class name) for each."""
    results, start = [None] * len(calls), threading.Barrier(len(calls))

    def run(index, call):
        try:
            start.wait()
            with transaction.atomic():
                results[index] = ("ok", call())
        except Exception as error:
            results[index] = ("refused", type(error).__name__)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@override_settings(PASSWORD_HASHERS=FAST_HASHERS)
class TestAtOnce(TransactionTestCase):
    databases = {"default", "keystore"}  # each case's key lives in the key store

    def _fixture_teardown(self):
        # The append-only audit table refuses TRUNCATE until its trigger is paused.
        keep = {"django_migrations", "django_content_type", "auth_permission"}
        tables = [table for table in connection.introspection.table_names() if table not in keep]
        with connection.cursor() as cursor:
            for table in ("audit_auditentry", "audit_chainverification"):
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            cursor.execute("TRUNCATE " + ", ".join(f'"{table}"' for table in tables) + " RESTART IDENTITY CASCADE")
            for table in ("audit_auditentry", "audit_chainverification"):
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")

    def test_a_double_click_on_send_sends_one_packet(self):
        w = build_partners()
        partners.approval_setting(by=w.haven_supervisor, required=False)

        def send():
            return partners.packet_build(by=w.haven_lead, referral=w.referral, categories=[ShareCategory.NEEDS]).pk

        results = at_once(send, send)
        assert sorted(outcome for outcome, _value in results) == ["ok", "refused"]
        assert Packet.objects.filter(referral=w.referral).count() == 1
        assert partners.inbox(w.bridge_intake).count() == 1

    def test_two_accepts_open_one_case(self):
        w = build_partners()
        packet = partners.packet_build(by=w.haven_lead, referral=w.referral, categories=[ShareCategory.NEEDS])
        partners.packet_approve(by=w.haven_supervisor, packet=packet)

        def accept(who):
            return lambda: partners.packet_accept(by=who, packet=packet, team=w.bridge_team).pk

        at_once(accept(w.bridge_intake), accept(w.bridge_supervisor))
        assert Case.objects.filter(organisation=w.bridge).count() == 1

    def test_both_administrators_proposing_at_once_make_one_partnership(self):
        one, two = make_org("one"), make_org("two")
        first, second = make_admin(one, username="first"), make_admin(two, username="second")
        entry = {"services": ["shelter"], "regions": ["CN-JL"], "languages": ["ko"], "reach": "Secure messenger"}
        results = at_once(
            lambda: partners.partnership_propose(by=first, partner=two, **entry).pk,
            lambda: partners.partnership_propose(by=second, partner=one, **entry).pk,
        )
        assert [outcome for outcome, _value in results] == ["ok", "ok"]
        partnership = Partnership.objects.get()
        assert all(side.proposed_at is not None for side in partnership.sides.all())
