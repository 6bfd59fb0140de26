"""Ray Train's error wrappers around a worker's exception: a user error comes back as itself (no Ray started)."""

import pytest

from tooncrafter_batch.errors import InputError, SettingsError, ToonbatchError
from tooncrafter_batch.orchestration.ray_training import _user_error, fit_data_parallel


def test_a_workers_user_error_is_unwrapped():
    from ray.train.v2._internal.exceptions import UserExceptionWithTraceback
    from ray.train.v2.api.exceptions import WorkerGroupError

    cause = InputError("no triplets in show.mp4")
    wrapped = WorkerGroupError("rank 1 failed", {0: RuntimeError("gloo"), 1: UserExceptionWithTraceback(cause, "tb")})
    assert _user_error(wrapped) is cause


def test_any_other_failure_is_one_line_naming_it():
    error = _user_error(RuntimeError("NCCL timeout"))
    assert type(error) is ToonbatchError and "RuntimeError: NCCL timeout" in str(error)


def test_no_workers_is_a_settings_error():
    with pytest.raises(SettingsError, match="at least 1 worker"):
        fit_data_parallel(lambda *args: None, {}, num_workers=0)
