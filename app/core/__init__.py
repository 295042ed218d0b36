"""Shared building blocks with no knowledge of the domain: time, errors, database helpers."""
