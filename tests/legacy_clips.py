"""Tiny legacy clips made here from one synthetic cartoon: its progressive original, hard-telecined, interlaced and
blend-converted versions (lossless x264, with the cartoon's sound) and a soft-telecined one (MPEG-2 with repeat-field
flags, no sound), and a mixed one (the telecined cartoon, then the interlaced one as credits; no sound), for the
source-conditioning tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from tooncrafter_batch.synthetic import CartoonSpec, render_audio, render_frames
from tooncrafter_batch.video.encode import EncoderSettings, write_clip
from tooncrafter_batch.video.legacy import NTSC_FILM, blend_convert, interlace, telecine
from tooncrafter_batch.video.dvd import write_dvd

NTSC_VIDEO = Fraction(30000, 1001)
LOSSLESS = EncoderSettings(crf=0, preset="ultrafast")  # x264's lossless mode: the fields stay as made
CARTOON = CartoonSpec(width=128, height=80, num_frames=40, frame_rate=NTSC_FILM, hold_pattern=(2,), cut_at_frame=20)
# one picture per field: 80 fields make 40 interlaced frames; on ones, so every field moves
FIELDS = CartoonSpec(width=128, height=80, num_frames=80, frame_rate=2 * NTSC_VIDEO, cut_at_frame=40)


def write_legacy_clips(folder: Path) -> dict[str, Path]:
    """progressive, telecined, interlaced, blended, soft_telecined, mixed -> the clip's path."""
    pictures = list(render_frames(CARTOON))
    sound = render_audio(CARTOON)
    clips = {name: folder / f"{name}.mkv" for name in ("progressive", "telecined", "interlaced", "blended")}
    write_clip(clips["progressive"], pictures, NTSC_FILM, sound, LOSSLESS)
    write_clip(clips["telecined"], telecine(pictures), NTSC_VIDEO, sound, LOSSLESS)
    write_clip(clips["interlaced"], interlace(render_frames(FIELDS), 2 * NTSC_VIDEO), NTSC_VIDEO,
               render_audio(FIELDS), LOSSLESS)
    write_clip(clips["blended"], (image for _, image in blend_convert(pictures, NTSC_FILM, NTSC_VIDEO)), NTSC_VIDEO,
               sound, LOSSLESS)
    clips["soft_telecined"] = write_dvd(folder / "soft_telecined.mpg", pictures, NTSC_FILM, "soft-telecine")
    clips["mixed"] = folder / "mixed.mkv"
    credits = interlace(render_frames(FIELDS), 2 * NTSC_VIDEO)
    write_clip(clips["mixed"], [*telecine(pictures), *credits], NTSC_VIDEO, None, LOSSLESS)
    return clips
