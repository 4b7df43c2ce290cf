"""Checks of the contract group expectations."""
