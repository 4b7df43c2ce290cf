"""Checks of the contract group format."""
