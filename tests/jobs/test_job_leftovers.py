"""What killed runs leave in the output folder goes at the start of the next run, and nothing else does."""

import os
import subprocess
from pathlib import Path

from job_cases import write_job

from tooncrafter_batch.backends.baseline import BlendInterpolator
from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job


def _dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def _failing_after(calls_allowed: int):
    """A stand-in `interpolate` that copies the first keyframe, then fails from call `calls_allowed` + 1 on."""
    calls = []

    def interpolate(self, pairs, times):
        calls.append(1)
        if len(calls) > calls_allowed:
            raise RuntimeError("backend gave up")
        return [[pair.start.copy() for _ in positions] for pair, positions in zip(pairs, times)]

    return interpolate


def _job(folder: Path, clip: Path, extra: str = "") -> Path:
    return write_job(folder, f"inputs: ['{clip}']\noutput: out\nfactor: 2\nbackend: blend\nchunk_frames: 4\n"
                             f"retries: 0\n{extra}")


def test_partial_files_of_dead_drivers_and_stale_chunks_go(clean_archive, tmp_path, monkeypatch):
    job = _job(tmp_path, clean_archive / "ep3.mp4")
    with monkeypatch.context() as patch:
        patch.setattr(BlendInterpolator, "interpolate", _failing_after(6))
        assert JobRunner(load_job(job)).run().exit_code == 3
    out = tmp_path / "out"
    work = out / ".toonbatch" / "work"
    [unfinished] = [folder for folder in work.iterdir()]
    assert list(unfinished.glob("chunk_*.mkv")), "the failed run kept its finished chunk"
    other_job_work = work / "0123456789abcdef01234567"  # not a key of this job's inputs: left alone
    other_job_work.mkdir()
    (other_job_work / "chunk_000000.mkv").write_bytes(b"someone else's chunk")
    dead = _dead_pid()
    leftovers = [out / f".ep3_x2.partial-{dead}.mp4", out / f".report.json.partial-{dead}",
                 unfinished / f".chunk_000001.partial-{dead}.mkv"]
    kept = [out / f".ep3_x2.partial-{os.getppid()}.mp4",  # its writer still runs
            out / f".holiday.partial-{dead}.mp4",  # not an output of this job
            out / f"ep3_x2.partial-{dead}.mp4", out / "notes.txt"]  # not hidden; a user's file
    for path in leftovers + kept:
        path.write_bytes(b"x")
    write_job(tmp_path, job.read_text() + "encoder: {crf: 30}\n")  # new settings: the unfinished work is stale
    report = JobRunner(load_job(job)).run()
    assert report.exit_code == 0, [video.reason for video in report.videos]
    assert [path for path in leftovers if path.exists()] == []
    assert not unfinished.exists(), "chunks made under the old settings are gone"
    assert [path for path in kept if not path.exists()] == []
    assert (other_job_work / "chunk_000000.mkv").exists()
    assert (out / "ep3_x2.mp4").is_file()


def test_another_job_file_sharing_the_output_folder_keeps_its_unfinished_chunks(clean_archive, tmp_path,
                                                                                 monkeypatch):
    """Job A (x2) stops half-way; job B (x3, its own file, same input and output folder) runs and finishes; A's
    chunks are not stale for B, and A resumes from them."""
    clip = clean_archive / "ep3.mp4"
    job_a = write_job(tmp_path / "a", f"inputs: ['{clip}']\noutput: ../out\nfactor: 2\nbackend: blend\n"
                                      "chunk_frames: 4\nretries: 0\n")
    job_b = write_job(tmp_path / "b", f"inputs: ['{clip}']\noutput: ../out\nfactor: 3\nbackend: blend\n"
                                      "chunk_frames: 4\nretries: 0\n")
    with monkeypatch.context() as patch:
        patch.setattr(BlendInterpolator, "interpolate", _failing_after(6))
        assert JobRunner(load_job(job_a)).run().exit_code == 3
    work = tmp_path / "out" / ".toonbatch" / "work"
    [unfinished] = list(work.iterdir())
    chunks_a = sorted(unfinished.glob("chunk_*.mkv"))
    assert chunks_a
    assert JobRunner(load_job(job_b)).run().exit_code == 0
    assert (tmp_path / "out" / "ep3_x3.mp4").is_file()
    assert sorted(unfinished.glob("chunk_*.mkv")) == chunks_a, "job B removed job A's work"
    original, resumed_calls = BlendInterpolator.interpolate, []

    def counting(self, pairs, times):
        resumed_calls.append(len(pairs))
        return original(self, pairs, times)

    with monkeypatch.context() as patch:
        patch.setattr(BlendInterpolator, "interpolate", counting)
        report = JobRunner(load_job(job_a)).run()
    assert report.exit_code == 0 and (tmp_path / "out" / "ep3_x2.mp4").is_file()
    resumed = sum(resumed_calls)
    resumed_calls.clear()
    fresh_job = write_job(tmp_path / "fresh", job_a.read_text().replace("../out", "out"))
    with monkeypatch.context() as patch:
        patch.setattr(BlendInterpolator, "interpolate", counting)
        assert JobRunner(load_job(fresh_job)).run().exit_code == 0
    assert 0 < resumed <= sum(resumed_calls) - len(chunks_a), "job A redid the chunks it had finished"
