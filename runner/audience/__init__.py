"""Audiences: reading contact files, importing them, segments."""
