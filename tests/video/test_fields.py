"""YUV lines that can be woven: exact round trip, and colour kept when telecined fields coded interlaced are woven."""

from fractions import Fraction

import av
import numpy as np
import pytest

from tooncrafter_batch.conditioning import condition_source
from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.video.decode import open_video, owned_rgb
from tooncrafter_batch.video.dvd import write_dvd
from tooncrafter_batch.video.fields import field_yuv, rgb_of_field_yuv
from tooncrafter_batch.video.legacy import NTSC_FILM, restore_frames, telecine

NTSC_VIDEO = Fraction(30000, 1001)
SPEC = CartoonSpec(width=128, height=80, num_frames=24, frame_rate=NTSC_FILM, hold_pattern=(2,), with_audio=False)


def psnr(first, second):
    return 10 * np.log10(255 ** 2 / np.mean((first.astype(np.float64) - second) ** 2))


@pytest.fixture(scope="module")
def pictures():
    return list(render_frames(SPEC))


def test_a_progressive_frame_comes_back_as_the_decoder_gives_it(pictures, tmp_path):
    path = write_dvd(tmp_path / "progressive.mpg", pictures, NTSC_FILM, "progressive")
    with av.open(str(path)) as container:
        for decoded in container.decode(video=0):
            assert not decoded.interlaced_frame
            colour = {"colorspace": decoded.colorspace, "color_range": decoded.color_range}
            assert np.array_equal(rgb_of_field_yuv(field_yuv(decoded), colour), owned_rgb(decoded))


def test_woven_yuv_lines_keep_the_colour_the_decoder_halves(pictures, tmp_path):
    path = write_dvd(tmp_path / "telecined.mpg", telecine(pictures), NTSC_VIDEO, "interlaced")
    conditioned = condition_source(open_video(path))
    assert conditioned.report.coded_interlaced == 1.0
    woven = [frame.image for frame in conditioned.frames()]
    as_rgb = [frame.image for frame in restore_frames((frame.image for frame in conditioned.source.frames()),
                                                      NTSC_VIDEO, conditioned.report)]
    assert len(woven) == len(as_rgb) == len(pictures)
    gains = [psnr(frame, picture) - psnr(rgb, picture) for frame, rgb, picture in zip(woven, as_rgb, pictures)]
    assert min(gains) > 1.0  # dB, on every picture: clean frames too (converted as progressive, not by field)
