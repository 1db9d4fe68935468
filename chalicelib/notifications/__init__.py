"""notifications capability: lands with its own issue."""
