"""pipelines/cluster.yaml on a two-node local Ray cluster, with an actor killed while it holds work."""

import os
import shutil
from pathlib import Path

import pytest

from job_cases import CLIPS, CountingProgress, assert_same_videos

from tooncrafter_batch.jobs.runner import JobRunner
from tooncrafter_batch.jobs.spec import load_job
from tooncrafter_batch.orchestration.ray_executor import ACTOR_NAME_PREFIX

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster  # noqa: E402  (after the importorskip)

EXAMPLE = Path(__file__).resolve().parents[2] / "pipelines" / "cluster.yaml"


@pytest.fixture(scope="module")
def two_node_cluster():
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "object_store_memory": 80 * 1024 ** 2,
                                                             "include_dashboard": False})
    cluster.add_node(num_cpus=1, object_store_memory=80 * 1024 ** 2)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False, configure_logging=False)
    yield cluster
    ray.shutdown()
    cluster.shutdown()


def _kill_one_actor() -> None:
    names = sorted(name for name in ray.util.list_named_actors() if name.startswith(ACTOR_NAME_PREFIX))
    ray.kill(ray.get_actor(names[0]), no_restart=True)


def test_cluster_example_survives_a_killed_actor(two_node_cluster, clean_archive, tmp_path):
    for name in CLIPS:
        (tmp_path / "archive" / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(clean_archive / name, tmp_path / "archive" / name)
    job = tmp_path / "cluster.yaml"
    shutil.copy(EXAMPLE, job)
    assert len(ray.nodes()) == 2
    progress = CountingProgress(on_first={"frames out": _kill_one_actor})
    report = JobRunner(load_job(job), address=two_node_cluster.address, progress=progress).run()
    assert report.exit_code == 0, [video.reason for video in report.videos]
    mp4s = [name for name in CLIPS if name.endswith(".mp4")]
    assert sorted(Path(video.input).name for video in report.videos) == sorted(Path(name).name for name in mp4s)
    assert sum(video.retried_units for video in report.videos) >= 1, "the killed actor's units were run again"
    # The same job on the local executor, no fault: identical frames.
    local = tmp_path / "local.yaml"
    local.write_text(job.read_text().replace("out/cluster", "out/local").replace("actors: 2", "actors: 1"))
    assert JobRunner(load_job(local)).run().exit_code == 0
    for name in mp4s:
        stem = Path(name).stem
        assert_same_videos(tmp_path / "out" / "cluster" / f"{stem}_x4.mp4",
                           tmp_path / "out" / "local" / f"{stem}_x4.mp4")
