"""Checks of the contract group compliance."""
