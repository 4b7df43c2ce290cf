"""Checks of the contract group uniqueness."""
