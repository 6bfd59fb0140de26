"""Interpolation backends: everything that turns a pair of keyframes into in-between frames.

Every backend implements `Interpolator` (see `base.py`) and is registered in `registry.py`.
"""
