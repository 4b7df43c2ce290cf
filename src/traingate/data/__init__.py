"""The data layer: reading, batches, tokenizers, models, masking and spilling; below the checks."""
