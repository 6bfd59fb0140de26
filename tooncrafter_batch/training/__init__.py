"""Fine-tuning on a show's own footage. rife: triplets (triplets.py) -> batches -> the loop (loop.py) -> best weights;
tooncrafter: clips (clips.py) -> toon rectification (recipes.py, rectification.py, rectify.py) -> a checkpoint."""
