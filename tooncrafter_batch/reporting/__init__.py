"""Quality reports: per-pair difficulty and confidence recorded during a run, written as JSON and a standalone page."""
