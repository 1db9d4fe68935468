"""booking capability: lands with its own issue."""
