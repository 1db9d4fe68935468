"""Dashboards: what a player and a host see first, composed from the other packages' services."""
