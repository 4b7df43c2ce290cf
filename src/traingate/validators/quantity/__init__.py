"""Checks of the contract group quantity."""
