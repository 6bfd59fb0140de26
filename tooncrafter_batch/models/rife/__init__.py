"""RIFE 4.x (Huang et al., "Real-Time Intermediate Flow Estimation for Video Frame Interpolation", ECCV 2022)."""

from .ifnet import IFNet

__all__ = ["IFNet"]
