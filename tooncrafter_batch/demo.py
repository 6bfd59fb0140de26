"""`make demo`: render a short synthetic cartoon with sound, raise its frame rate 4x, and say where the result is.

Run as `python -m tooncrafter_batch.demo [FOLDER]` (default `demo/`).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from pathlib import Path

from .pipeline import Upscaler, UpscaleSettings
from .planning.timing import TimingSettings
from .progress import BarProgress
from .synthetic import CartoonSpec, write_cartoon

DEMO_SPEC = CartoonSpec(width=640, height=360, num_frames=72, frame_rate=Fraction(24000, 1001), cut_at_frame=40,
                        hold_pattern=(2,), with_audio=True)


def main(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "cartoon.mp4"
    output = folder / "cartoon_x4.mp4"
    print(f"rendering a {DEMO_SPEC.num_frames}-frame synthetic cartoon with sound: {source}", file=sys.stderr)
    write_cartoon(source, DEMO_SPEC)
    progress = BarProgress()
    try:
        result = Upscaler(UpscaleSettings(TimingSettings(factor=4), overwrite=True), progress).run(source, output)
    finally:
        progress.close()
    print(f"{result.frames_in} frames ({result.keyframes} distinct drawings) at {float(DEMO_SPEC.frame_rate):.3f} fps -> "
          f"{result.frames_out} frames at {float(result.output_rate):.3f} fps, {result.scenes} scenes, "
          f"{result.seconds:.1f} s", file=sys.stderr)
    print(f"demo output: {output.resolve()}")
    return output


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("demo"))
