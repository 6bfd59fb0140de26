"""Scaling of archive runs on Ray (issue 4): throughput and parallel efficiency from 1 to 16 actors, driver memory.

A stand-in backend sleeps a fixed 200 ms per pair (no CPU), and its actors ask Ray for a tenth of a CPU, so 16 fit
on a 2-core machine and only the orchestration is measured: submission, back-pressure, ordering, object-store
traffic. Two levels are timed:

* executor: `RayExecutor.run` over one stream of single-pair units (the orchestration core);
* job: `toonbatch run` machinery (`JobRunner`) on a job of several synthetic clips, run one at a time and all at
  once (`videos_in_flight`): decode, cuts, chunks, units, lossless chunk segments, final encodes (the whole driver).

Efficiency is throughput(n) / (n x throughput(1)). Then the driver's peak memory (RSS above its level before the
run) on a short and a 10x longer video with the same job, to show it does not grow with the length, and on four
videos of a quarter of that length at once.

    .venv/bin/python benchmarks/job_scaling.py [--actors 1 2 4 8 16] [--rounds 12] [--clips 4] [--long-frames 4800]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import threading
import time
from datetime import date
from fractions import Fraction
from pathlib import Path

import numpy as np
import psutil
import ray

from tooncrafter_batch.backends import registry
from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job
from tooncrafter_batch.orchestration.base import WorkUnit
from tooncrafter_batch.orchestration.ray_executor import RayExecutor
from tooncrafter_batch.synthetic import CartoonSpec, write_cartoon

LATENCY_SECONDS = 0.2
CPUS_PER_ACTOR = 0.1


class SleepingInterpolator:
    """Stand-in backend: waits a fixed time per pair (like a remote GPU would) and returns copies of the start."""

    name = "sleep"
    needs_gpu = False
    max_batch = 1

    def interpolate(self, pairs, times):
        time.sleep(LATENCY_SECONDS * len(pairs))
        return [[pair.start.copy() for _ in positions] for pair, positions in zip(pairs, times)]


def register_stand_in() -> None:
    """Runs in the driver and in every Ray worker (worker_process_setup_hook), so actors can build `sleep`."""
    registry.BACKENDS["sleep"] = SleepingInterpolator


def executor_throughput(num_actors: int, rounds: int) -> float:
    """Pairs per second through RayExecutor with `num_actors` actors, `rounds` pairs per actor."""
    frame = np.zeros((48, 64, 3), np.uint8)
    units = [WorkUnit((Pair(frame, frame),), ((0.25, 0.5, 0.75),)) for _ in range(rounds * num_actors)]
    with RayExecutor(BackendSpec("sleep"), num_actors=num_actors, cpus_per_actor=CPUS_PER_ACTOR) as executor:
        list(executor.run(units[:num_actors]))  # warm-up: every actor has answered once
        started = time.perf_counter()
        count = sum(1 for _ in executor.run(units))
        return count / (time.perf_counter() - started)


class FrameClock:
    """A Progress that notes when output frames are written: throughput without actor start-up or final encode."""

    def __init__(self):
        self.times: list[float] = []

    def start(self, task, total):
        pass

    def advance(self, task, amount=1):
        if task == "frames out":
            self.times.append(time.perf_counter())

    def close(self):
        pass


def job_throughput(num_actors: int, rounds: int, num_clips: int, videos_in_flight: int, folder: Path) -> float:
    """Pairs per second of a job of `num_clips` clips holding `rounds` x `num_actors` pairs in all, run
    `videos_in_flight` at a time, from its first frame out to its last."""
    name = f"{num_actors}_{videos_in_flight}"
    clips = folder / f"clips_{name}"
    clips.mkdir()
    pairs_per_clip = max(1, rounds * num_actors // num_clips)
    for number in range(num_clips):
        write_cartoon(clips / f"clip{number}.mp4", CartoonSpec(width=64, height=48, num_frames=pairs_per_clip + 1,
                                                               seed=number, with_audio=False))
    job = _write_job(folder / f"job_{name}.yaml", clips, folder / f"out_{name}", num_actors, videos_in_flight)
    clock = FrameClock()
    report = JobRunner(load_job(job), progress=clock).run()
    assert report.exit_code == 0, report
    # 4 output frames per pair plus each clip's last frame held 4 times; the window opens when the first pair is back
    pairs_after_first = (len(clock.times) - 4 * num_clips) / 4 - 1
    return pairs_after_first / (max(clock.times) - min(clock.times))  # appended by several video threads


def driver_peak_memory(num_frames: int, num_clips: int, folder: Path) -> tuple[float, float]:
    """(peak RSS above the starting level in MiB, seconds) of the driver running a job of `num_clips` clips of
    `num_frames` frames each, all at once."""
    clips = folder / f"clips_long_{num_frames}_{num_clips}"
    clips.mkdir()
    for number in range(num_clips):
        write_cartoon(clips / f"long{number}.mp4", CartoonSpec(width=160, height=96, num_frames=num_frames,
                                                                seed=number, with_audio=True))
    name = f"long_{num_frames}_{num_clips}"
    job = _write_job(folder / f"{name}.yaml", clips, folder / f"out_{name}", 2, num_clips, backend="duplicate")
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.wait(0.05):
            peak[0] = max(peak[0], process.memory_info().rss)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    try:
        assert JobRunner(load_job(job)).run().exit_code == 0
    finally:
        done.set()
        sampler.join()
    return (peak[0] - baseline) / 2 ** 20, time.perf_counter() - started


def _write_job(path: Path, clips: Path, output: Path, actors: int, videos_in_flight: int,
               backend: str = "sleep") -> Path:
    path.write_text(f"inputs: ['{clips}']\noutput: '{output}'\nfactor: 4\nbackend: {backend}\ndedupe: off\n"
                    f"chunk_frames: 48\nvideos_in_flight: {videos_in_flight}\n"
                    f"resources: {{actors: {actors}, cpus_per_actor: {CPUS_PER_ACTOR}}}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--rounds", type=int, default=12, help="pairs per actor in each measurement")
    parser.add_argument("--clips", type=int, default=4, help="clips in the job measurements")
    parser.add_argument("--long-frames", type=int, default=4800, help="frames of the long clip (4800 = 200 s)")
    args = parser.parse_args()
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    register_stand_in()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             object_store_memory=200 * 2 ** 20, runtime_env={"worker_process_setup_hook": register_stand_in})
    print(f"# {date.today()} {platform.node()} {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"ray {ray.__version__}; stand-in latency {LATENCY_SECONDS * 1000:.0f} ms/pair, "
          f"{CPUS_PER_ACTOR} CPU per actor")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        print(f"| actors | executor pairs/s | efficiency | job, 1 video at a time: pairs/s | efficiency | "
              f"job, {args.clips} at once: pairs/s | efficiency |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        base = None
        for num_actors in args.actors:
            rates = (executor_throughput(num_actors, args.rounds),
                     job_throughput(num_actors, args.rounds, args.clips, 1, folder),
                     job_throughput(num_actors, args.rounds, args.clips, args.clips, folder))
            base = base or rates
            cells = [f"{rate:.2f} | {rate / (num_actors * first):.3f}" for rate, first in zip(rates, base)]
            print(f"| {num_actors} | {' | '.join(cells)} |", flush=True)
        for num_frames, num_clips in ((args.long_frames // 10, 1), (args.long_frames, 1), (args.long_frames // 4, 4)):
            megabytes, seconds = driver_peak_memory(num_frames, num_clips, folder)
            print(f"driver peak RSS growth, {num_clips} clip(s) of {num_frames} frames 160x96 x4 at once (duplicate "
                  f"backend, 2 actors): {megabytes:.0f} MiB in {seconds:.1f} s", flush=True)
    ray.shutdown()


if __name__ == "__main__":
    main()
