"""catalog capability: lands with its own issue."""
