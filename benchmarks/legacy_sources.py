"""Legacy sources (issue 19): DVD-like copies of the ../shared/data clips restored by toonbatch and by ffmpeg.

For each clip: its frames scaled to 720x480 (libavfilter `scale`) are the progressive original, taken as film at
24000/1001 whatever the clip's own rate (tupi_example is 18 fps). From it:
- telecined: hard 3:2 pulldown (`telecine=first_field=top:pattern=23`), MPEG-2 at ~6 Mb/s coded interlaced
  (`flags=+ilme+ildct`, every frame flagged top field first by `setfield=tff`, field-aware 4:2:0 by `scale=interl=1`);
  restored by toonbatch (`conditioning.condition_source`, as `upscale-fps --source auto`) and by ffmpeg's
  `fieldmatch=order=tff:combmatch=none,yadif=deint=interlaced,decimate`, each compared frame by index with the
  original: drawings recovered (frame i is >= 30 dB from original i and no original within 3 frames showing
  another drawing is closer; a held drawing counts for each of its frames), frames >= 30 dB, combed frames left;
- blended: libavfilter `framerate` 24000/1001 -> 30000/1001 blending one frame in five (`video.legacy.blend_convert`),
  MPEG-2 progressive ~6 Mb/s: blended-frame precision/recall (a truly blended frame is one the conversion mixed from
  two pictures that differ); PSNR against the nearer picture of the blended frames left as they are, of the flow
  in-between of their clean neighbours at their time (what an interpolator rebuilds there), and of the frames kept;
  the restored stream (`--source auto`) scored as the telecined ones, and at every truly blended frame the restored
  stream's frame of the picture the blend stood nearest to (when the blend cadence was locked);
- soft-telecined: the original with 3:2 repeat-field flags (`video.dvd`, "soft-telecine"): detection, and the
  drawings recovered as above;
- interlaced: one original picture per field (`video.legacy.interlace`), MPEG-2 interlaced as above;
- progressive: the original as MPEG-2 progressive.
Detection runs on every copy. Cost: on each real clip file as it is, `upscale-fps --factor 2` (flow) with
`--source auto` vs `--source progressive`: the outputs must be byte-identical, and the extra time is the
conditioning's cost; on the telecined copy, the first pass's share of an end-to-end `--source auto` run.

Run: .venv/bin/python benchmarks/legacy_sources.py [--clips onepiece_demo.mp4 ...] [--work /tmp/legacy_bench]
Needs the ffmpeg program (for its chain only) and ../shared/data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import time
from fractions import Fraction
from pathlib import Path
from typing import Callable

import av
import numpy as np

from tooncrafter_batch.backends.flow import FlowInterpolator
from tooncrafter_batch.conditioning import SourceMode, analyse_input, condition_source
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.pipeline import Upscaler, UpscaleSettings
from tooncrafter_batch.planning.source import comb_score, luma
from tooncrafter_batch.planning.timing import TimingSettings
from tooncrafter_batch.video.decode import open_video
from tooncrafter_batch.video.dvd import write_dvd
from tooncrafter_batch.video.legacy import NTSC_FILM, blend_convert, filter_frames, interlace, telecine

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CLIPS = ("onepiece_demo.mp4", "jjk_fight_a.mp4", "tupi_example.avi")
NTSC_VIDEO = Fraction(30000, 1001)
SIZE = (720, 480)
COMBED = 0.02  # planning.source's comb score above which a frame counts as combed
GOOD_DB = 30.0
NEAR = 3  # frames either side an output frame is also compared with
DISTINCT_DB = 40.0  # two originals closer than this show different drawings (a held drawing is far above it)
FFMPEG_CHAIN = "fieldmatch=order=tff:combmatch=none,yadif=deint=interlaced,decimate"


def psnr(first: np.ndarray, second: np.ndarray) -> float:
    error = float(np.mean((first.astype(np.float64) - second) ** 2))
    return 99.0 if error == 0 else 10 * np.log10(255 ** 2 / error)


def scaled_original(path: Path) -> list[np.ndarray]:
    images = (frame.image for frame in open_video(path).frames())
    return [image for _, image in filter_frames(images, NTSC_FILM, [("scale", f"{SIZE[0]}:{SIZE[1]}")])]


def write_mpeg2(path: Path, images, frame_rate: Fraction, coding: str) -> Path:
    """A DVD-like copy (`video.dvd.write_dvd`, 720x480 at SAR 32:27)."""
    return write_dvd(path, images, frame_rate, coding, Fraction(32, 27))


def decoded(path: Path) -> list[np.ndarray]:
    return [frame.image for frame in open_video(path).frames()]


def ffmpeg_restore(path: Path) -> tuple[list[np.ndarray], float]:
    started = time.monotonic()
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-vf", FFMPEG_CHAIN, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, SIZE[1], SIZE[0], 3)
    return list(frames), time.monotonic() - started


def toonbatch_restore(path: Path) -> tuple[list[np.ndarray], float, str]:
    started = time.monotonic()
    conditioned = condition_source(open_video(path))
    frames = [frame.image for frame in conditioned.frames()]
    return frames, time.monotonic() - started, conditioned.summary()


def score_restored(restored: list[np.ndarray], original: list[np.ndarray]) -> dict:
    """Frame i against original i: a drawing is recovered when frame i is >= 30 dB from it and no original within
    3 frames that shows another drawing (< DISTINCT_DB from original i) is closer."""
    recovered = good = 0
    scores = []
    for index, image in enumerate(restored[: len(original)]):
        own = psnr(image, original[index])
        others = [psnr(image, original[other]) for other in range(max(0, index - NEAR),
                                                                  min(len(original), index + NEAR + 1))
                  if psnr(original[other], original[index]) < DISTINCT_DB]
        scores.append(own)
        good += int(own >= GOOD_DB)
        recovered += int(own >= GOOD_DB and own >= max(others, default=0.0))
    combed = int(sum(comb_score(luma(image)) > COMBED for image in restored))
    return {"frames": len(restored), "expected": len(original), "recovered": recovered, "good": good,
            "combed": combed, "mean_db": float(np.mean(scores)) if scores else 0.0}


def blended_truth(original: list[np.ndarray], count: int) -> tuple[set[int], list[int]]:
    """Which converted frames the conversion truly blended, and the nearer original picture of every frame."""
    blended, nearer = set(), []
    for index in range(count):
        position = Fraction(index) * NTSC_FILM / NTSC_VIDEO
        low = int(position)
        step = int((position - low) * 256)
        nearer.append(min(low + (position - low >= Fraction(1, 2)), len(original) - 1))
        if 141 < step < 166 and low + 1 < len(original) and \
                np.abs(luma(original[low]) - luma(original[low + 1])).mean() > 0.5:
            blended.add(index)
    return blended, nearer


def blended_scores(path: Path, original: list[np.ndarray]) -> dict:
    """Detection against the truth; PSNR at the truly blended frames (left as they are, or rebuilt by flow from the
    clean neighbours at their time) and of the frames kept, against the nearer picture; drawings in the kept ones."""
    frames = decoded(path)
    _, report = analyse_input(open_video(path))
    truth, nearer = blended_truth(original, len(frames))
    found = set(report.blended_frames)
    kept = [index for index in range(len(frames)) if index not in found]
    flow = FlowInterpolator()
    left, rebuilt = [], []
    for index in sorted(truth & found):
        before = max((other for other in kept if other < index), default=index)
        after = min((other for other in kept if other > index), default=before)
        position = (index - before) / (after - before) if after > before else 0.0
        made = flow.interpolate([Pair(frames[before], frames[after])], [[position]])[0][0] if position else \
            frames[before]
        left.append(psnr(frames[index], original[nearer[index]]))
        rebuilt.append(psnr(made, original[nearer[index]]))
    hits = len(found & truth)
    return {"kind": report.kind.value, "truth": len(truth), "found": len(found),
            "precision": hits / len(found) if found else 0.0, "recall": hits / len(truth) if truth else 1.0,
            "left_db": _mean(left), "rebuilt_db": _mean(rebuilt),
            "kept_db": _mean([psnr(frames[index], original[nearer[index]]) for index in kept]),
            **restored_blends(path, frames, original, truth, nearer)}


def restored_blends(path: Path, frames: list[np.ndarray], original: list[np.ndarray], truth: set[int],
                    nearer: list[int]) -> dict:
    """What `--source auto` restores (`condition_source`), scored like telecine, and at every truly blended frame:
    the blend left as it is against the picture it stood nearest to, and the restored stream's frame of that picture
    (when the restored stream has one frame per picture: the blend cadence was locked)."""
    restored, seconds, summary = toonbatch_restore(path)
    is_per_picture = len(restored) >= len(original)  # the conversion may add a frame at the end
    return {"restored": {**score_restored(restored, original), "seconds": seconds, "summary": summary},
            "left_all_db": _mean([psnr(frames[index], original[nearer[index]]) for index in sorted(truth)]),
            "restored_at_blends_db": _mean([psnr(restored[nearer[index]], original[nearer[index]])
                                            for index in sorted(truth)]) if is_per_picture else None}


def _mean(values: list[float]) -> float:
    return float(np.mean(values)) if values else 0.0


def upscale(path: Path, output: Path, source: SourceMode) -> float:
    settings = UpscaleSettings(timing=TimingSettings(factor=2), source=source, overwrite=True)
    started = time.monotonic()
    Upscaler(settings).run(path, output)
    return time.monotonic() - started


def cost(clip: Path, telecined: Path, work: Path) -> dict:
    outputs = {mode: work / f"{clip.stem}_{mode.value}.mkv" for mode in (SourceMode.progressive, SourceMode.auto)}
    seconds = {mode: upscale(clip, path, mode) for mode, path in outputs.items()}
    same = outputs[SourceMode.auto].read_bytes() == outputs[SourceMode.progressive].read_bytes()
    started = time.monotonic()
    analyse_input(open_video(telecined))
    first_pass = time.monotonic() - started
    telecined_run = upscale(telecined, work / f"{clip.stem}_telecined_x2.mkv", SourceMode.auto)
    return {"auto_s": seconds[SourceMode.auto], "progressive_s": seconds[SourceMode.progressive],
            "byte_identical": same, "extra": seconds[SourceMode.auto] / seconds[SourceMode.progressive] - 1,
            "telecined_first_pass_s": first_pass, "telecined_run_s": telecined_run,
            "telecined_share": first_pass / telecined_run}


def run_clip(name: str, work: Path) -> dict:
    clip = DATA / name
    original = scaled_original(clip)
    stem = clip.stem
    copies = {
        "progressive": write_mpeg2(work / f"{stem}_progressive.mpg", original, NTSC_FILM, "progressive"),
        "telecined": write_mpeg2(work / f"{stem}_telecined.mpg", telecine(original), NTSC_VIDEO, "interlaced"),
        "soft_telecined": write_mpeg2(work / f"{stem}_soft.mpg", original, NTSC_FILM, "soft-telecine"),
        "interlaced": write_mpeg2(work / f"{stem}_interlaced.mpg", interlace(original, 2 * NTSC_VIDEO), NTSC_VIDEO,
                                  "interlaced"),
        "blended": write_mpeg2(work / f"{stem}_blended.mpg", (image for _, image in
                                                              blend_convert(original, NTSC_FILM, NTSC_VIDEO)),
                               NTSC_VIDEO, "progressive"),
    }
    detection = {kind: analyse_input(open_video(path))[1] for kind, path in copies.items()}
    ours, our_seconds, summary = toonbatch_restore(copies["telecined"])
    soft, soft_seconds, soft_summary = toonbatch_restore(copies["soft_telecined"])
    theirs, their_seconds = ffmpeg_restore(copies["telecined"])
    return {
        "clip": name, "frames": len(original), "summary": summary,
        "detection": {kind: {"kind": report.kind.value, "confidence": round(report.confidence, 3),
                             "combed": round(report.combed_fraction, 3), "ambiguous": report.is_ambiguous}
                      for kind, report in detection.items()},
        "telecine": {"toonbatch": {**score_restored(ours, original), "seconds": our_seconds},
                     "ffmpeg": {**score_restored(theirs, original), "seconds": their_seconds},
                     "left": score_restored(decoded(copies["telecined"]), original)},
        "soft_telecine": {**score_restored(soft, original), "seconds": soft_seconds, "summary": soft_summary},
        "blended": blended_scores(copies["blended"], original),
        "cost": cost(clip, copies["telecined"], work),
    }


def machine() -> str:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} CPU cores, {model}, {platform.system()} {platform.release()}"


def run_benchmark(run_clip_in: Callable[[str, Path], dict], description: str, work: Path) -> None:
    """Parse --clips/--work/--json, run each clip (printing its result as it comes) and write the JSON."""
    parser = argparse.ArgumentParser(description=description.splitlines()[0])
    parser.add_argument("--clips", nargs="*", default=list(CLIPS))
    parser.add_argument("--work", type=Path, default=work)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"# {machine()}; {time.strftime('%Y-%m-%d %H:%M')}", flush=True)
    results = []
    for name in args.clips:
        results.append(run_clip_in(name, args.work))
        print(json.dumps(results[-1], default=str), flush=True)
    if args.json:
        args.json.write_text(json.dumps({"machine": machine(), "results": results}, indent=1, default=str))


def main() -> None:
    run_benchmark(run_clip, __doc__, Path("/tmp/legacy_bench"))


if __name__ == "__main__":
    main()
