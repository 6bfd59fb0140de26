"""RayExecutor on a local Ray (started once for this module): same frames as local, order, back-pressure, retries."""

import os
import threading

import pytest

from executor_cases import assert_bounded, assert_same_frames, make_units

from tooncrafter_batch.backends.base import BackendSpec
from tooncrafter_batch.errors import BackendError
from tooncrafter_batch.orchestration import LocalExecutor, create_executor
from tooncrafter_batch.orchestration.base import RunStats

ray = pytest.importorskip("ray")

from tooncrafter_batch.orchestration.ray_executor import RayExecutor  # noqa: E402  (after the importorskip)


@pytest.fixture(scope="module", autouse=True)
def local_ray():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    ray.init(num_cpus=2, object_store_memory=100 * 1024 * 1024, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    yield
    ray.shutdown()


def _local_results(spec: BackendSpec, units) -> list:
    with LocalExecutor(spec) as executor:
        return list(executor.run(units))


@pytest.mark.parametrize("backend", ["blend", "flow"])
def test_two_actors_give_the_same_frames_as_local(units, backend):
    spec = BackendSpec(backend)
    with RayExecutor(spec, num_actors=2, cpus_per_actor=0.5) as executor:
        results = assert_bounded(executor, units)
        assert executor.retried_units == 0
    assert_same_frames(results, _local_results(spec, units))


def test_rife_actors_give_the_frames_of_local_rife(units):
    """The learned backends pin their CPU threads, so an actor (OMP_NUM_THREADS=1) rounds as the driver does."""
    from tooncrafter_batch.backends.learned_options import LearnedOptions, locate_learned_weights
    from tooncrafter_batch.errors import CheckpointError

    try:
        spec = locate_learned_weights(LearnedOptions(), "rife").backend_spec("rife")
    except CheckpointError as error:
        pytest.skip(f"rife weights absent ({error})")
    few = units[:3]
    with RayExecutor(spec, num_actors=1, cpus_per_actor=1) as executor:
        results = list(executor.run(few))
    assert_same_frames(results, _local_results(spec, few))


def test_units_of_a_killed_actor_are_retried_elsewhere():
    units = make_units(16, pairs_per_unit=2, width=160, height=120)
    spec = BackendSpec("flow")
    with RayExecutor(spec, num_actors=2, cpus_per_actor=0.5, max_in_flight=6) as executor:
        victim = ray.get_actor(executor.actor_names[0])

        def killing():
            for index, unit in enumerate(units):
                if index == 4:  # units 0-3 are queued on the two actors right now
                    ray.kill(victim, no_restart=True)
                yield unit

        stats = RunStats()
        results = list(executor.run(killing(), stats))
        assert stats.retried_units == executor.retried_units >= 1
        assert len(executor.actor_names) == 3  # the dead actor was replaced
    assert_same_frames(results, _local_results(spec, units))


def test_small_window_in_order_also_with_runs_from_several_threads(units):
    """Then as a job runs several videos at once: one run per thread, each gets its own results in order."""
    spec = BackendSpec("blend")
    parts = {"first": units[:7], "second": make_units(5, width=48, height=32)}
    results = {}
    with RayExecutor(spec, num_actors=2, cpus_per_actor=0.5, max_in_flight=1) as executor:
        assert_same_frames(assert_bounded(executor, units), _local_results(spec, units))
        threads = [threading.Thread(target=lambda name=name: results.update({name: list(executor.run(parts[name]))}))
                   for name in parts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    for name, part in parts.items():
        assert_same_frames(results[name], _local_results(spec, part))


def test_a_backend_that_cannot_be_built_is_a_clear_error():
    with pytest.raises(BackendError, match="unknown backend 'nope'"):
        RayExecutor(BackendSpec("nope"), num_actors=1, cpus_per_actor=0.5)


def test_create_executor_picks_ray_for_several_workers(units):
    with create_executor("auto", BackendSpec("duplicate"), needs_gpu=False, workers=2) as executor:
        assert isinstance(executor, RayExecutor)
        assert len(list(executor.run(units[:3]))) == 3
