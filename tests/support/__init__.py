"""Shared test helpers (local API servers, builders) used by several test packages."""
