"""Domain model and rules: frozen dataclasses and enums, no I/O."""
