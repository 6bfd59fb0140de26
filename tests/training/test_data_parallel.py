"""Fine-tuning on Ray Train: two CPU workers (gloo DistributedDataParallel) train one network, rank 0 writes it."""

import pytest

from finetune_cases import SPEC, TINY
from tooncrafter_batch.synthetic import write_cartoon
from tooncrafter_batch.training.run import finetune_data_parallel
from tooncrafter_batch.training.settings import FinetuneJob
from tooncrafter_batch.weights.learned_builders import build_rife


@pytest.mark.slow
def test_two_workers_train_one_network_and_rank_zero_keeps_the_best(tmp_path, initial_weights, monkeypatch):
    monkeypatch.setenv("RAY_USAGE_STATS_ENABLED", "0")
    clip = write_cartoon(tmp_path / "show.mp4", SPEC)
    job = FinetuneJob(inputs=(clip,), output=tmp_path / "show.safetensors", weights=initial_weights, threads=1,
                      training=TINY)
    result = finetune_data_parallel(job, num_workers=2, object_store_memory=80 * 1024**2)
    assert result.steps == TINY.num_steps and result.num_training > 0 and result.num_validation > 0
    assert [score.step for score in result.scores] == [0, 1, 2]
    build_rife(weights=job.output)  # loads strictly
