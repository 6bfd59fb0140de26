"""The ToonCrafter model: 3D UNet, dual-reference VAE, image-context resampler, OpenCLIP towers, DDIM sampler.

Pure torch + einops + open_clip + safetensors: no Ray, no video files, no downloads. Configs arrive here as
frozen dataclasses (`config.py`); checkpoint files are read by `checkpoint.py`; `pipeline.py` runs one
interpolation from two keyframe tensors to 16 frames.
"""
