"""What a team's tests look like: only the ``modelarts_emulator`` fixture and a client."""

from pathlib import Path

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def test_each_test_starts_from_the_seed(modelarts_emulator):
    assert modelarts_emulator.journal() == []


def test_a_task_runs_to_its_end(modelarts_emulator):
    emu = modelarts_emulator
    status, started, _ = emu.call("POST", f"{emu.dataset_url}/tasks", {"task_type": "auto-label"})
    assert status == 200

    emu.advance_clock(100)  # the emulator runs on the manual clock
    _, task, _ = emu.call("GET", f"{emu.dataset_url}/tasks/{started['task_id']}")

    assert (task["status"], task["elapsed_time"]) == (3, 3)


def test_a_scenario_throttles_the_first_start(modelarts_emulator):
    emu = modelarts_emulator
    emu.load_scenario(SCENARIOS / "busy.yaml")
    busy = emu.scenario_headers("busy")

    first, body, headers = emu.call("POST", f"{emu.dataset_url}/tasks", {}, headers=busy)
    retry, _, _ = emu.call("POST", f"{emu.dataset_url}/tasks", {}, headers=busy)

    assert (first, body["error_code"], headers["Retry-After"]) == (429, "ModelArts.4395", "1")
    assert retry == 200


def test_objects_go_to_the_emulated_obs(modelarts_emulator):
    emu = modelarts_emulator
    emu.s3_client().put_object(Bucket="demo-bucket", Key="images/from-consumer.jpg", Body=b"jpeg")

    _, listed, _ = emu.call("GET", f"{emu.dataset_url}/data-annotations/samples?limit=100")

    sources = [sample["source"] for sample in listed["samples"]]
    assert "obs://demo-bucket/images/from-consumer.jpg" in sources
