"""A hypothesis state machine awards, spends, returns and reverses at random, and checks after
every step that each grant's money adds up (awarded = spent + returned + remaining), that the
figures match a plain model, and that the books verify."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session

from timebank import ledger
from timebank.banks.operations import create_bank, create_programme
from timebank.grants.models import DEFAULT_BUDGET_LINES, Grant, OverspendPolicy
from timebank.grants.operations import (
    GrantError,
    OverspendRefused,
    award_grant,
    budget_against_actual,
    grant_summary,
    record_spend,
    return_unspent,
    update_settings,
)
from timebank.ledger import ErrorCode, LedgerError

# round sums hit budgets and the grant's floor exactly; the rest probe the checks
pence = st.one_of(
    st.sampled_from([500, 1_000, 5_000, 10_000]), st.integers(-100, 12_000), st.just(0)
)


@dataclass
class ModelGrant:
    grant: Grant
    awarded: int
    budgets: list[int]
    spent: list[int] = field(default_factory=list)
    returned: int = 0
    #: (transfer id, line index, pence) of spends not yet reversed
    spends: list[tuple[int, int, int]] = field(default_factory=list)

    @property
    def remaining(self) -> int:
        return self.awarded - sum(self.spent) - self.returned


def test_grant_money_always_adds_up(session: Session) -> None:
    class Grants(RuleBasedStateMachine):
        @initialize(policy=st.sampled_from(list(OverspendPolicy)))
        def open_programme(self, policy: OverspendPolicy) -> None:
            self.programme = create_programme(session, name="Property", funder="Fund")
            update_settings(session, self.programme, by_user_id=None, overspend_policy=policy)
            self.policy = policy
            self.bank = create_bank(session, name="Property bank", programme=self.programme)
            self.day = self.bank.today() - timedelta(days=1)
            self.grants: list[ModelGrant] = []
            session.commit()

        @rule(amount=st.sampled_from([10_000, 20_000, 300_000]), budget=pence)
        def award(self, amount: int, budget: int) -> None:
            budgets = [max(budget, 0)] * 2 + [0] * (len(DEFAULT_BUDGET_LINES) - 2)
            lines = dict(zip(DEFAULT_BUDGET_LINES, budgets, strict=True))
            try:
                grant = award_grant(
                    session,
                    self.programme,
                    self.bank,
                    amount,
                    date(2025, 5, 1),
                    lines=lines,
                    by_user_id=None,
                )
            except GrantError:
                assert sum(budgets) > amount
                session.rollback()
                return
            session.commit()
            self.grants.append(
                ModelGrant(grant, amount, budgets, spent=[0] * len(DEFAULT_BUDGET_LINES))
            )

        @rule(which=st.integers(0, 5), line=st.integers(0, 7), amount=pence)
        def spend(self, which: int, line: int, amount: int) -> None:
            if not self.grants:
                return
            model = self.grants[which % len(self.grants)]
            target = model.grant.lines[line]
            over = model.spent[line] + amount > model.budgets[line]
            try:
                result = record_spend(
                    session, model.grant, target, amount, self.day, by_user_id=None
                )
            except LedgerError as error:
                session.rollback()
                if amount <= 0:
                    assert error.code == ErrorCode.AMOUNT_MUST_BE_POSITIVE
                else:
                    assert error.code == ErrorCode.EXCEEDS_FLOOR
                    assert amount > model.remaining
                    assert not over or self.policy == OverspendPolicy.WARN
                return
            except OverspendRefused:
                session.rollback()
                assert over and self.policy == OverspendPolicy.REFUSE
                return
            session.commit()
            assert amount > 0 and amount <= model.remaining
            assert result.overspent == over
            model.spent[line] += amount
            model.spends.append((result.transfer.id, line, amount))

        @rule(which=st.integers(0, 5), amount=pence)
        def give_back(self, which: int, amount: int) -> None:
            if not self.grants:
                return
            model = self.grants[which % len(self.grants)]
            try:
                return_unspent(session, model.grant, amount, self.day, by_user_id=None)
            except LedgerError as error:
                session.rollback()
                assert amount <= 0 or (
                    error.code == ErrorCode.EXCEEDS_FLOOR and amount > model.remaining
                )
                return
            session.commit()
            assert 0 < amount <= model.remaining
            model.returned += amount

        @rule(which=st.integers(0, 5), pick=st.integers(0, 50))
        def reverse_a_spend(self, which: int, pick: int) -> None:
            if not self.grants:
                return
            model = self.grants[which % len(self.grants)]
            if not model.spends:
                return
            transfer_id, line, amount = model.spends.pop(pick % len(model.spends))
            ledger.reverse(session, transfer_id, "recorded in error")
            session.commit()
            model.spent[line] -= amount

        @invariant()
        def money_adds_up(self) -> None:
            if not hasattr(self, "grants"):
                return
            for model in self.grants:
                summary = grant_summary(session, model.grant)
                assert summary.awarded == summary.spent + summary.returned + summary.remaining
                assert (summary.awarded, summary.spent, summary.returned, summary.remaining) == (
                    model.awarded,
                    sum(model.spent),
                    model.returned,
                    model.remaining,
                )
                figures = budget_against_actual(session, model.grant)
                assert [f.spent for f in figures] == model.spent
                assert [f.overspent for f in figures] == [
                    s > b for s, b in zip(model.spent, model.budgets, strict=True)
                ]
            report = ledger.verify(session, self.bank.id)
            assert report.ok, report.summary()
            session.rollback()

    run_state_machine_as_test(
        Grants,
        settings=settings(
            max_examples=30,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
