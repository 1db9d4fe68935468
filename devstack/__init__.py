"""The local stack: runs the whole backend on one machine. Development tooling, never deployed."""
