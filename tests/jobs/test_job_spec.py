"""The job schema: the smallest job, defaults, overrides, and errors that name the field and its line."""

from fractions import Fraction
from pathlib import Path

import pytest

from tooncrafter_batch.conditioning import SourceMode
from tooncrafter_batch.errors import JobSpecError
from tooncrafter_batch.jobs.spec import DEFAULT_NAME_TEMPLATE, load_job, parse_job
from tooncrafter_batch.planning.timing import DedupeMode

JOB = Path("/jobs/job.yaml")
MINIMAL = "inputs: [clips/a.mp4]\noutput: out\nfactor: 4\nbackend: flow\n"


def test_smallest_job_has_four_keys_and_defaults():
    job = parse_job(MINIMAL, JOB)
    assert job.inputs == ("clips/a.mp4",)
    assert job.output == Path("/jobs/out")
    assert (job.resources.actors, job.retries, job.videos_in_flight) == (1, 2, 4)
    settings = job.settings_for("clips/a.mp4")
    assert settings.timing.factor == 4 and settings.timing.fps is None
    assert settings.backend.name == "flow"
    assert (settings.encoder.codec, settings.encoder.crf, settings.encoder.preset) == ("libx264", 18, "medium")
    assert settings.scenes.threshold == 27.0
    assert settings.name_template == DEFAULT_NAME_TEMPLATE


def test_full_job_and_overrides():
    text = """
inputs: [archive/, "extra/*.mkv"]
output: /data/out
name_template: "{stem}-{tag}{ext}"
fps: 59.94
backend: blend
dedupe: off
encoder: {codec: libx264, crf: 20, preset: fast}
scenes: {threshold: 30, min_scene_frames: 4}
resources: {actors: 4, cpus_per_actor: 0.5, gpus_per_actor: 1}
retries: 1
chunk_frames: 48
videos_in_flight: 2
overrides:
  - match: "*.mkv"
    factor: 2
    encoder: {crf: 16}
  - match: "archive/special/*"
    backend: duplicate
"""
    job = parse_job(text, JOB)
    assert job.output == Path("/data/out")
    assert (job.resources.actors, job.resources.cpus_per_actor, job.resources.gpus_per_actor) == (4, 0.5, 1)
    assert (job.retries, job.chunk_frames, job.videos_in_flight) == (1, 48, 2)
    plain = job.settings_for("archive/a.mp4")
    assert plain.timing.fps == Fraction(60000, 1001) and plain.timing.dedupe is DedupeMode.off
    assert plain.encoder.crf == 20 and plain.encoder.preset == "fast" and plain.backend.name == "blend"
    mkv = job.settings_for("extra/b.mkv")
    assert mkv.timing.factor == 2 and mkv.timing.fps is None, "an override's factor replaces the top-level fps"
    assert mkv.encoder.crf == 16 and mkv.encoder.preset == "fast", "an override patches single keys"
    special = job.settings_for("archive/special/c.mkv")
    assert special.backend.name == "duplicate" and special.timing.factor == 2, "matching overrides apply in order"


def test_model_paths_are_relative_to_the_job_file():
    job = parse_job(MINIMAL + "model: {checkpoint: ../model/model.ckpt, config: cfg.yaml, steps: 25}\n", JOB)
    options = job.settings_for("a.mp4").backend.option_dict()
    assert options == {"checkpoint": "/model/model.ckpt", "config": "/jobs/cfg.yaml", "steps": 25}


@pytest.mark.parametrize("text, line, message", [
    pytest.param("inputs: [a]\noutput: o\nfactor: 1\n", 3, "factor: --factor must be an integer of at least 2",
                  id="factor-too-small"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 2.5\n", 3, "factor: expected an integer", id="factor-float"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nfps: 60\n", 4, "fps: give either factor or fps", id="both"),
    pytest.param("inputs: [a]\noutput: o\n", 1, "missing required key 'factor' or 'fps'", id="no-rate"),
    pytest.param("output: o\nfactor: 4\n", 1, "missing required key 'inputs'", id="no-inputs"),
    pytest.param("inputs: []\noutput: o\nfactor: 4\n", 1, "inputs: lists no input", id="empty-inputs"),
    pytest.param("inputs: [a, 3]\noutput: o\nfactor: 4\n", 1, "inputs.1: expected a string", id="input-number"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nbakend: flow\n", 4, "bakend: unknown key 'bakend'", id="typo"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nbackend: magic\n", 4, "backend: unknown backend 'magic'",
                 id="unknown-backend"),
    pytest.param("inputs: [a]\noutput: o\nfps: fast\n", 3, "fps: cannot read frame rate 'fast'", id="bad-fps"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nencoder:\n  codec: libx264\n  crf: 99\n", 4,
                 "encoder: --crf must be in 0..51", id="crf-range"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nencoder:\n  bitrate: 5M\n", 5, "encoder.bitrate: unknown key",
                 id="encoder-key"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nscenes: {threshold: 0}\n", 4,
                 "scenes: scene threshold must be in (0, 255]", id="threshold"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\ndedupe: maybe\n", 4, "dedupe: expected auto, camera or off",
                 id="dedupe"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nsource: pal\n", 4,
                 "source: expected one of auto, progressive, telecine, interlaced, blended, got 'pal'", id="source"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nresources:\n  actors: 0\n", 5,
                 "resources.actors: must be at least 1", id="actors"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nresources:\n  cpus_per_actor: 0\n", 5,
                 "resources.cpus_per_actor: must be positive", id="cpus"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nretries: -1\n", 4, "retries: must be at least 0", id="retries"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nvideos_in_flight: 0\n", 4, "videos_in_flight: must be at least 1",
                 id="videos-in-flight"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\nname_template: '{title}{ext}'\n", 4,
                 "name_template: bad placeholder 'title'", id="template"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\noverrides:\n  - fps: 60\n", 5, "overrides.0: an override needs",
                 id="override-no-match"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\noverrides:\n  - match: '*'\n    output: x\n", 6,
                 "overrides.0.output: unknown key 'output'", id="override-job-key"),
    pytest.param("inputs: [a]\noutput: o\nfactor: 4\noverrides:\n  - match: '*'\n    scenes: {threshold: 300}\n", 6,
                 "overrides.0.scenes: scene threshold", id="override-bad-value"),
    pytest.param("inputs: [a]\noutput: o\nfactor: [4\n", 4, "not valid YAML", id="yaml-syntax"),
    pytest.param("- a\n- b\n", 1, "expected a mapping", id="not-a-mapping"),
])
def test_errors_name_field_and_line(text, line, message):
    with pytest.raises(JobSpecError) as caught:
        parse_job(text, JOB)
    assert f"job.yaml, line {line}: " in str(caught.value)
    assert message in str(caught.value)
    assert caught.value.exit_code == 2


def test_missing_job_file(tmp_path):
    with pytest.raises(JobSpecError, match="cannot read job file"):
        load_job(tmp_path / "nope.yaml")


def test_dedupe_camera_is_a_job_setting():
    job = parse_job(MINIMAL + "dedupe: camera\n", JOB)
    assert job.settings_for("a.mp4").timing.dedupe is DedupeMode.camera


def test_source_is_a_job_setting_overrides_can_change():
    job = parse_job(MINIMAL + "overrides:\n  - match: '*.vob'\n    source: telecine\n", JOB)
    assert job.settings_for("a.mp4").source is SourceMode.auto
    assert job.settings_for("dvd/title1.vob").source is SourceMode.telecine
