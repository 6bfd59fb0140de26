"""The OpenCV RGB -> Y'CbCr path agrees with libswscale, which it replaces for speed."""

import av
import cv2
import numpy as np
import pytest

from tooncrafter_batch.video.colour import rgb_to_planar_yuv


@pytest.fixture(scope="module")
def picture():
    noise = np.random.default_rng(3).integers(0, 256, (72, 128, 3), dtype=np.uint8)
    smooth = cv2.GaussianBlur(noise, (0, 0), 2).astype(np.float32)
    return np.clip((smooth - 128) * 6 + 128, 0, 255).astype(np.uint8)  # saturated colours, smooth chroma


def _swscale(picture, pix_fmt, colorspace, color_range):
    frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
    return frame.reformat(format=pix_fmt, dst_colorspace=colorspace, dst_color_range=color_range)


@pytest.mark.parametrize("colorspace", [1, 5, 6, 9])
@pytest.mark.parametrize("color_range", [1, 2])
def test_yuv420p_matches_libswscale(picture, colorspace, color_range):
    expected = _swscale(picture, "yuv420p", colorspace, color_range).to_ndarray().astype(int)
    ours = rgb_to_planar_yuv(picture, "yuv420p", colorspace, color_range == 2)
    assert ours.shape == expected.shape and ours.dtype == np.uint8
    height = picture.shape[0]
    assert np.abs(ours[:height] - expected[:height]).max() <= 1  # luma: rounding only
    chroma = np.abs(ours[height:] - expected[height:])  # chroma: 2x2 mean vs libswscale's filter
    assert chroma.mean() < 2.0 and chroma.max() <= 12


@pytest.mark.parametrize("colorspace", [1, 6])
def test_round_trip_through_our_planes_is_as_close_as_through_libswscale(picture, colorspace):
    def back(frame):
        return frame.reformat(format="rgb24", src_colorspace=colorspace, src_color_range=1).to_ndarray()

    ours = av.VideoFrame.from_ndarray(rgb_to_planar_yuv(picture, "yuv420p", colorspace, False), format="yuv420p")
    error_ours = np.abs(back(ours).astype(int) - picture).mean()
    error_swscale = np.abs(back(_swscale(picture, "yuv420p", colorspace, 1)).astype(int) - picture).mean()
    assert error_ours <= error_swscale * 1.05


def test_yuv444p_matches_libswscale(picture):
    expected = _swscale(picture, "yuv444p", 1, 1).to_ndarray(channel_last=True).astype(int)
    ours = rgb_to_planar_yuv(picture, "yuv444p", 1, False)
    assert ours.shape == picture.shape
    assert np.abs(ours - expected).max() <= 1


def test_unhandled_cases_fall_back(picture):
    assert rgb_to_planar_yuv(picture, "yuv422p", 1, False) is None
    assert rgb_to_planar_yuv(picture, "yuv420p", 10, False) is None  # BT.2020 constant luminance
    assert rgb_to_planar_yuv(picture[:71], "yuv420p", 1, False) is None  # odd height
