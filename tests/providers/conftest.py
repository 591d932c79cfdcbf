"""Fixtures for the provider adapters' tests: the real Kannel gateway (tests/kannel_gateway.py)."""

from tests.kannel_gateway import kannel_gateway  # noqa: F401
