"""Accounts: users, identities, public profiles and host profiles."""
