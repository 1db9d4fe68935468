"""The arithmetic of marketplace money, pure: integer minor units only, no I/O, no floats.

A booking's money is a `Balance` (what was charged, the platform fee, refunds, dispute debits and
credits, transfers to the host and their reversals). Every movement is a function returning the new
balance and the ledger entries it writes, so the ledger and the balance never disagree:

    charged = refunded + withheld (disputes) + fee_kept + paid_out + held

- the **platform fee** is `percent` (basis points, rounded half up) + `fixed`, never above the charge;
- a **refund** comes out of the host's share first; only when it reaches into the fee does the
  platform give part of its fee back (a `platform_fee_refund` entry);
- a **dispute** withholds the disputed amount (debit) until it is won (credit) — lost, it stays out;
- the **payout** moves `paid_out` towards `host_share` once due and no dispute is open; a refund or
  a dispute after the transfer makes the target lower, and the difference is reversed.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

CHARGE = "charge"
PLATFORM_FEE = "platform_fee"
REFUND = "refund"
PLATFORM_FEE_REFUND = "platform_fee_refund"
TRANSFER = "transfer"
TRANSFER_REVERSAL = "transfer_reversal"
DISPUTE_DEBIT = "dispute_debit"
DISPUTE_CREDIT = "dispute_credit"
ENTRY_TYPES = (CHARGE, PLATFORM_FEE, REFUND, PLATFORM_FEE_REFUND, TRANSFER, TRANSFER_REVERSAL, DISPUTE_DEBIT,
               DISPUTE_CREDIT)
# Into the platform's balance (+1) or out of it (-1), seen from the booking's money.
SIGN = {CHARGE: 1, REFUND: -1, DISPUTE_DEBIT: -1, DISPUTE_CREDIT: 1, TRANSFER: -1, TRANSFER_REVERSAL: 1}
# Who sees an entry in their transactions: the player, the host, or both.
PLAYER_TYPES = frozenset({CHARGE, REFUND})
HOST_TYPES = frozenset(ENTRY_TYPES)


class MoneyError(ValueError):
    """A movement the balance does not allow (more refunded than remains, a negative amount...)."""


@dataclass(frozen=True)
class FeeRule:
    percent_bps: int  # 1000 = 10 %
    fixed: int  # minor units of the currency


def fee_for(amount: int, rule: FeeRule) -> int:
    """The platform fee on a charge of `amount`: percent rounded half up, plus fixed, at most `amount`."""
    if amount <= 0:
        return 0
    percent = (amount * rule.percent_bps + 5_000) // 10_000
    return min(amount, percent + rule.fixed)


@dataclass(frozen=True)
class Entry:
    entry_type: str
    amount: int  # > 0, minor units


@dataclass(frozen=True)
class Balance:
    charged: int = 0
    fee: int = 0  # the fee taken at the charge
    refunded: int = 0
    debited: int = 0  # dispute debits
    credited: int = 0  # dispute credits (won)
    transferred: int = 0
    reversed: int = 0

    @property
    def withheld(self) -> int:
        return self.debited - self.credited

    @property
    def received(self) -> int:
        """What the platform still has of the player's money."""
        return self.charged - self.refunded - self.withheld

    @property
    def fee_kept(self) -> int:
        return min(self.fee, max(0, self.received))

    @property
    def host_share(self) -> int:
        return max(0, self.received - self.fee_kept)

    @property
    def paid_out(self) -> int:
        return self.transferred - self.reversed

    @property
    def held(self) -> int:
        """The host's money still on the platform (negative: more paid out than owed, to reverse)."""
        return self.host_share - self.paid_out

    @property
    def refundable(self) -> int:
        return max(0, self.charged - self.refunded - self.withheld)


def _positive(amount: int) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise MoneyError("amounts are positive integers of minor units")


def charge(b: Balance, amount: int, fee: int) -> tuple[Balance, list[Entry]]:
    _positive(amount)
    if b.charged:
        raise MoneyError("a booking is charged once")
    if not 0 <= fee <= amount:
        raise MoneyError("the fee is between 0 and the charge")
    entries = [Entry(CHARGE, amount)] + ([Entry(PLATFORM_FEE, fee)] if fee else [])
    return replace(b, charged=amount, fee=fee), entries


def refund(b: Balance, amount: int) -> tuple[Balance, list[Entry]]:
    """A refund to the player: from the host's share first, then from the platform's fee."""
    _positive(amount)
    if amount > b.refundable:
        raise MoneyError("more refunded than remains")
    after = replace(b, refunded=b.refunded + amount)
    entries = [Entry(REFUND, amount)]
    fee_back = b.fee_kept - after.fee_kept
    if fee_back:
        entries.append(Entry(PLATFORM_FEE_REFUND, fee_back))
    return after, entries


def dispute_debit(b: Balance, amount: int) -> tuple[Balance, list[Entry]]:
    _positive(amount)
    if amount > b.received:
        raise MoneyError("more disputed than remains")
    before_fee = b.fee_kept
    after = replace(b, debited=b.debited + amount)
    entries = [Entry(DISPUTE_DEBIT, amount)]
    if before_fee - after.fee_kept:
        entries.append(Entry(PLATFORM_FEE_REFUND, before_fee - after.fee_kept))
    return after, entries


def dispute_credit(b: Balance, amount: int) -> tuple[Balance, list[Entry]]:
    _positive(amount)
    if amount > b.withheld:
        raise MoneyError("more credited than was debited")
    before_fee = b.fee_kept
    after = replace(b, credited=b.credited + amount)
    entries = [Entry(DISPUTE_CREDIT, amount)]
    if after.fee_kept - before_fee:
        entries.append(Entry(PLATFORM_FEE, after.fee_kept - before_fee))
    return after, entries


def transfer(b: Balance, amount: int) -> tuple[Balance, list[Entry]]:
    _positive(amount)
    return replace(b, transferred=b.transferred + amount), [Entry(TRANSFER, amount)]


def reversal(b: Balance, amount: int) -> tuple[Balance, list[Entry]]:
    _positive(amount)
    if amount > b.paid_out:
        raise MoneyError("more reversed than was transferred")
    return replace(b, reversed=b.reversed + amount), [Entry(TRANSFER_REVERSAL, amount)]


def payout_target(b: Balance, *, due: bool, dispute_open: bool) -> int:
    """What should have been paid out to the host by now: the host's share once due and no dispute is
    open; otherwise no more than already paid (and less when a refund or a dispute took some back)."""
    if due and not dispute_open:
        return b.host_share
    return min(b.paid_out, b.host_share)


def payout_move(b: Balance, *, due: bool, dispute_open: bool) -> int:
    """> 0: transfer this much; < 0: reverse this much; 0: nothing to do."""
    return payout_target(b, due=due, dispute_open=dispute_open) - b.paid_out


def platform_balance(entries: list[Entry]) -> int:
    """The booking's money still on the platform, summed from its ledger entries alone."""
    return sum(SIGN.get(e.entry_type, 0) * e.amount for e in entries)


def fees_kept(entries: list[Entry]) -> int:
    return sum(e.amount for e in entries if e.entry_type == PLATFORM_FEE) - sum(
        e.amount for e in entries if e.entry_type == PLATFORM_FEE_REFUND)


def signed_for_host(entry_type: str, amount: int) -> int:
    """How an entry moves the host's earnings: the charge earns, fees/refunds/debits cost."""
    if entry_type in (CHARGE, DISPUTE_CREDIT, PLATFORM_FEE_REFUND):
        return amount
    if entry_type in (PLATFORM_FEE, REFUND, DISPUTE_DEBIT):
        return -amount
    return 0  # transfers and reversals move earned money, they do not earn it
