"""notifications capability: the in-app feed, email (localized), mobile push, reminders, chat
digests, preferences with one-click unsubscribe, and the private calendar feeds — driven by the
other packages' events (`subscribers`)."""
