"""`toonbatch finetune` end to end on a tiny clip, and its result used by `upscale-fps` and by a YAML job."""

from fractions import Fraction

import pytest

from finetune_cases import SPEC
from tooncrafter_batch.cli import main
from tooncrafter_batch.jobs.spec import parse_job
from tooncrafter_batch.synthetic import write_cartoon
from tooncrafter_batch.training.spec import load_finetune_spec

TINY_OPTIONS = ["--steps", "1", "--crop", "32", "--batch-size", "1", "--validate-every", "1", "--threads", "1",
                "--quiet"]


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return write_cartoon(tmp_path_factory.mktemp("footage") / "show.mp4", SPEC)


def test_finetune_writes_weights_that_upscale_fps_loads(clip, tmp_path, initial_weights, capsys):
    out = tmp_path / "show.safetensors"
    code = main(["finetune", str(clip), "--out", str(out), "--weights", str(initial_weights), *TINY_OPTIONS])
    assert code == 0, capsys.readouterr().err
    assert out.is_file() and (tmp_path / "show.state.pt").is_file()
    video = tmp_path / "x2.mp4"
    code = main(["upscale-fps", str(clip), "--factor", "2", "--backend", "rife", "--weights", str(out),
                 "-o", str(video), "--quiet"])
    assert code == 0, capsys.readouterr().err
    assert video.is_file()


@pytest.mark.parametrize("args, code, message", [
    pytest.param(["--backend", "gmfss"], 2, "backend", id="unsupported-backend"),
    pytest.param(["--crop", "50"], 2, "multiple of 32", id="odd-crop"),
    pytest.param(["--weights", "missing.safetensors"], 1, "no weights file at missing.safetensors", id="no-weights"),
])
def test_mistakes_are_one_line_errors(clip, tmp_path, capsys, args, code, message):
    assert main(["finetune", str(clip), "--out", str(tmp_path / "x.safetensors"), *args]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_a_yaml_run_reads_paths_beside_its_file_and_checks_its_settings(tmp_path):
    spec = tmp_path / "show.yaml"
    spec.write_text("finetune:\n  inputs: [ep1.mp4]\n  output: model/show.safetensors\n"
                    "  training: {num_steps: 10, crop: 64}\n  triplets: {max_span: 1/3}\n")
    job = load_finetune_spec(spec)
    assert job.inputs == (tmp_path / "ep1.mp4",) and job.output == tmp_path / "model" / "show.safetensors"
    assert job.training.num_steps == 10 and job.triplets.max_span == Fraction(1, 3)
    spec.write_text("finetune:\n  inputs: [ep1.mp4]\n  output: show.safetensors\n  training: {steps: 10}\n")
    with pytest.raises(Exception, match="finetune.training.steps is not a key"):
        load_finetune_spec(spec)


def test_a_job_takes_the_fine_tuned_file_as_a_rife_model_option(tmp_path, initial_weights):
    (tmp_path / "show.safetensors").write_bytes(initial_weights.read_bytes())
    text = "inputs: [in.mp4]\noutput: out\nfactor: 2\nbackend: rife\nmodel: {weights: show.safetensors}\n"
    backend = parse_job(text, tmp_path / "job.yaml").settings_for("in.mp4").backend
    assert backend.name == "rife" and backend.option_dict()["weights"] == str(tmp_path / "show.safetensors")
