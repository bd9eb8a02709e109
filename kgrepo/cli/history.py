"""CLI commands for history (registered on the main group when this module is imported)."""
