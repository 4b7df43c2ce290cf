"""Checks of the contract group relevance."""
