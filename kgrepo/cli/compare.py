"""CLI commands for compare (registered on the main group when this module is imported)."""
