"""Host analytics, dashboards' figures and the admin overview, from per-day counters that event
subscribers keep (one transactional write per event, idempotent under duplicates)."""
