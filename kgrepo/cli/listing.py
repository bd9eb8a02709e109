"""CLI commands for listing (registered on the main group when this module is imported)."""
