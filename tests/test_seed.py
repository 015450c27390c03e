"""Seed files: buckets (with KMS), objects inline or from files, models, datasets, samples."""

from __future__ import annotations

import textwrap

import pytest

from emulator.api import keys
from emulator.app import create_app
from emulator.config import Config
from emulator.seed import SeedError

SEED = """\
buckets:
  - name: seeded-bucket
    objects:
      - {key: data/one.jpg, text: "one"}
      - {key: data/two.jpg, base64: "dHdv"}
      - {key: data/three.jpg, file: three.bin}
  - name: locked-bucket
    kms_key_id: my-kms-key
    objects:
      - {key: data/a.jpg, text: "a"}
models:
  - {id: model-1, name: my-model}
projects:
  - id: project1
    name: eu-de
    datasets:
      - id: SeededDataset000001
        name: seeded
        type: 1
        data_path: obs://seeded-bucket/data/
        work_path: /seeded-bucket/work/
        labels: [{name: car}]
        samples:
          - {source: /seeded-bucket/data/one.jpg, labels: [car]}
      - id: LockedDataset000001
        name: locked
        type: 0
        data_path: /locked-bucket/data/
        work_path: /seeded-bucket/work/
"""


@pytest.fixture
async def seeded(tmp_path, make_client):
    (tmp_path / "three.bin").write_bytes(b"three")
    seed = tmp_path / "seed.yaml"
    seed.write_text(SEED)
    return await make_client(seed=seed)


async def test_seeded_objects_are_in_obs(seeded):
    store = seeded.app[keys.EMULATOR].store
    assert store.get_object("seeded-bucket", "data/two.jpg") == b"two"
    assert store.get_object("seeded-bucket", "data/three.jpg") == b"three"


async def test_seeded_dataset_has_declared_and_discovered_samples(seeded):
    response = await seeded.get(
        "/v2/project1/datasets/SeededDataset000001/data-annotations/samples"
    )
    body = await response.json()

    states = {s["sample_name"]: s["sample_status"] for s in body["samples"]}
    assert states == {"one.jpg": "__ALL__", "two.jpg": "__NONE__", "three.jpg": "__NONE__"}


async def test_seeded_kms_bucket_refuses_active_learning(seeded):
    response = await seeded.post("/v2/project1/datasets/LockedDataset000001/tasks", json={})

    assert (await response.json())["error_code"] == "ModelArts.4826"


async def test_seeded_model_is_usable_for_pre_labeling(seeded):
    response = await seeded.post(
        "/v2/project1/datasets/SeededDataset000001/tasks",
        json={"task_type": "pre-label", "model_id": "model-1"},
    )

    assert response.status == 200


async def test_reset_restores_the_seed_and_clears_obs(seeded):
    emulator = seeded.app[keys.EMULATOR]
    emulator.store.create_bucket("scratch")
    await seeded.delete("/v2/project1/datasets/SeededDataset000001")

    response = await seeded.post("/_emulator/reset")

    assert response.status == 200
    assert not emulator.store.bucket_exists("scratch")
    assert (await seeded.get("/v2/project1/datasets/SeededDataset000001")).status == 200


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("projects: [{id: p, name: x, datasets: [{id: d}]}]", "missing required field"),
        ("buckets: [{name: b}]\nextra: 1", "$.extra: unknown field"),
        (
            "projects: [{id: p, name: x, datasets: [{id: d, name: n, type: 0, "
            "data_path: /bkt//x/, work_path: /bkt/w/}]}]",
            "ModelArts.4315",
        ),
        ("buckets: [{name: bkt, objects: [{key: k, file: missing.bin}]}]", "missing.bin"),
        ("projects: [", "not valid YAML"),
        (
            'a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
            "c: [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
            ":2:8: alias *a refused: seed files may not use aliases",
        ),
        ("region: " + "[" * 100 + "]" * 100, "nested deeper than 64 levels"),
        ("models: [{id: m, name: n, version: .nan}]", "is not a finite number"),
        ("models: [{id: m, name: n, version: " + "9" * 40 + "}]", "an integer of 40 digits"),
    ],
)
def test_invalid_seed_is_refused_naming_the_problem(tmp_path, text, message):
    seed = tmp_path / "seed.yaml"
    seed.write_text(textwrap.dedent(text))

    with pytest.raises(SeedError) as raised:
        create_app(Config(seed=seed, obs_port=None))

    assert str(seed) in str(raised.value) and message in str(raised.value)
