"""ToonCrafter fine-tuning on the tiny config (random weights, CPU): the recipe's keys, the objective, the loop, the
output checkpoint, adapters and gradient checkpointing."""

from fractions import Fraction
from pathlib import Path

import pytest
import torch

from finetune_cases import SPEC, cartoon_frames
from tooncrafter_batch.backends.tooncrafter import load_model
from tooncrafter_batch.cli import main
from tooncrafter_batch.backends.tooncrafter_options import ToonCrafterOptions
from tooncrafter_batch.errors import InputError, SettingsError
from tooncrafter_batch.training.clips import frame_clips, sample_clips, split_clips
from tooncrafter_batch.training.recipes import adapter_layers, temporal_parameter_names, trained_parameter_names
from tooncrafter_batch.training.rectification import DiffusionObjective, dropped_conditions
from tooncrafter_batch.training.rectify import load_model_settings, load_trainee, rectify, select_parameters, train_step
from tooncrafter_batch.synthetic import write_cartoon
from tooncrafter_batch.training.settings import FinetuneJob, RectificationSettings, TrainingSettings
from tooncrafter_batch.training.spec import load_finetune_spec
from tooncrafter_batch.training.triplets import TripletSettings
from tooncrafter_batch.weights.builder import build_model, load_model_config
from tooncrafter_batch.weights.checkpoint import read_state_dict, save_safetensors

TINY_CONFIG = Path(__file__).resolve().parents[2] / "configs" / "tooncrafter_tiny.yaml"
CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def tiny_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = build_model(load_model_config(TINY_CONFIG))
    return save_safetensors(model, tmp_path_factory.mktemp("tooncrafter") / "initial.safetensors", torch.float32)


@pytest.fixture(scope="module")
def clips():
    return frame_clips(cartoon_frames(), Fraction(24), "cartoon", (64, 96), 16, 2, TripletSettings())


@pytest.fixture
def make_job(tmp_path, tiny_checkpoint):
    def make(steps: int = 2, validate_every: int = 50, **tooncrafter) -> FinetuneJob:
        training = TrainingSettings(num_steps=steps, batch_size=1, learning_rate=1e-3, validate_every=validate_every)
        return FinetuneJob(inputs=(tmp_path / "footage.mp4",), output=tmp_path / "show.safetensors",
                           backend="tooncrafter", weights=tiny_checkpoint, threads=1, training=training,
                           tooncrafter=RectificationSettings(config=TINY_CONFIG, validation_steps=2, **tooncrafter))
    return make


@pytest.fixture(autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_clips_stay_inside_a_shot_at_the_clip_rate(clips):
    assert clips and all(len(clip.indices) == 16 and clip.frames.shape == (16, 64, 96, 3) for clip in clips)
    assert {clip.shot for clip in clips} == {("cartoon", 0), ("cartoon", 1)}  # the cut at frame 18 splits them
    assert all(clip.frame_rate == 24 // (clip.indices[1] - clip.indices[0]) for clip in clips)


def test_rectification_trains_the_spatial_layers_and_the_projector_and_freezes_the_temporal_ones():
    model = build_model(load_model_config(TINY_CONFIG), "meta")
    trained, temporal = trained_parameter_names(model, "rectification"), temporal_parameter_names(model)
    names = {name for name, _ in model.named_parameters()}
    assert trained | temporal == {name for name in names if name.startswith(("model.", "image_proj_model."))}
    assert not trained & temporal
    assert all(any(part in name for part in ("temopral_conv", "init_attn", "fps_embedding", ".2.", ".1."))
               for name in temporal)
    assert {name for name in names if "temopral_conv" in name or "init_attn" in name} <= temporal
    assert {name for name in names if "to_k_ip" in name or "time_embed" in name} <= trained
    assert trained_parameter_names(model, "released") == trained | temporal


def test_the_official_model_splits_as_its_manifest_counts():
    model = build_model(load_model_settings(RectificationSettings()), "meta")
    sizes = {name: parameter.numel() for name, parameter in model.named_parameters()}
    # manifest_512.json unet_breakdown: spatial 863 871 684 + to_k_ip/to_v_ip 25 559 040 + time_embed 2 050 560,
    # and the Resampler's 48 787 456; temporal 266 891 520 + 272 850 880 + init_attn 5 580 736 + fps 2 050 560
    assert sum(sizes[name] for name in trained_parameter_names(model, "rectification")) == 940_268_740
    assert sum(sizes[name] for name in temporal_parameter_names(model)) == 547_373_696


@pytest.mark.parametrize("draw, text_dropped, image_dropped", [
    pytest.param(0.01, True, False, id="text-only"),
    pytest.param(0.07, True, True, id="both"),
    pytest.param(0.12, False, True, id="image-only"),
    pytest.param(0.5, False, False, id="kept"),
])
def test_condition_dropout_cases(draw, text_dropped, image_dropped):
    text, image = dropped_conditions(torch.tensor([draw]), 0.05)
    assert (bool(text), bool(image)) == (text_dropped, image_dropped)


def test_the_target_is_the_velocity_of_the_rescaled_latent(make_job):
    model = load_trainee(make_job(), CPU)
    objective = DiffusionObjective(model, "", 0.05)
    latents, noise = torch.randn(2, 4, 16, 8, 12), torch.randn(2, 4, 16, 8, 12)
    timesteps = torch.tensor([10, 900])
    noisy, velocity = objective.noised(latents, timesteps, noise)
    alpha = model.alphas_cumprod[timesteps].view(-1, 1, 1, 1, 1)
    x0 = latents * model.scale_arr[timesteps].view(-1, 1, 1, 1, 1)
    torch.testing.assert_close(alpha.sqrt() * noisy - (1 - alpha).sqrt() * velocity, x0, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("lora_rank, learning_rate", [(0, 1e-3), (4, 3e-2)], ids=["weights", "adapters"])
def test_loss_falls_on_a_fixed_batch(make_job, clips, lora_rank, learning_rate):
    job = make_job(lora_rank=lora_rank)
    model = load_trainee(job, CPU)
    parameters = list(select_parameters(model, job.tooncrafter, 0).values())
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate)
    objective = DiffusionObjective(model, "", 0.05)
    batch = sample_clips(clips, 1, torch.Generator().manual_seed(0))
    losses = []
    for _ in range(4):
        torch.manual_seed(0)
        losses.append(train_step(objective, optimizer, parameters, batch, torch.Generator().manual_seed(1),
                                 job.tooncrafter))
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.97 * losses[0]


@pytest.mark.parametrize("tooncrafter, trained", [
    pytest.param({}, "recipe", id="rectification"),
    pytest.param({"lora_rank": 2}, "adapted", id="lora-merged"),
])
def test_the_output_changes_exactly_the_trained_keys_and_loads_into_the_backend(make_job, clips, tiny_checkpoint,
                                                                               tooncrafter, trained):
    job = make_job(**tooncrafter)
    state = rectify(job, clips, CPU)
    assert state.step == 2
    before, after = read_state_dict(tiny_checkpoint), read_state_dict(job.output)
    assert list(after) == list(before)
    changed = {key for key in before if not torch.equal(before[key], after[key])}
    model = build_model(load_model_config(TINY_CONFIG), "meta")
    expected = (trained_parameter_names(model, "rectification") if trained == "recipe"
                else {name + ".weight" for name in adapter_layers(model, "rectification")})
    assert changed == expected  # and every other key bit-identical
    options = ToonCrafterOptions(config=str(TINY_CONFIG), checkpoint=str(job.output))
    loaded = load_model(options, load_model_config(TINY_CONFIG))  # a strict load
    assert all(torch.equal(tensor, after[key]) for key, tensor in loaded.state_dict().items())


def test_a_rerun_resumes_where_the_saved_state_stopped(make_job, clips, tmp_path):
    rectify(make_job(steps=1), clips, CPU)
    resumed = rectify(make_job(steps=2), clips, CPU)
    first = read_state_dict(tmp_path / "show.safetensors")
    for path in tmp_path.glob("show*"):
        path.unlink()
    straight = rectify(make_job(steps=2), clips, CPU)
    assert resumed.step == straight.step == 2
    second = read_state_dict(tmp_path / "show.safetensors")
    assert all(torch.equal(first[key], second[key]) for key in first)


def test_held_out_clips_are_scored_and_the_best_weights_kept(make_job, clips, tiny_checkpoint):
    job = make_job(steps=1)
    state = rectify(job, clips[:1], CPU, validation=clips[1:])
    assert [score.step for score in state.scores] == [0, 1]  # the starting weights, then the last step
    assert all(0 < score.psnr < 100 and -1 <= score.ssim <= 1 for score in state.scores)
    before, after = read_state_dict(tiny_checkpoint), read_state_dict(job.output)
    is_changed = any(not torch.equal(before[key], after[key]) for key in before)
    assert is_changed == (state.best.step != 0)  # the output is the best-scored weights, the starting ones included


def test_one_shot_cannot_be_split_for_validation(clips):
    one_shot = [clip for clip in clips if clip.shot == clips[0].shot]
    with pytest.raises(InputError, match="validation_fraction to 0"):
        split_clips(one_shot, 0.2)
    assert split_clips(one_shot, 0) == (one_shot, [])


def test_gradient_checkpointing_gives_the_same_gradients(make_job, clips):
    batch = sample_clips(clips, 1, torch.Generator().manual_seed(0))
    gradients = []
    for checkpointing in (False, True):
        job = make_job(gradient_checkpointing=checkpointing)
        model = load_trainee(job, CPU)
        parameters = select_parameters(model, job.tooncrafter, 0)
        torch.manual_seed(0)  # the same dropout masks
        DiffusionObjective(model, "", 0.05).loss(batch, torch.Generator().manual_seed(1)).backward()
        gradients.append({name: parameter.grad for name, parameter in parameters.items()})
    assert gradients[0].keys() == gradients[1].keys()
    for name, gradient in gradients[0].items():
        torch.testing.assert_close(gradients[1][name], gradient, atol=1e-6, rtol=1e-5, msg=name)


def test_bf16_is_a_cuda_option(make_job):
    with pytest.raises(SettingsError, match="bf16 training needs --device cuda"):
        make_job(bf16=True)


def test_the_command_fine_tunes_tooncrafter_on_a_video(tmp_path, tiny_checkpoint, capsys):
    video = write_cartoon(tmp_path / "show.mp4", SPEC)
    out = tmp_path / "show_tc.safetensors"
    code = main(["finetune", str(video), "--out", str(out), "--backend", "tooncrafter",
                 "--checkpoint", str(tiny_checkpoint), "--config", str(TINY_CONFIG), "--steps", "1",
                 "--batch-size", "1", "--lora-rank", "2", "--gradient-checkpointing", "--threads", "1",
                 "--validation-fraction", "0"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = " ".join(captured.err.split())  # the console wraps long lines
    assert "validation clips" in summary and "--backend tooncrafter --checkpoint" in summary
    assert sorted(read_state_dict(out)) == sorted(read_state_dict(tiny_checkpoint))


def test_a_yaml_run_takes_a_tooncrafter_section(tmp_path):
    spec = tmp_path / "show.yaml"
    spec.write_text("finetune:\n  backend: tooncrafter\n  inputs: [ep1.mp4]\n  output: show.safetensors\n"
                    "  weights: model.ckpt\n  tooncrafter: {config: tiny.yaml, lora_rank: 8, recipe: released}\n")
    job = load_finetune_spec(spec)
    assert job.weights == tmp_path / "model.ckpt" and job.tooncrafter.config == tmp_path / "tiny.yaml"
    assert (job.tooncrafter.lora_rank, job.tooncrafter.recipe) == (8, "released")
    spec.write_text("finetune:\n  backend: tooncrafter\n  inputs: [ep1.mp4]\n  output: show.safetensors\n"
                    "  tooncrafter: {recipe: temporal}\n")
    with pytest.raises(Exception, match="recipe must be one of rectification, released"):
        load_finetune_spec(spec)
