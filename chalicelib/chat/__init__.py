"""chat capability: direct, group and session conversations, messages over REST and websockets,
replies, edits, reactions and pins, attachments, read state and unread counts, search, moderation."""
