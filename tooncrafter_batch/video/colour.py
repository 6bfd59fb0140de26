"""RGB -> Y'CbCr for the encoder, done with OpenCV instead of libswscale.

libswscale (PyAV's `reformat`) spends about 6 ms per 640x360 frame on rgb24 -> yuv420p; one `cv2.transform` for
luma and one on the 2x2-averaged picture for chroma take well under 1 ms. The matrices are the standard ones
(BT.601 for SMPTE 170M / BT.470BG and for untagged video, as libswscale's default; BT.709; BT.2020 NCL; FCC;
SMPTE 240M), in limited ("TV", 16..235 / 16..240) or full range. Chroma is the mean of each 2x2 block.
Anything else returns None and the caller falls back to libswscale.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

# AVCOL_SPC_* -> (Kr, Kb). 2 = unspecified: libswscale's default is BT.601, so it is here too.
_LUMA_WEIGHTS = {
    1: (0.2126, 0.0722),  # BT.709
    2: (0.299, 0.114),  # unspecified
    4: (0.30, 0.11),  # FCC
    5: (0.299, 0.114),  # BT.470BG
    6: (0.299, 0.114),  # SMPTE 170M
    7: (0.212, 0.087),  # SMPTE 240M
    9: (0.2627, 0.0593),  # BT.2020 non-constant luminance
}
FAST_PIX_FMTS = ("yuv420p", "yuv444p")


@lru_cache(maxsize=32)
def conversion_matrix(colorspace: int, full_range: bool) -> np.ndarray | None:
    """The 3x4 matrix taking [R, G, B, 1] (0..255) to [Y', Cb, Cr] code values (read-only), or None if unknown."""
    if colorspace not in _LUMA_WEIGHTS:
        return None
    kr, kb = _LUMA_WEIGHTS[colorspace]
    kg = 1.0 - kr - kb
    luma = np.array([kr, kg, kb])
    blue_difference = (np.array([0.0, 0.0, 1.0]) - luma) / (2.0 * (1.0 - kb))  # -0.5 .. 0.5 of full scale
    red_difference = (np.array([1.0, 0.0, 0.0]) - luma) / (2.0 * (1.0 - kr))
    luma_scale, chroma_scale, luma_offset = (1.0, 1.0, 0.0) if full_range else (219 / 255, 224 / 255, 16.0)
    matrix = np.array([
        [*(luma * luma_scale), luma_offset],
        [*(blue_difference * chroma_scale), 128.0],
        [*(red_difference * chroma_scale), 128.0],
    ], dtype=np.float32)
    matrix.flags.writeable = False
    return matrix


def rgb_to_planar_yuv(image: np.ndarray, pix_fmt: str, colorspace: int, full_range: bool) -> np.ndarray | None:
    """An RGB uint8 (H, W, 3) picture as the array PyAV's `VideoFrame.from_ndarray` takes for `pix_fmt`.

    yuv420p: (H * 3 / 2, W), the Y plane then the U and V planes flat (even H and W needed);
    yuv444p: (H, W, 3), for `channel_last=True`. None when the format, size or matrix is not handled here.
    """
    matrix = conversion_matrix(colorspace, full_range)
    if matrix is None or pix_fmt not in FAST_PIX_FMTS:
        return None
    if pix_fmt == "yuv444p":
        return cv2.transform(image, matrix)
    height, width = image.shape[:2]
    if height % 2 or width % 2:
        return None
    planes = np.empty((height * 3 // 2, width), np.uint8)
    planes[:height] = cv2.transform(image, matrix[:1])
    half = cv2.resize(image, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
    chroma = cv2.transform(half, matrix[1:])
    flat = planes[height:].reshape(-1)
    flat[: flat.size // 2] = chroma[..., 0].reshape(-1)
    flat[flat.size // 2:] = chroma[..., 1].reshape(-1)
    return planes
