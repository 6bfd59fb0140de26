"""LocalExecutor: results in submission order, bounded read-ahead, same frames as calling the backend directly."""

import os
import threading

import pytest

from executor_cases import assert_bounded, assert_same_frames, make_units

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.backends.registry import build_backend, default_local_workers
from tooncrafter_batch.errors import BackendError, SettingsError
from tooncrafter_batch.orchestration import LocalExecutor, create_executor, wants_ray


def _direct(spec: BackendSpec, units) -> list:
    backend = build_backend(spec)
    return [backend.interpolate(unit.pairs, unit.times) for unit in units]


@pytest.mark.parametrize("workers, max_in_flight", [(1, None), (2, None), (3, 1), (2, 5)])
def test_results_in_order_and_bounded(units, workers, max_in_flight):
    spec = BackendSpec("blend")
    with LocalExecutor(spec, workers=workers, max_in_flight=max_in_flight) as executor:
        results = assert_bounded(executor, units)
    assert_same_frames(results, _direct(spec, units))
    assert [[len(frames) for frames in result] for result in results] == \
        [[len(positions) for positions in unit.times] for unit in units]


def test_flow_backend_with_threads_matches_direct_calls(units):
    spec = BackendSpec("flow")
    with LocalExecutor(spec, workers=2) as executor:
        results = list(executor.run(units[:4]))
    assert_same_frames(results, _direct(spec, units[:4]))


def test_each_thread_has_its_own_backend(units, monkeypatch):
    """Two threads never share a backend instance at the same time."""
    from tooncrafter_batch.backends.baseline import BlendInterpolator

    busy: set[int] = set()
    clashes = []
    original = BlendInterpolator.interpolate

    def guarded(self, pairs, times):
        if id(self) in busy:
            clashes.append(id(self))
        busy.add(id(self))
        try:
            threading.Event().wait(0.005)
            return original(self, pairs, times)
        finally:
            busy.discard(id(self))

    monkeypatch.setattr(BlendInterpolator, "interpolate", guarded)
    with LocalExecutor(BackendSpec("blend"), workers=3) as executor:
        assert len(list(executor.run(units))) == len(units)
    assert clashes == []


def test_backend_error_reaches_the_caller():
    class Broken(Exception):
        pass

    units = make_units(3)
    with LocalExecutor(BackendSpec("blend")) as executor:
        def exploding():
            yield units[0]
            raise Broken("bad unit")

        with pytest.raises(Broken):
            list(executor.run(exploding()))
        assert len(list(executor.run(units))) == 3  # the executor still works afterwards


def test_unknown_backend_is_a_clear_error():
    with pytest.raises(BackendError, match="unknown backend 'nope'"):
        LocalExecutor(BackendSpec("nope"))


@pytest.mark.parametrize("kind, needs_gpu, workers, address, expected", [
    pytest.param("auto", False, 1, None, False, id="auto-cpu-one-worker"),
    pytest.param("auto", False, 2, None, True, id="auto-workers"),
    pytest.param("auto", True, 1, None, True, id="auto-gpu"),
    pytest.param("auto", False, 1, "127.0.0.1:6379", True, id="auto-address"),
    pytest.param("local", False, 4, None, False, id="local-forced"),
    pytest.param("ray", False, 1, None, True, id="ray-forced"),
])
def test_auto_choice(kind, needs_gpu, workers, address, expected):
    assert wants_ray(kind, needs_gpu, workers, address) is expected


def test_create_local_executor():
    with create_executor("auto", BackendSpec("duplicate"), needs_gpu=False, workers=1) as executor:
        assert isinstance(executor, LocalExecutor)


@pytest.mark.parametrize("kind, workers, address, message", [
    pytest.param("threads", 1, None, "unknown executor", id="bad-kind"),
    pytest.param("local", 1, "127.0.0.1:6379", "needs the Ray executor", id="address-with-local"),
    pytest.param("local", 0, None, "at least 1", id="no-workers"),
])
def test_bad_executor_settings(kind, workers, address, message):
    with pytest.raises(SettingsError, match=message):
        create_executor(kind, BackendSpec("blend"), needs_gpu=False, workers=workers, address=address)


def test_concurrent_runs_share_the_executor_and_a_failing_one_spoils_nothing():
    """As a job runs several videos: one executor, one run per thread, each run's results its own and in order."""
    spec = BackendSpec("blend")
    first, second = make_units(6), make_units(5, width=48, height=32)
    results: dict[str, list] = {}

    def failing():
        yield from first[:2]
        raise RuntimeError("this video's decoder broke")

    def run(name, units):
        try:
            results[name] = list(executor.run(units))
        except RuntimeError as error:
            results[name] = error

    with LocalExecutor(spec, workers=2, max_in_flight=3) as executor:
        threads = [threading.Thread(target=run, args=args)
                   for args in (("first", first), ("second", second), ("failing", failing()))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert isinstance(results["failing"], RuntimeError)
    assert_same_frames(results["first"], _direct(spec, first))
    assert_same_frames(results["second"], _direct(spec, second))


@pytest.mark.parametrize("backend, needs_gpu, expected", [
    pytest.param("flow", False, min(os.cpu_count() or 1, 4), id="flow-one-per-core"),
    pytest.param("blend", False, 1, id="other-backends-one"),
    pytest.param("flow", True, 1, id="gpu-one"),
])
def test_no_worker_count_means_the_executor_chooses(backend, needs_gpu, expected):
    assert wants_ray("auto", False, None, None) is False  # an unset count is not a request for Ray
    assert default_local_workers(BackendSpec(backend), needs_gpu) == expected
    with create_executor("local", BackendSpec(backend), needs_gpu=False, workers=None) as executor:
        assert isinstance(executor, LocalExecutor)
        assert executor.max_in_flight == 2 * default_local_workers(BackendSpec(backend), False)
