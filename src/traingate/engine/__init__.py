"""The streaming engine: sources -> Arrow chunks -> batch contexts -> validator states -> a run result."""
