"""Checks of the contract group alignment."""
