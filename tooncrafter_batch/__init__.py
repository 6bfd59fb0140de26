"""toonbatch: raise the frame rate of cartoons and anime by generating in-between drawings.

Data flows one way through the package:

    video.decode -> scenes -> timing -> plan -> orchestration(executor + backend) -> video.encode

`pipeline.py` wires these stages for one video, `jobs/` for a whole archive, `cli/` is the command line.
"""

__version__ = "0.1.0"
