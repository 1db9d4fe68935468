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

from chalicelib.payments.facts import PaymentFacts

CHARGE = "charge"
PLATFORM_FEE = "platform_fee"
REFUND = "refund"
PLATFORM_FEE_REFUND = "platform_fee_refund"
TRANSFER = "transfer"
TRANSFER_REVERSAL = "transfer_reversal"
DISPUTE_DEBIT = "dispute_debit"
DISPUTE_CREDIT = "dispute_credit"
ENTRY_TYPES = (
    CHARGE,
    PLATFORM_FEE,
    REFUND,
    PLATFORM_FEE_REFUND,
    TRANSFER,
    TRANSFER_REVERSAL,
    DISPUTE_DEBIT,
    DISPUTE_CREDIT,
)
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
        e.amount for e in entries if e.entry_type == PLATFORM_FEE_REFUND
    )


def signed_for_host(entry_type: str, amount: int) -> int:
    """How an entry moves the host's earnings: the charge earns, fees/refunds/debits cost."""
    if entry_type in (CHARGE, DISPUTE_CREDIT, PLATFORM_FEE_REFUND):
        return amount
    if entry_type in (PLATFORM_FEE, REFUND, DISPUTE_DEBIT):
        return -amount
    return 0  # transfers and reversals move earned money, they do not earn it


# Convergence: Stripe's facts → the movements the books lack, in one canonical order.

PAID, PARTIALLY_REFUNDED, REFUNDED = "paid", "partially_refunded", "refunded"
DISPUTED, DISPUTE_LOST, DISPUTE_WON = "disputed", "dispute_lost", "dispute_won"
MONEY_STATUSES = (PAID, PARTIALLY_REFUNDED, REFUNDED, DISPUTED, DISPUTE_LOST, DISPUTE_WON)
DISPUTE_CLOSED = "dispute_closed"  # a movement kind: the outcome of a dispute (a credit when won)
# Movements of one instant are recorded in this order (the charge before anything taken from it).
_KIND_ORDER = {CHARGE: 0, REFUND: 1, DISPUTE_DEBIT: 2, TRANSFER: 3, TRANSFER_REVERSAL: 4, DISPUTE_CLOSED: 5}
UNKNOWN_TIME = 2**40  # a dispute closed at a time Stripe does not say: after everything else known


@dataclass(frozen=True)
class Movement:
    kind: str  # CHARGE, REFUND, DISPUTE_DEBIT, DISPUTE_CLOSED, TRANSFER, TRANSFER_REVERSAL
    reference: str  # the ledger's key for it: a Stripe id, or "<dispute>:debit" / "<dispute>:closed"
    amount: int
    at: int  # Stripe's time for it (epoch seconds); UNKNOWN_TIME when Stripe does not say
    reason: str | None = None
    outcome: str | None = None  # DISPUTE_CLOSED: won | lost
    dispute_id: str | None = None


def movements(facts: PaymentFacts) -> list[Movement]:
    """Every movement Stripe's facts show, charge first, then in the order they happened."""
    found: list[Movement] = []
    if not facts.succeeded:  # nothing received: a released authorization's "refund" moves no money
        return found
    found.append(Movement(CHARGE, facts.intent_id, facts.amount_received, facts.charge_created or facts.created))
    found += [
        Movement(REFUND, r.refund_id, r.amount, r.created, r.reason)
        for r in facts.refunds
        if r.status == "succeeded" and r.amount > 0
    ]
    for d in facts.disputes:
        if not d.withdrawn:
            continue
        found.append(
            Movement(DISPUTE_DEBIT, f"{d.dispute_id}:debit", d.amount, d.created, d.reason, dispute_id=d.dispute_id)
        )
        if d.outcome:
            found.append(
                Movement(
                    DISPUTE_CLOSED,
                    f"{d.dispute_id}:closed",
                    d.amount,
                    d.closed_at or UNKNOWN_TIME,
                    d.outcome,
                    outcome=d.outcome,
                    dispute_id=d.dispute_id,
                )
            )
    for t in facts.transfers or ():
        found.append(Movement(TRANSFER, t.transfer_id, t.amount, t.created))
        found += [Movement(TRANSFER_REVERSAL, r.reversal_id, r.amount, r.created) for r in t.reversals]
    charge = [m for m in found if m.kind == CHARGE]
    rest = sorted((m for m in found if m.kind != CHARGE), key=lambda m: (m.at, _KIND_ORDER[m.kind], m.reference))
    return charge + rest


@dataclass(frozen=True)
class Recorded:
    movement: Movement
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Plan:
    before: Balance
    after: Balance
    recorded: tuple[Recorded, ...]  # what the books lack, in order (with the entries each writes)
    refused: tuple[tuple[Movement, str], ...]  # what the arithmetic cannot take (reported, not recorded)
    pending: int  # movements left for another round (a plan records at most `limit`)


def plan(
    b: Balance, known: frozenset[str] | set[str], facts: PaymentFacts, fee_rule: FeeRule, *, limit: int = 12
) -> Plan:
    """The movements of `facts` the books (balance `b`, references `known`) lack, applied in order."""
    after, recorded, refused = b, [], []
    missing = [m for m in movements(facts) if m.reference not in known]
    for m in missing[:limit]:
        try:
            after, entries = _apply(after, m, fee_rule)
        except MoneyError as exc:
            refused.append((m, str(exc)))
            continue
        recorded.append(Recorded(m, tuple(entries)))
    return Plan(b, after, tuple(recorded), tuple(refused), max(0, len(missing) - limit))


def _apply(b: Balance, m: Movement, rule: FeeRule) -> tuple[Balance, list[Entry]]:
    if m.kind == CHARGE:
        return charge(b, m.amount, fee_for(m.amount, rule))
    if not b.charged:
        raise MoneyError("nothing is charged yet")
    if m.kind == REFUND:
        return refund(b, m.amount)
    if m.kind == DISPUTE_DEBIT:
        taken = min(m.amount, b.received)
        return dispute_debit(b, taken) if taken > 0 else (b, [])
    if m.kind == DISPUTE_CLOSED:
        back = min(m.amount, b.withheld) if m.outcome == "won" else 0
        return dispute_credit(b, back) if back > 0 else (b, [])
    if m.kind == TRANSFER:
        return transfer(b, m.amount)
    return reversal(b, m.amount)


def dispute_state(facts: PaymentFacts) -> tuple[str, str, str] | None:
    """(dispute id, open | won | lost, reason) of the latest dispute that took money, if any."""
    taken = [d for d in facts.disputes if d.withdrawn]
    if not taken:
        return None
    d = taken[-1]
    return d.dispute_id, d.outcome or "open", d.reason


def merge_dispute(
    recorded: tuple[str, str, str] | None, seen: tuple[str, str, str] | None
) -> tuple[str, str, str] | None:
    """The dispute to keep: what this read of Stripe says, except that an older read never undoes a
    newer one (no dispute after one was recorded, or `open` after its outcome)."""
    if seen is None:
        return recorded
    if recorded is not None and recorded[0] == seen[0] and recorded[1] in ("won", "lost"):
        return recorded
    return seen


def money_status(b: Balance, dispute: str | None) -> str | None:
    """What a charged payment's money amounts to now (None: nothing charged)."""
    if not b.charged:
        return None
    if dispute == "open":
        return DISPUTED
    if dispute == "lost":
        return DISPUTE_LOST
    if b.refunded >= b.charged:
        return REFUNDED
    if dispute == "won":
        return DISPUTE_WON
    return PARTIALLY_REFUNDED if b.refunded else PAID
