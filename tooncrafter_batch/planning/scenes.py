"""Scene cuts: PySceneDetect's ContentDetector run on the frames the decoder already produced (no second decode).

The detector is fed one frame at a time, so cut detection streams with decoding. A cut "at frame n" means a new shot
starts at frame n: nothing may be interpolated between frames n-1 and n.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import cv2
import numpy as np
from scenedetect.common import FrameTimecode
from scenedetect.detector import FlashFilter
from scenedetect.detectors import ContentDetector

from ..errors import SettingsError

# PySceneDetect scores frames after shrinking them; the score barely depends on size, the cost a lot.
_DETECT_WIDTH = 256


@dataclass(frozen=True)
class SceneSettings:
    threshold: float = 27.0  # ContentDetector score; lower = more cuts
    min_scene_frames: int = 8  # a cut closer than this to the previous one is ignored

    def __post_init__(self):
        if not 0 < self.threshold <= 255:
            raise SettingsError(f"scene threshold must be in (0, 255], got {self.threshold}")
        if self.min_scene_frames < 1:
            raise SettingsError(f"min_scene_frames must be at least 1, got {self.min_scene_frames}")


class CutDetector:
    """Feeds frames in order to a ContentDetector and says, frame by frame, whether a cut starts there."""

    def __init__(self, settings: SceneSettings, frame_rate: Fraction):
        self._detector = ContentDetector(
            threshold=settings.threshold,
            min_scene_len=settings.min_scene_frames,
            filter_mode=FlashFilter.Mode.SUPPRESS,  # report a cut on the frame where it happens, never later
        )
        self._frame_rate = frame_rate
        self._count = 0

    def is_cut(self, image: np.ndarray) -> bool:
        """True when `image` (RGB uint8, the next frame in order) starts a new shot."""
        timecode = FrameTimecode(self._count, fps=self._frame_rate)
        cuts = self._detector.process_frame(timecode, _detector_input(image))
        self._count += 1
        return any(cut.frame_num == self._count - 1 for cut in cuts) and self._count > 1


def detect_cuts(images, settings: SceneSettings, frame_rate: Fraction) -> list[int]:
    """Indices of the frames that start a new shot (never 0), for a finite sequence of RGB frames."""
    detector = CutDetector(settings, frame_rate)
    return [index for index, image in enumerate(images) if detector.is_cut(image)]


def _detector_input(image: np.ndarray) -> np.ndarray:
    height, width = image.shape[:2]
    if width > _DETECT_WIDTH:
        size = (_DETECT_WIDTH, max(1, round(height * _DETECT_WIDTH / width)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(image, cv2.COLOR_RGB2BGR)
