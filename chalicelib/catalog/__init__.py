"""catalog capability: listings (versions, publishing, images), sessions one-off and recurring in the
host's zone, discovery (index-served search, favorites, saved searches), calendars, and the seat
counters booking moves (through `service`, the face)."""
