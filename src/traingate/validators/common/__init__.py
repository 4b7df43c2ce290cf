"""Machinery the checks share: the validator base and its capabilities, registration, row flags,
samples, thresholds, normalisation, shingles, LSH."""
