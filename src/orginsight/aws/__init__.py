"""The connection layer: sessions, enabled regions, and the accounts x regions fan-out."""
