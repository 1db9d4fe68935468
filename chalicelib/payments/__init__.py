"""payments capability: Stripe charges, Connect payouts, refunds, disputes, the ledger.

Other packages use `service` (its face); the convergence rule (`convergence`) is the one way money
facts enter the books. The money flow for operators: docs/PAYMENTS.md.
"""
