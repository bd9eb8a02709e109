"""CLI commands for dag (registered on the main group when this module is imported)."""
