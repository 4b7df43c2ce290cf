"""Checks of the contract group coverage."""
