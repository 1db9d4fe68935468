"""chat capability: lands with its own issue."""
