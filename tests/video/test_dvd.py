"""Soft telecine test data: MPEG-2 from PyAV's encoder with repeat-field flags set in each coded picture."""

from fractions import Fraction

import av
import numpy as np
import pytest

from tooncrafter_batch.synthetic import CartoonSpec, render_frames
from tooncrafter_batch.video.legacy import NTSC_FILM
from tooncrafter_batch.video.dvd import set_pulldown_flags, write_dvd

# a sequence extension (profile/level 0x48: main@main, progressive_sequence set) and a picture coding extension
# (f_codes 0xff, frame picture; frame_pred_frame_dct and chroma_420_type set; progressive_frame clear)
SEQUENCE_EXTENSION = b"\x00\x00\x01\xb5\x14\x8a\x00\x01\x00\x00"
PICTURE_EXTENSION = b"\x00\x00\x01\xb5\x8f\xff\xf3\x41\x00\x00"


@pytest.mark.parametrize("top_field_first, repeat_first_field, flag_byte", [
    pytest.param(True, True, 0xC3, id="tff-repeat"),
    pytest.param(False, False, 0x41, id="bff"),
    pytest.param(False, True, 0x43, id="bff-repeat"),
])
def test_flags_are_set_at_their_bits(top_field_first, repeat_first_field, flag_byte):
    coded = b"\x00\x00\x01\xb3junk" + SEQUENCE_EXTENSION + b"\x00\x00\x01\x00pic" + PICTURE_EXTENSION + b"slices"
    flagged = set_pulldown_flags(coded, top_field_first, repeat_first_field)
    sequence = flagged.index(SEQUENCE_EXTENSION[:5])
    picture = flagged.index(PICTURE_EXTENSION[:5])
    assert flagged[sequence + 5] == 0x82  # progressive_sequence cleared, the level and chroma format kept
    assert flagged[picture + 7] == flag_byte and flagged[picture + 8] == 0x80  # progressive_frame set
    changed = [at for at, (old, new) in enumerate(zip(coded, flagged)) if old != new]
    assert len(flagged) == len(coded) and set(changed) <= {sequence + 5, picture + 7, picture + 8}


def test_libav_reads_the_flags_as_3_2_pulldown(tmp_path):
    spec = CartoonSpec(width=96, height=64, num_frames=12, frame_rate=NTSC_FILM, with_audio=False)
    pictures = list(render_frames(spec))
    path = write_dvd(tmp_path / "soft.mpg", pictures, NTSC_FILM, "soft-telecine")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.framerate == Fraction(30000, 1001)  # the header declares video
        # libavformat's MPEG video parser gives each packet 2 fields, plus 1 where repeat_first_field is set
        durations = [packet.duration for packet in container.demux(stream) if packet.size]
    field = Fraction(90000) / (2 * Fraction(30000, 1001))
    assert [round(duration / field) for duration in durations] == [3, 2] * 6
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    assert len(frames) == len(pictures)
    errors = [np.mean((frame.astype(float) - picture) ** 2) for frame, picture in zip(frames, pictures)]
    assert 10 * np.log10(255 ** 2 / max(errors)) >= 30
