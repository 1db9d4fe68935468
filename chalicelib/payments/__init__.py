"""payments capability: lands with its own issue."""
