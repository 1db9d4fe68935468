"""Reviews and reputation: double-blind reviews of completed bookings, host replies, reports and
moderation, rating sums per host and listing, host badges, and hosts' private session feedback."""
