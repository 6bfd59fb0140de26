"""`toonbatch ui`: a Gradio page over the same library calls as the CLI (Video, Keyframes and Jobs tabs).

It sits at the CLI's level: `runs.py` calls the pipeline, keyframe and job functions as the commands do, and the
tabs only lay out the page and turn each call's outcome (or its `ToonbatchError`) into what the page shows.
Everything it writes goes below one chosen folder (`Workspace`), uploads included.
"""
