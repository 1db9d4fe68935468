"""Shared platform pieces every capability package builds on."""
