"""`backend: auto` with a `route:` section in a job: built into a routed backend, validated at load with the line."""

from pathlib import Path

import pytest

from tooncrafter_batch.errors import JobSpecError, ToonbatchError
from tooncrafter_batch.jobs.spec import parse_job
from tooncrafter_batch.planning.routing import RouteSettings

JOB = Path("/jobs/job.yaml")
BASE = "inputs: [a]\noutput: o\nfactor: 4\n"


def test_route_section_builds_a_routed_backend_and_overrides_patch_it():
    text = BASE + "backend: auto\nroute: {ladder: [flow, blend], budget: 0.2}\noverrides:\n  - match: '*.mkv'\n" \
                  "    route: {budget: 0.5, threshold: 3}\n"
    job = parse_job(text, JOB)
    settings = job.settings_for("a.mp4")
    assert settings.backend.name == "routed"
    assert [rung.name for rung in settings.backend.option_dict()["rungs"]] == ["flow", "blend"]
    assert settings.route == RouteSettings(("flow", "blend"), 0.2)
    assert job.settings_for("b.mkv").route == RouteSettings(("flow", "blend"), 0.5, threshold=3.0)


def test_auto_with_one_rung_is_that_backend():
    settings = parse_job(BASE + "backend: auto\nroute: {ladder: 'blend'}\n", JOB).settings_for("a.mp4")
    assert settings.backend.name == "blend" and settings.route is None
    assert parse_job(BASE + "backend: auto\n", JOB).settings_for("a.mp4").backend.name == "flow"


@pytest.mark.parametrize("text, line, message", [
    pytest.param(BASE + "backend: flow\nroute: {budget: 0.2}\n", 5, "route: route applies to backend: auto only",
                 id="route-without-auto"),
    pytest.param(BASE + "backend: auto\nroute:\n  budget: 2\n", 5, "route: route budget must be a share in [0, 1]",
                 id="budget"),
    pytest.param(BASE + "backend: auto\nroute:\n  ladder: [flow, warp]\n", 6, "route.ladder: unknown backend 'warp'",
                 id="unknown-rung"),
    pytest.param(BASE + "backend: auto\nroute:\n  ladder: flow,blend,flow\n", 5, "names a backend twice",
                 id="repeated-rung"),
    pytest.param(BASE + "backend: auto\nroute:\n  quota: 3\n", 6, "route.quota: unknown key", id="unknown-key"),
    pytest.param(BASE + "backend: auto\nroute:\n  budget: lots\n", 6, "route.budget: expected a number",
                 id="budget-type"),
])
def test_route_errors_name_field_and_line(text, line, message):
    with pytest.raises(JobSpecError) as caught:
        parse_job(text, JOB)
    assert f"job.yaml, line {line}: " in str(caught.value) and message in str(caught.value)


def test_a_job_leaves_no_rung_out_a_rung_without_weights_stops_it(tmp_path):
    job = parse_job(BASE + f"backend: auto\nroute: {{ladder: [flow, gmfss]}}\nmodel: {{weights_dir: {tmp_path}}}\n", JOB)
    with pytest.raises(ToonbatchError, match="gmfss"):
        job.settings_for("a.mp4")
