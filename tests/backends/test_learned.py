"""The learned backends around their networks: options, padding, the ensemble, pinned threads, work reused per pair
(weights from `make weights`)."""

from fractions import Fraction

import numpy as np
import pytest
import torch

from tooncrafter_batch.backends.learned_options import LearnedOptions, locate_learned_weights
from tooncrafter_batch.datatypes import Pair
from tooncrafter_batch.errors import CheckpointError, SettingsError
from tooncrafter_batch.synthetic import CartoonSpec, render_frame

SPEC = CartoonSpec(width=150, height=90, num_frames=8, frame_rate=Fraction(24))


@pytest.fixture(scope="module")
def weights_dir() -> str:
    try:
        return locate_learned_weights(LearnedOptions(), "rife").weights_dir
    except CheckpointError as error:
        pytest.skip(f"rife weights absent: run `make weights` ({error})")


def _pair() -> Pair:
    return Pair(render_frame(SPEC, Fraction(0)), render_frame(SPEC, Fraction(2, 24)))


def _rife(weights_dir: str, **options):
    from tooncrafter_batch.backends.rife import RifeInterpolator

    return RifeInterpolator(weights_dir=weights_dir, **options)


@pytest.mark.parametrize("options, message", [
    pytest.param({"dtype": "fp16"}, "needs device cuda", id="half-on-cpu"),
    pytest.param({"scale": 0.7}, "scale must be one of", id="odd-scale"),
    pytest.param({"device": "tpu"}, "device must be one of", id="unknown-device"),
    pytest.param({"variant": "fancy"}, "variant must be one of", id="unknown-variant"),
    pytest.param({"threads": 0}, "threads must be at least 1", id="no-threads"),
])
def test_bad_options_are_one_line_settings_errors(options, message):
    with pytest.raises(SettingsError, match=message):
        LearnedOptions(**options)


def test_missing_weights_say_how_to_get_them(tmp_path):
    with pytest.raises(CheckpointError, match=r"toonbatch model download rife"):
        locate_learned_weights(LearnedOptions(weights_dir=str(tmp_path)), "rife")


def test_in_betweens_lie_between_the_keyframes_and_keep_the_size(weights_dir):
    pair = _pair()
    middle = _rife(weights_dir).interpolate([pair], [[0.5]])[0][0]
    assert middle.shape == pair.start.shape and middle.dtype == np.uint8
    moved = np.abs(pair.start.astype(int) - pair.end).sum(axis=2) > 30
    assert 0 < np.abs(middle.astype(int) - pair.start)[moved].mean() < np.abs(pair.end.astype(int) - pair.start)[moved].mean()


def test_ensemble_is_close_to_the_plain_network_and_symmetric(weights_dir):
    pair = _pair()
    plain = _rife(weights_dir).interpolate([pair], [[0.5]])[0][0].astype(int)
    ensemble = _rife(weights_dir, ensemble=True)
    forward = ensemble.interpolate([pair], [[0.5]])[0][0].astype(int)
    backward = ensemble.interpolate([Pair(pair.end, pair.start)], [[0.5]])[0][0].astype(int)
    assert np.abs(forward - backward).max() <= 1, "the swapped pair gives the same middle frame"
    assert 0 < np.abs(forward - plain).mean() < 4


def test_flip_is_close_to_the_plain_network_and_mirror_symmetric(weights_dir):
    whole = _pair()
    pair = Pair(*(np.ascontiguousarray(image[:64, :128]) for image in (whole.start, whole.end)))  # no padding
    mirrored = Pair(*(np.ascontiguousarray(image[:, ::-1]) for image in (pair.start, pair.end)))
    plain = _rife(weights_dir).interpolate([pair], [[0.5]])[0][0].astype(int)
    flip = _rife(weights_dir, flip=True)
    frame = flip.interpolate([pair], [[0.5]])[0][0].astype(int)
    frame_of_mirrored = flip.interpolate([mirrored], [[0.5]])[0][0].astype(int)
    assert np.abs(frame - frame_of_mirrored[:, ::-1]).max() <= 1, "the mirrored pair gives the mirrored frame"
    assert 0 < np.abs(frame - plain).mean() < 4


def test_threads_are_pinned(weights_dir):
    _rife(weights_dir, threads=1)
    assert torch.get_num_threads() == 1
    _rife(weights_dir, threads=2)
    assert torch.get_num_threads() == 2


def test_gmfss_prepares_each_pair_once_for_all_its_positions(weights_dir, monkeypatch):
    from tooncrafter_batch.backends.gmfss import GmfssInterpolator
    from tooncrafter_batch.models.gmfss.gmfss import GMFSS

    calls = []
    original = GMFSS.prepare
    monkeypatch.setattr(GMFSS, "prepare", lambda self, *frames: calls.append(1) or original(self, *frames))
    backend = GmfssInterpolator(weights_dir=weights_dir)
    frames = backend.interpolate([_pair()], [[0.25, 0.5, 0.75]])[0]
    assert len(calls) == 1 and len(frames) == 3
    assert np.abs(frames[0].astype(int) - _pair().start).mean() < np.abs(frames[2].astype(int) - _pair().start).mean()


@pytest.mark.parametrize("fit", ["stretch", "pad"])
def test_sizes_the_network_cannot_take_come_back_at_their_own_size(weights_dir, fit):
    odd = Pair(_pair().start[:77, :131].copy(), _pair().end[:77, :131].copy())
    frame = _rife(weights_dir, fit=fit).interpolate([odd], [[0.5]])[0][0]
    assert frame.shape == (77, 131, 3)
    moved = np.abs(odd.start.astype(int) - odd.end).sum(axis=2) > 30
    assert np.abs(frame.astype(int) - odd.start)[moved].mean() < np.abs(odd.end.astype(int) - odd.start)[moved].mean()


def test_batch_pairs_run_together_and_agree_with_one_at_a_time(weights_dir, monkeypatch):
    from tooncrafter_batch.models.rife.ifnet import IFNet

    batch_sizes = []
    original = IFNet.forward
    monkeypatch.setattr(IFNet, "forward", lambda self, a, b, t, scale=1.0: batch_sizes.append(a.shape[0])
                        or original(self, a, b, t, scale))
    other = Pair(render_frame(SPEC, Fraction(3, 24)), render_frame(SPEC, Fraction(5, 24)))
    pairs, times = [_pair(), Pair(_pair().start, _pair().start), other], [[0.5], [0.5], [0.25, 0.75]]
    together = _rife(weights_dir, batch_pairs=4).interpolate(pairs, times)
    assert batch_sizes == [3], "the two moving pairs' three in-betweens in one forward; the still pair cross-faded"
    alone = [_rife(weights_dir).interpolate([pair], [positions])[0] for pair, positions in zip(pairs, times)]
    for got, want in zip(together, alone):
        assert len(got) == len(want) and all(np.abs(a.astype(int) - b).max() <= 1 for a, b in zip(got, want))
