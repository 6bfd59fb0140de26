"""The diffusion noise schedule: betas, zero-terminal-SNR rescale, checkpoint buffers and DDIM sub-schedules.

Notation (DDPM / DDIM papers): beta_t, alpha_t = 1 - beta_t, alpha_prod_t = prod_{s<=t} alpha_s (the reference's
`alphas_cumprod`). Zero-terminal-SNR: Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are
Flawed", algorithm 1. Everything is computed in float64 and stored as float32, as the reference does.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ...errors import SettingsError

# Buffer names in checkpoint order; these twelve plus `scale_arr` are persistent buffers of the top-level model.
SCHEDULE_BUFFER_NAMES = (
    "betas", "alphas_cumprod", "alphas_cumprod_prev", "sqrt_alphas_cumprod", "sqrt_one_minus_alphas_cumprod",
    "log_one_minus_alphas_cumprod", "sqrt_recip_alphas_cumprod", "sqrt_recipm1_alphas_cumprod",
    "posterior_variance", "posterior_log_variance_clipped", "posterior_mean_coef1", "posterior_mean_coef2",
)


@dataclass(frozen=True)
class ScheduleConfig:
    """The training noise schedule (v-parameterization) and the dynamic-rescale table."""

    num_timesteps: int = 1000
    linear_start: float = 0.00085
    linear_end: float = 0.012
    zero_terminal_snr: bool = True
    base_scale: float = 0.7         # dynamic rescale: x0_pred scale from 1.0 down to base_scale ...
    rescale_ramp_steps: int = 400   # ... over this many timesteps, then flat
    rescale_flat_steps: int = 1000

    def __post_init__(self):
        if self.num_timesteps < 2:
            raise SettingsError(f"schedule.num_timesteps must be at least 2, got {self.num_timesteps}")
        if not 0 < self.linear_start < self.linear_end < 1:
            raise SettingsError(f"schedule needs 0 < linear_start < linear_end < 1, got "
                                f"{self.linear_start}, {self.linear_end}")
        if not 0 < self.base_scale <= 1:
            raise SettingsError(f"schedule.base_scale must be in (0, 1], got {self.base_scale}")


def linear_betas(config: ScheduleConfig) -> torch.Tensor:
    """The "linear" schedule of latent diffusion: linear in sqrt(beta), float64."""
    roots = torch.linspace(config.linear_start ** 0.5, config.linear_end ** 0.5, config.num_timesteps,
                           dtype=torch.float64)
    return roots ** 2


def rescale_zero_terminal_snr(betas: torch.Tensor) -> torch.Tensor:
    """Shift and scale sqrt(alpha_prod) so that it ends at exactly 0 and keeps its first value (float64)."""
    sqrt_alpha_prod = torch.cumprod(1.0 - betas, dim=0).sqrt()
    first, last = sqrt_alpha_prod[0].clone(), sqrt_alpha_prod[-1].clone()
    sqrt_alpha_prod = (sqrt_alpha_prod - last) * (first / (first - last))
    alpha_prod = sqrt_alpha_prod ** 2
    alphas = torch.cat([alpha_prod[:1], alpha_prod[1:] / alpha_prod[:-1]])
    return 1.0 - alphas


def training_betas(config: ScheduleConfig) -> torch.Tensor:
    """The betas the model was trained with (float64)."""
    betas = linear_betas(config)
    return rescale_zero_terminal_snr(betas) if config.zero_terminal_snr else betas


def dynamic_rescale_table(config: ScheduleConfig) -> torch.Tensor:
    """`scale_arr`: linspace(1, base_scale) over the ramp, then base_scale; indexed by timestep (float32)."""
    ramp = torch.linspace(1.0, config.base_scale, config.rescale_ramp_steps, dtype=torch.float64)
    flat = torch.full((config.rescale_flat_steps,), config.base_scale, dtype=torch.float64)
    return torch.cat([ramp, flat]).float()


def schedule_buffers(config: ScheduleConfig) -> dict[str, torch.Tensor]:
    """The thirteen persistent schedule buffers of the checkpoint, by name, in checkpoint order (float32).

    With v-parameterization the reference stores `sqrt_recip_alphas_cumprod` and `sqrt_recipm1_alphas_cumprod`
    as zeros on purpose (they are unused on the v path); we do the same so a saved state dict matches.
    """
    betas = training_betas(config)
    alphas = 1.0 - betas
    alpha_prod = torch.cumprod(alphas, dim=0)
    alpha_prod_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_prod[:-1]])
    posterior_variance = betas * (1.0 - alpha_prod_prev) / (1.0 - alpha_prod)
    values = {
        "betas": betas,
        "alphas_cumprod": alpha_prod,
        "alphas_cumprod_prev": alpha_prod_prev,
        "sqrt_alphas_cumprod": alpha_prod.sqrt(),
        "sqrt_one_minus_alphas_cumprod": (1.0 - alpha_prod).sqrt(),
        "log_one_minus_alphas_cumprod": torch.log(1.0 - alpha_prod),
        "sqrt_recip_alphas_cumprod": torch.zeros_like(betas),
        "sqrt_recipm1_alphas_cumprod": torch.zeros_like(betas),
        "posterior_variance": posterior_variance,
        "posterior_log_variance_clipped": torch.log(posterior_variance.clamp(min=1e-20)),
        "posterior_mean_coef1": betas * alpha_prod_prev.sqrt() / (1.0 - alpha_prod),
        "posterior_mean_coef2": (1.0 - alpha_prod_prev) * alphas.sqrt() / (1.0 - alpha_prod),
    }
    buffers = {name: values[name].float() for name in SCHEDULE_BUFFER_NAMES}
    buffers["scale_arr"] = dynamic_rescale_table(config)
    return buffers


def trailing_timesteps(num_steps: int, num_timesteps: int) -> torch.Tensor:
    """DDIM timesteps with "trailing" spacing, ascending, int64: S=5 of 1000 -> 199, 399, 599, 799, 999.

    As `make_ddim_timesteps(..., "uniform_trailing")` in the reference: round(T, T - c, ..., c) - 1, c = T / S.
    """
    if not 1 <= num_steps <= num_timesteps:
        raise SettingsError(f"the number of sampling steps must be in 1..{num_timesteps}, got {num_steps}")
    step = num_timesteps / num_steps
    points = [round(num_timesteps - k * step) for k in range(num_steps)]
    return torch.tensor(sorted(points), dtype=torch.int64) - 1


@dataclass(frozen=True)
class DDIMSchedule:
    """Per-index DDIM coefficients for timesteps tau_0 < ... < tau_{S-1} (all 1-D, length S, on the CPU).

    `alphas` = alpha_prod[tau_i] (float32); `alphas_prev` = alpha_prod[tau_{i-1}] with alpha_prod[0] for i = 0
    (not 1, as the reference), float64; `sigmas` = eta * sqrt((1 - a_prev) / (1 - a) * (1 - a / a_prev)), float64;
    `scale_ratios` = scale_arr[tau_{i-1}] / scale_arr[tau_i] (1 for i = 0), the dynamic-rescale factor of x0_pred.
    """

    timesteps: torch.Tensor
    alphas: torch.Tensor
    alphas_prev: torch.Tensor
    sigmas: torch.Tensor
    scale_arr: torch.Tensor
    scale_arr_prev: torch.Tensor

    @property
    def sqrt_one_minus_alphas(self) -> torch.Tensor:
        return (1.0 - self.alphas).sqrt()

    @property
    def scale_ratios(self) -> torch.Tensor:
        return self.scale_arr_prev / self.scale_arr


def ddim_schedule(alphas_cumprod: torch.Tensor, scale_arr: torch.Tensor, num_steps: int, eta: float) -> DDIMSchedule:
    """The DDIM sub-schedule of `num_steps` trailing timesteps, from the model's (loaded) schedule buffers."""
    if eta < 0:
        raise SettingsError(f"eta must be >= 0, got {eta}")
    alphas_cumprod = alphas_cumprod.detach().cpu().float()
    scale_arr = scale_arr.detach().cpu().float()
    timesteps = trailing_timesteps(num_steps, alphas_cumprod.shape[0])
    alphas = alphas_cumprod[timesteps]
    alphas_prev = torch.cat([alphas_cumprod[:1], alphas[:-1]]).double()
    ratio = (1.0 - alphas_prev) / (1.0 - alphas.double()) * (1.0 - alphas.double() / alphas_prev)
    sigmas = eta * ratio.sqrt()
    step_scales = scale_arr[timesteps]
    return DDIMSchedule(timesteps=timesteps, alphas=alphas, alphas_prev=alphas_prev, sigmas=sigmas,
                        scale_arr=step_scales, scale_arr_prev=torch.cat([step_scales[:1], step_scales[:-1]]))
