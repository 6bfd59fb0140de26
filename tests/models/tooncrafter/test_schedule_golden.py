"""The noise schedule and the DDIM sub-schedules against golden_schedule.safetensors (reference values)."""

import pytest
import torch

from tooncrafter_batch.models.tooncrafter.schedule import (
    SCHEDULE_BUFFER_NAMES, ScheduleConfig, ddim_schedule, linear_betas, schedule_buffers, training_betas,
    trailing_timesteps,
)
from tooncrafter_batch.errors import SettingsError


def test_betas_golden(golden_schedule):
    config = ScheduleConfig()
    torch.testing.assert_close(linear_betas(config), golden_schedule["betas_linear_f64_before_zsnr"],
                               atol=1e-12, rtol=1e-12)
    torch.testing.assert_close(training_betas(config), golden_schedule["betas_f64_after_zsnr"],
                               atol=1e-12, rtol=1e-12)


def test_buffers_golden(golden_schedule, tiny_state_dict):
    buffers = schedule_buffers(ScheduleConfig())
    assert list(buffers) == [*SCHEDULE_BUFFER_NAMES, "scale_arr"]
    checked = [name for name in buffers if f"buffer.{name}" in golden_schedule]
    assert len(checked) == 11
    for name in checked:
        torch.testing.assert_close(buffers[name], golden_schedule[f"buffer.{name}"], atol=1e-6, rtol=1e-5,
                                   msg=lambda text, name=name: f"{name}: {text}")
    for name in buffers:  # the tiny checkpoint holds the same schedule, the two zero v-path buffers included
        torch.testing.assert_close(buffers[name], tiny_state_dict[name], atol=1e-6, rtol=1e-5)
    assert buffers["alphas_cumprod"][-1] == 0 and buffers["betas"][-1] == 1


@pytest.mark.parametrize("num_steps", [5, 10, 50])
@pytest.mark.parametrize("eta", [0.0, 1.0])
def test_ddim_schedule_golden(golden_schedule, num_steps, eta):
    buffers = schedule_buffers(ScheduleConfig())
    schedule = ddim_schedule(buffers["alphas_cumprod"], buffers["scale_arr"], num_steps, eta)
    prefix = f"ddim_S{num_steps}_eta{int(eta)}."
    assert torch.equal(schedule.timesteps, golden_schedule[prefix + "timesteps"])
    for name in ("alphas", "alphas_prev", "sigmas", "sqrt_one_minus_alphas", "scale_arr", "scale_arr_prev"):
        expected = golden_schedule[prefix + "ddim_" + name]
        actual = getattr(schedule, name).to(expected.dtype)
        torch.testing.assert_close(actual, expected, atol=1e-7, rtol=1e-6, msg=lambda text, name=name: f"{name}: {text}")


@pytest.mark.parametrize("num_steps, expected", [
    pytest.param(1, [999], id="one-step"),
    pytest.param(4, [249, 499, 749, 999], id="four"),
    pytest.param(3, [332, 666, 999], id="rounded"),
])
def test_trailing_timesteps(num_steps, expected):
    assert trailing_timesteps(num_steps, 1000).tolist() == expected


@pytest.mark.parametrize("num_steps", [0, 1001])
def test_trailing_timesteps_rejects_bad_step_counts(num_steps):
    with pytest.raises(SettingsError, match="sampling steps"):
        trailing_timesteps(num_steps, 1000)
