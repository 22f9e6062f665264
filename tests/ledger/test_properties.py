"""A hypothesis state machine drives the ledger with random postings, linked postings,
reversals, replays, limit changes and closures, and checks every invariant after each step
against a plain model of the books."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.operations import create_bank, pot_account
from timebank.db import utcnow
from timebank.ledger import (
    MAX_AMOUNT,
    MAX_HELP_MINUTES,
    PENDING_LIFETIME,
    Account,
    ErrorCode,
    LedgerError,
    PendingTransfer,
    Transfer,
    TransferKind,
    TransferRequest,
    Unit,
)
from timebank.members.operations import member_account, register_member

KINDS = [TransferKind.EXCHANGE, TransferKind.GIFT]
# round amounts hit floors and ceilings exactly; odd ones and edge cases probe the checks
round_amounts = st.sampled_from([15, 30, 60, 60, 120, 600])
amounts = st.one_of(
    round_amounts, st.integers(-30, 240), st.sampled_from([0, MAX_HELP_MINUTES + 1])
)
keys = st.one_of(st.none(), st.sampled_from(["k1", "k2", "k3"]))


@dataclass
class ModelAccount:
    id: int
    balance: int = 0
    floor: int | None = None
    ceiling: int | None = None
    closed: bool = False


@dataclass
class ModelTransfer:
    id: int
    source: int
    target: int
    amount: int
    is_reversal: bool = False
    reversed: bool = False


@dataclass
class ModelPending:
    id: int
    source: int
    target: int
    amount: int
    expires_at: object
    status: str = "pending"


@dataclass
class Model:
    pendings: list[ModelPending] = field(default_factory=list)
    accounts: list[ModelAccount] = field(default_factory=list)
    transfers: list[ModelTransfer] = field(default_factory=list)
    keys: dict[str, tuple[tuple, int]] = field(default_factory=dict)

    def check(
        self, kind: TransferKind, source: int, target: int, amount: int, balances: dict[int, int]
    ) -> ErrorCode | None:
        """The error the ledger must give, in its order of checks; None if it must accept."""
        cap = MAX_HELP_MINUTES if kind in ledger.models.HELP_KINDS else MAX_AMOUNT[Unit.HOURS]
        if amount <= 0:
            return ErrorCode.AMOUNT_MUST_BE_POSITIVE
        if amount > cap:
            return ErrorCode.AMOUNT_TOO_LARGE
        if source == target:
            return ErrorCode.SAME_ACCOUNT
        return self.check_accounts(source, target, amount, balances)

    def check_accounts(
        self, source: int, target: int, amount: int, balances: dict[int, int]
    ) -> ErrorCode | None:
        a, b = self.accounts[source], self.accounts[target]
        if a.closed or b.closed:
            return ErrorCode.ACCOUNT_CLOSED
        if a.floor is not None and balances[source] - amount < a.floor:
            return ErrorCode.EXCEEDS_FLOOR
        if b.ceiling is not None and balances[target] + amount > b.ceiling:
            return ErrorCode.EXCEEDS_CEILING
        return None


def test_the_books_hold_under_random_operations(session: Session) -> None:
    class Books(RuleBasedStateMachine):
        @initialize(
            floors=st.lists(st.sampled_from([None, 0, -60, -600]), min_size=4, max_size=4),
            ceilings=st.lists(st.sampled_from([None, 120, 600]), min_size=4, max_size=4),
        )
        def open_bank(self, floors: list[int | None], ceilings: list[int | None]) -> None:
            self.bank = create_bank(session, name="Property bank")
            self.model = Model()
            self.now = utcnow()
            self.db_accounts: list[Account] = [pot_account(session, self.bank.id)]
            for n in range(3):
                member = register_member(session, self.bank, full_name=f"Member {n}")
                self.db_accounts.append(member_account(session, member.id))
            for index, account in enumerate(self.db_accounts):
                ledger.set_limits(session, account.id, floor=floors[index], ceiling=ceilings[index])
                self.model.accounts.append(
                    ModelAccount(account.id, floor=floors[index], ceiling=ceilings[index])
                )
            session.commit()

        def request(
            self, kind: TransferKind, source: int, target: int, amount: int, key: str | None = None
        ) -> TransferRequest:
            return TransferRequest(
                bank_id=self.bank.id,
                unit=Unit.HOURS,
                kind=kind,
                from_account_id=self.model.accounts[source].id,
                to_account_id=self.model.accounts[target].id,
                amount=amount,
                idempotency_key=key,
            )

        def balances(self) -> dict[int, int]:
            return {i: a.balance for i, a in enumerate(self.model.accounts)}

        def apply(
            self, transfer_id: int, source: int, target: int, amount: int, is_reversal: bool = False
        ) -> None:
            self.model.accounts[source].balance -= amount
            self.model.accounts[target].balance += amount
            self.model.transfers.append(
                ModelTransfer(transfer_id, source, target, amount, is_reversal)
            )

        def attempt(self, action, expected: ErrorCode | None, index: int | None = None):  # type: ignore[no-untyped-def]
            try:
                result = action()
            except LedgerError as error:
                session.rollback()
                assert error.code == expected, (
                    f"expected {expected}, got {error.code}: {error.message}"
                )
                if index is not None:
                    assert error.index == index
                return None
            session.commit()
            assert expected is None, f"expected {expected}, but the ledger accepted"
            return result

        @rule(
            kind=st.sampled_from(KINDS),
            source=st.integers(0, 3),
            to=st.integers(0, 3),
            amount=amounts,
            key=keys,
        )
        def post(
            self, kind: TransferKind, source: int, to: int, amount: int, key: str | None
        ) -> None:
            target = to
            body = (kind, source, target, amount)
            expected = self.model.check(kind, source, target, amount, self.balances())
            replay_of = None
            if (
                expected
                not in (
                    ErrorCode.AMOUNT_MUST_BE_POSITIVE,
                    ErrorCode.AMOUNT_TOO_LARGE,
                    ErrorCode.SAME_ACCOUNT,
                )
                and key in self.model.keys
            ):
                seen_body, replay_of = self.model.keys[key]
                expected = None if seen_body == body else ErrorCode.IDEMPOTENCY_KEY_REUSED
            count = len(self.model.transfers)
            transfer = self.attempt(
                lambda: ledger.post(
                    session, self.request(kind, source, target, amount, key), now=self.now
                ),
                expected,
            )
            if transfer is None:
                return
            if replay_of is not None:
                assert transfer.id == replay_of
                assert len(self.model.transfers) == count
                return
            self.apply(transfer.id, source, target, amount)
            if key is not None:
                self.model.keys[key] = (body, transfer.id)

        @rule(
            legs=st.lists(
                st.tuples(st.integers(0, 3), st.integers(0, 3), round_amounts),
                min_size=2,
                max_size=3,
            )
        )
        def post_linked(self, legs: list[tuple[int, int, int]]) -> None:
            balances = self.balances()
            expected, failed_at = None, None
            for index, (source, target, amount) in enumerate(legs):
                if amount > MAX_HELP_MINUTES:
                    expected = ErrorCode.AMOUNT_TOO_LARGE
                elif source == target:
                    expected = ErrorCode.SAME_ACCOUNT
                if expected:
                    failed_at = index
                    break
            if expected is None:
                for index, (source, target, amount) in enumerate(legs):
                    expected = self.model.check_accounts(source, target, amount, balances)
                    if expected:
                        failed_at = index
                        break
                    balances[source] -= amount
                    balances[target] += amount
            requests = [self.request(TransferKind.GROUP_EXCHANGE, s, t, a) for s, t, a in legs]
            transfers = self.attempt(
                lambda: ledger.post_linked(session, requests, now=self.now), expected, failed_at
            )
            if transfers is not None:
                assert len({t.batch for t in transfers}) == 1
                for transfer, (source, target, amount) in zip(transfers, legs, strict=True):
                    self.apply(transfer.id, source, target, amount)

        @rule(pick=st.integers(0, 1000))
        def reverse(self, pick: int) -> None:
            if not self.model.transfers:
                return
            original = self.model.transfers[pick % len(self.model.transfers)]
            if original.is_reversal:
                expected = ErrorCode.CANNOT_REVERSE_REVERSAL
            elif original.reversed:
                expected = ErrorCode.ALREADY_REVERSED
            else:
                expected = self.model.check_accounts(
                    original.target, original.source, original.amount, self.balances()
                )
            reversal = self.attempt(
                lambda: ledger.reverse(session, original.id, "property test", now=self.now),
                expected,
            )
            if reversal is not None:
                original.reversed = True
                self.apply(
                    reversal.id, original.target, original.source, original.amount, is_reversal=True
                )

        @rule(
            which=st.integers(0, 3),
            floor=st.sampled_from([None, 0, -30, -600]),
            ceiling=st.sampled_from([None, 0, 60, 900]),
        )
        def set_limits(self, which: int, floor: int | None, ceiling: int | None) -> None:
            account = self.model.accounts[which]
            expected = None
            if floor is not None and ceiling is not None and floor > ceiling:
                expected = ErrorCode.INVALID_LIMITS
            elif floor is not None and account.balance < floor:
                expected = ErrorCode.EXCEEDS_FLOOR
            elif ceiling is not None and account.balance > ceiling:
                expected = ErrorCode.EXCEEDS_CEILING
            if self.attempt(
                lambda: ledger.set_limits(session, account.id, floor=floor, ceiling=ceiling),
                expected,
            ):
                account.floor, account.ceiling = floor, ceiling

        @rule(which=st.integers(0, 3))
        def close(self, which: int) -> None:
            account = self.model.accounts[which]
            expected = ErrorCode.BALANCE_NOT_ZERO if account.balance != 0 else None
            if self.attempt(lambda: ledger.close_account(session, account.id), expected):
                account.closed = True

        @rule(source=st.integers(0, 3), to=st.integers(0, 3), amount=round_amounts)
        def pend(self, source: int, to: int, amount: int) -> None:
            expected = ErrorCode.SAME_ACCOUNT if source == to else None
            if expected is None:
                expected = self.model.check_accounts(source, to, amount, self.balances())
            request = self.request(TransferKind.EXCHANGE, source, to, amount)
            pending = self.attempt(lambda: ledger.pend(session, request, now=self.now), expected)
            if pending is not None:
                self.model.pendings.append(
                    ModelPending(pending.id, source, to, amount, self.now + PENDING_LIFETIME)
                )

        @rule(pick=st.integers(0, 1000), decline=st.booleans())
        def settle(self, pick: int, decline: bool) -> None:
            if not self.model.pendings:
                return
            pending = self.model.pendings[pick % len(self.model.pendings)]
            if pending.status == "pending" and pending.expires_at <= self.now:
                pending.status = "expired"
                expected = ErrorCode.PENDING_EXPIRED
            elif pending.status == "expired":
                expected = ErrorCode.PENDING_EXPIRED
            elif pending.status != "pending":
                expected = ErrorCode.ALREADY_RESOLVED
            elif decline:
                expected = None
            else:
                expected = self.model.check_accounts(
                    pending.source, pending.target, pending.amount, self.balances()
                )
            if decline:
                action = lambda: ledger.void(session, pending.id, "no", now=self.now)  # noqa: E731
            else:
                action = lambda: ledger.confirm(session, pending.id, now=self.now)  # noqa: E731
            result = self.attempt(action, expected)
            if expected == ErrorCode.PENDING_EXPIRED:
                session.commit()  # the ledger marked it expired on the way
            if result is None:
                return
            if decline:
                pending.status = "voided"
            else:
                pending.status = "posted"
                self.apply(result.id, pending.source, pending.target, pending.amount)

        @rule(days=st.sampled_from([1, 10, 31]))
        def time_passes(self, days: int) -> None:
            self.now += timedelta(days=days)
            ledger.expire(session, now=self.now, bank_id=self.bank.id)
            session.commit()
            for pending in self.model.pendings:
                if pending.status == "pending" and pending.expires_at <= self.now:
                    pending.status = "expired"

        @invariant()
        def pending_statuses_match_the_model(self) -> None:
            for pending in self.model.pendings:
                stored = session.scalar(
                    select(PendingTransfer.status).where(PendingTransfer.id == pending.id)
                )
                assert stored == pending.status, (pending, stored)
            session.rollback()

        @invariant()
        def the_books_balance(self) -> None:
            report = ledger.verify(session, bank_id=self.bank.id)
            assert report.ok, report.summary()
            session.rollback()

        @invariant()
        def balances_match_the_model(self) -> None:
            for account in self.model.accounts:
                stored = session.scalar(select(Account.balance).where(Account.id == account.id))
                assert stored == account.balance
                assert account.floor is None or stored >= account.floor
                assert account.ceiling is None or stored <= account.ceiling
            count = session.scalar(
                select(func.count(Transfer.id)).where(Transfer.bank_id == self.bank.id)
            )
            assert count == len(self.model.transfers) + self.welcome_transfers()
            session.rollback()

        def welcome_transfers(self) -> int:
            return 0

    run_state_machine_as_test(
        Books,
        settings=settings(
            max_examples=50,
            stateful_step_count=40,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
