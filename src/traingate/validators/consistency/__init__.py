"""Checks of the contract group consistency."""
