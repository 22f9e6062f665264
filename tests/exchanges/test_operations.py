"""The one path for recording help: each operation posts, audits exactly once, and never on a
replay; a refusal names the member at fault by their part, not by the words of a message."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.audit import AuditEvent
from timebank.banks.operations import pot_account
from timebank.exchanges import (
    HelpDetails,
    HelpRefused,
    confirm_pending,
    credit_from_pot,
    decline_pending,
    give_gift,
    record_exchange,
    record_group,
    record_pending,
    reverse_exchange,
)
from timebank.ledger import ErrorCode, PendingStatus, Transfer


def events(session: Session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def transfers(session: Session) -> int:
    return session.scalar(select(func.count(Transfer.id))) or 0


@pytest.fixture
def people(session: Session, make_bank, make_member):  # type: ignore[no-untyped-def]
    bank = make_bank()
    return bank, make_member(bank, "Joan Murphy"), make_member(bank, "Seamus Kelly")


def test_an_exchange_is_audited_once_and_its_replay_not_at_all(session: Session, people) -> None:
    bank, joan, seamus = people
    help_given = HelpDetails(minutes=60, idempotency_key="form-1", outcome_areas=("social",))
    first = record_exchange(session, provider=seamus, receiver=joan, help=help_given, via="api")
    session.commit()
    again = record_exchange(session, provider=seamus, receiver=joan, help=help_given, via="api")
    session.commit()
    assert not first.replayed and again.replayed
    assert again.transfer.id == first.transfer.id
    assert transfers(session) == 1
    (event,) = events(session, "exchange.posted")
    assert event.subject == f"transfer:{first.transfer.id}" and event.details == {"via": "api"}
    assert event.bank_id == bank.id


def test_the_same_areas_in_another_order_are_the_same_request(session: Session, people) -> None:
    bank, joan, seamus = people
    key = "form-2"
    one = HelpDetails(minutes=30, idempotency_key=key, outcome_areas=("social", "health"))
    other = HelpDetails(minutes=30, idempotency_key=key, outcome_areas=("health", "social"))
    record_exchange(session, provider=seamus, receiver=joan, help=one)
    assert record_exchange(session, provider=seamus, receiver=joan, help=other).replayed
    with pytest.raises(HelpRefused) as refused:
        record_exchange(
            session,
            provider=seamus,
            receiver=joan,
            help=HelpDetails(minutes=45, idempotency_key=key),
        )
    assert refused.value.code == ErrorCode.IDEMPOTENCY_KEY_REUSED
    session.commit()
    assert len(events(session, "exchange.posted")) == 1


def test_a_refusal_names_the_receiver_at_their_floor(session: Session, people, account_of) -> None:
    bank, joan, seamus = people
    ledger.set_limits(session, account_of(joan).id, floor=-30, ceiling=None)
    with pytest.raises(HelpRefused) as refused:
        record_exchange(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60))
    error = refused.value
    assert error.code == ErrorCode.EXCEEDS_FLOOR
    assert (error.role, error.member, error.account_id) == ("receiver", joan, account_of(joan).id)
    session.rollback()
    assert transfers(session) == 0 and events(session, "exchange.posted") == []


def test_a_refusal_names_the_provider_at_their_ceiling(
    session: Session, people, account_of
) -> None:
    bank, joan, seamus = people
    ledger.set_limits(session, account_of(seamus).id, floor=None, ceiling=30)
    with pytest.raises(HelpRefused) as refused:
        record_exchange(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60))
    assert (refused.value.code, refused.value.role) == (ErrorCode.EXCEEDS_CEILING, "provider")
    assert refused.value.member == seamus


def test_routing_does_not_depend_on_the_words_of_the_message(
    session: Session, people, account_of, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewording the ledger's message must not move the error to another field."""
    bank, joan, seamus = people
    ledger.set_limits(session, account_of(joan).id, floor=0, ceiling=None)
    original = ledger.LedgerError.__init__

    def reworded(self, code, message="", **facts):  # type: ignore[no-untyped-def]
        original(self, code, f"{code.value} (reworded, mentions account {seamus.id} )", **facts)

    monkeypatch.setattr(ledger.LedgerError, "__init__", reworded)
    with pytest.raises(HelpRefused) as refused:
        record_exchange(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60))
    assert refused.value.role == "receiver" and refused.value.member == joan


def test_a_group_refusal_names_the_receiver_who_cannot_receive(
    session: Session, people, make_member, account_of
) -> None:
    bank, joan, seamus = people
    una = make_member(bank, "Una Boyle")
    ledger.set_limits(session, account_of(una).id, floor=0, ceiling=None)
    help_given = HelpDetails(minutes=60, idempotency_key="group-1")
    with pytest.raises(HelpRefused) as refused:
        record_group(session, provider=seamus, receivers=[joan, una], help=help_given)
    assert (refused.value.role, refused.value.member, refused.value.index) == ("receivers", una, 1)
    session.rollback()
    assert transfers(session) == 0
    ledger.set_limits(session, account_of(una).id, floor=-600, ceiling=None)
    first = record_group(session, provider=seamus, receivers=[joan, una], help=help_given)
    again = record_group(session, provider=seamus, receivers=[joan, una], help=help_given)
    session.commit()
    assert [t.id for t in again.transfers] == [t.id for t in first.transfers] and again.replayed
    assert {t.idempotency_key for t in first.transfers} == {"group-1:0", "group-1:1"}
    (event,) = events(session, "group_exchange.posted")
    assert event.details == {"transfers": [t.id for t in first.transfers]}


def test_time_given_to_the_bank_is_paid_from_the_pot_once(
    session: Session, people, account_of
) -> None:
    bank, joan, seamus = people
    help_given = HelpDetails(minutes=120, idempotency_key="pot-1")
    for _ in range(2):
        credit_from_pot(session, bank=bank, members=[joan, seamus], help=help_given)
        session.commit()
    pot = pot_account(session, bank.id)
    session.refresh(pot)
    assert pot.balance == -240 and account_of(joan).balance == 120
    assert len(events(session, "pot_credit.posted")) == 1


def test_a_gift_from_the_pot_and_a_refused_gift_name_their_sides(
    session: Session, people, account_of
) -> None:
    bank, joan, seamus = people
    for _ in range(2):
        give_gift(
            session, bank=bank, giver=None, recipient=joan, minutes=90, idempotency_key="gift-1"
        )
        session.commit()
    assert account_of(joan).balance == 90 and len(events(session, "gift.posted")) == 1
    ledger.set_limits(session, account_of(seamus).id, floor=0, ceiling=None)
    with pytest.raises(HelpRefused) as refused:
        give_gift(session, bank=bank, giver=seamus, recipient=joan, minutes=60)
    assert (refused.value.role, refused.value.member) == ("giver", seamus)


def test_a_reversal_is_audited_once_and_cannot_be_repeated(session: Session, people) -> None:
    bank, joan, seamus = people
    posted = record_exchange(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=60))
    reversal = reverse_exchange(session, posted.transfer, "Logged twice", by_user_id=None)
    session.commit()
    with pytest.raises(HelpRefused) as refused:
        reverse_exchange(session, posted.transfer, "again")
    assert refused.value.code == ErrorCode.ALREADY_REVERSED
    session.rollback()
    (event,) = events(session, "transfer.reversed")
    assert event.details == {"reversal": reversal.id}
    assert transfers(session) == 2


def test_pending_help_is_recorded_confirmed_and_declined_once_each(
    session: Session, people, account_of
) -> None:
    bank, joan, seamus = people
    help_given = HelpDetails(minutes=45, idempotency_key=f"member:{seamus.id}:abc")
    first = record_pending(session, provider=seamus, receiver=joan, help=help_given)
    again = record_pending(session, provider=seamus, receiver=joan, help=help_given)
    session.commit()
    assert not first.replayed and again.replayed and again.pending.id == first.pending.id
    (recorded,) = events(session, "pending.recorded")
    assert recorded.details == {"by_member": seamus.id, "minutes": 45}

    posted = confirm_pending(session, first.pending, by_member_id=joan.id)
    replay = confirm_pending(session, first.pending, by_member_id=joan.id)
    session.commit()
    assert not posted.replayed and replay.replayed and replay.transfer.id == posted.transfer.id
    assert account_of(seamus).balance == 45 and transfers(session) == 1
    (confirmed,) = events(session, "pending.confirmed")
    assert confirmed.details == {"transfer": posted.transfer.id, "by_member": joan.id}

    second = record_pending(
        session, provider=seamus, receiver=joan, help=HelpDetails(minutes=15, idempotency_key="x")
    ).pending
    assert not decline_pending(session, second, "did not happen", by_user_id=None).replayed
    assert decline_pending(session, second, "did not happen").replayed
    session.commit()
    assert second.status == PendingStatus.VOIDED and len(events(session, "pending.declined")) == 1
    with pytest.raises(HelpRefused) as refused:
        confirm_pending(session, second)
    assert refused.value.code == ErrorCode.ALREADY_RESOLVED


def test_pending_help_past_the_floor_names_the_receiver(
    session: Session, people, account_of
) -> None:
    bank, joan, seamus = people
    ledger.set_limits(session, account_of(joan).id, floor=0, ceiling=None)
    with pytest.raises(HelpRefused) as refused:
        record_pending(session, provider=seamus, receiver=joan, help=HelpDetails(minutes=15))
    assert (refused.value.role, refused.value.member) == ("receiver", joan)
    session.rollback()
    assert events(session, "pending.recorded") == []
