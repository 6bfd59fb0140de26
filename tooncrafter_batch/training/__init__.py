"""Fine-tuning rife on a show's own footage: triplets (triplets.py) -> batches -> the loop (loop.py) -> best weights."""
