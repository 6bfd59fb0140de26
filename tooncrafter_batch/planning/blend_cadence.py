"""The cadence of a blending rate conversion: one blended frame in every `period`, the others the source's pictures.

A conversion that blends (23.976 -> 29.97 by libavfilter's `framerate`, many standards converters) makes its frames
on a fixed grid: with four pictures to five frames, frames at positions 0, 0.8, 1.6, 2.4, 3.2 show pictures 0 and 1,
a mix of 1 and 2, then 2 and 3. Every fifth frame is the mix, including where the two pictures are the same drawing
and the mix shows nothing (a held drawing, a still): no measure finds those, but the cadence does. Leaving out every
frame on the cadence's phase and putting the others on the source's grid, (period - 1) / period of the rate, gives
back the source's pictures at their own times, as inverse telecine does.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

_MIN_BLENDS = 4  # blends found before a cadence is believed
_ON_PHASE = 0.9  # share of the blends found that must fall on one phase
_PERIODS = range(3, 13)  # frames per blend a conversion may have: 4 pictures -> 5 frames is 5
# Rates a converted source had: held drawings hide most blends (one picture mixed with itself), so the blends found
# may fall on a multiple of the period; the period is the one that gives back one of these rates
_SOURCE_RATES = (Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001), Fraction(30))
_RATE_TOLERANCE = Fraction(1, 500)


@dataclass(frozen=True)
class BlendCadence:
    """One blended frame every `period` frames, at the frames with index % period == phase."""

    period: int
    phase: int

    def is_blend(self, index: int) -> bool:
        return index % self.period == self.phase

    def source_rate(self, frame_rate: Fraction) -> Fraction:
        """The rate of the pictures between the blends, snapped to the standard rate it is within 0.2% of."""
        rate = frame_rate * (self.period - 1) / self.period
        return min(_SOURCE_RATES, key=lambda standard: abs(standard - rate))


def lock_blend_cadence(blended: Sequence[int], frame_rate: Fraction) -> BlendCadence | None:
    """The period and phase on which at least 90% of the blends found fall (at least 4 of them), among the periods
    that turn `frame_rate` into a standard source rate; None when no such period fits."""
    if len(blended) < _MIN_BLENDS:
        return None
    for period in _PERIODS:
        rate = frame_rate * (period - 1) / period
        if min(abs(standard / rate - 1) for standard in _SOURCE_RATES) > _RATE_TOLERANCE:
            continue
        phases = [index % period for index in blended]
        phase = max(sorted(set(phases)), key=phases.count)
        if phases.count(phase) >= _ON_PHASE * len(blended):
            return BlendCadence(period, phase)
    return None
