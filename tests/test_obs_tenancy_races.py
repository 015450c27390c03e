"""OBS tenancy under races, in strict mode: two domains creating one new bucket name at the
same instant get one 200 and one 409 BucketAlreadyExists (before and after storage has
loaded), and an object written at the instant another domain creates its bucket never lands
in that bucket (on the direct path and through moto): the owner check is made again where
the request acts. Proved with boto3 signing with the
seed's keys.

"The same instant" is made, not hoped for: ``SameInstant`` holds each of the two requests
right after the listener's first checks (signature, owner) until the other one has passed
them too, so neither has acted when both have been admitted. Both requests are answered on worker
threads (creates always are; the objects are above the inline limit), so the event loop
never waits."""

from __future__ import annotations

import asyncio
import threading
from functools import partial

import pytest
from botocore.exceptions import ClientError

from emulator import app as app_module
from emulator.api import keys
from emulator.obs import server
from tests.test_obs_tenancy import (
    DEMO_AK,
    DEMO_SK,
    LARGE,
    OTHER_AK,
    OTHER_SK,
    boto,
    listed,
    refusal,
    two_domain_seed,
)

ROUNDS = 6  # bounded: each round is one race, decided the same way every time
WAIT_SECONDS = 30  # a held request is let go by then, so a broken test fails, never hangs


class Admissions:
    """Holds requests right after the listener's first checks (signature and owner,
    ``server._admit``), before they act: while a race is on, the two racers until both are
    there; a request to a path on hold until it is released."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.barrier: threading.Barrier | None = None
        self.held: dict[str, tuple[threading.Event, threading.Event]] = {}
        self.loaded: list[bool] = []  # whether storage was loaded as each was admitted
        admit = server._admit

        def admit_then_wait(gate, store, s3_request, path_qs):
            admitted = admit(gate, store, s3_request, path_qs)
            self.loaded.append(store.loaded)
            barrier, held = self.barrier, self.held.get(path_qs.split("?")[0])
            if barrier is not None:
                barrier.wait()
            if held is not None:
                arrived, released = held
                arrived.set()
                released.wait(WAIT_SECONDS)
            return admitted

        monkeypatch.setattr(server, "_admit", admit_then_wait)

    async def race(self, *calls) -> list:
        """The calls' outcomes, each made on a thread of its own, all admitted before any
        acts."""
        self.barrier = threading.Barrier(len(calls), timeout=WAIT_SECONDS)
        self.loaded.clear()
        try:
            return await asyncio.gather(*(asyncio.to_thread(outcome, call) for call in calls))
        finally:
            self.barrier = None

    def hold(self, path: str) -> tuple[threading.Event, threading.Event]:
        """Hold the next request to ``path`` once admitted: (set when it is, set to release)."""
        self.held[path] = (threading.Event(), threading.Event())
        return self.held[path]


def outcome(call) -> tuple[int, str]:
    """(200, "") for a call that succeeded, else its refusal's status and S3 error code."""
    try:
        call()
    except ClientError as refused:
        response = refused.response
        return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"]
    return 200, ""


@pytest.fixture
def seed(tmp_path):
    return two_domain_seed(tmp_path)


@pytest.fixture
def admissions(monkeypatch) -> Admissions:
    return Admissions(monkeypatch)


@pytest.mark.parametrize("storage", ["loaded", "not loaded yet"])
async def test_two_domains_creating_one_new_name_at_once_get_200_and_409(
    make_client, seed, monkeypatch, admissions, storage
):
    if storage == "not loaded yet":  # each round's store is the stand-in until it is needed
        monkeypatch.setattr(app_module, "moto_imported", lambda: False)
        monkeypatch.setattr(app_module, "FINISH_STARTING_AFTER", 3600)
    for round_ in range(ROUNDS):
        strict = await make_client(token=None, auth="strict", seed=seed)
        if storage == "loaded":
            assert await strict.app[keys.OBS_STORE].wait_loaded(WAIT_SECONDS)
        demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
        name = f"raced-{round_}"

        answers = await admissions.race(
            partial(demo.create_bucket, Bucket=name), partial(other.create_bucket, Bucket=name)
        )

        assert sorted(answers) == [(200, ""), (409, "BucketAlreadyExists")], answers
        assert admissions.loaded == [storage == "loaded"] * 2
        winner, loser = (demo, other) if answers[0][0] == 200 else (other, demo)
        assert name in await asyncio.to_thread(listed, winner)
        assert name not in await asyncio.to_thread(listed, loser)
        head = partial(loser.head_bucket, Bucket=name)
        # A HEAD's answer has no body, so no code.
        assert await asyncio.to_thread(refusal, head) == (403, "403")
        await strict.close()


# The direct path answers a plain PUT; the ACL header takes the same PUT through moto.
OBJECT_PUTS = {
    "direct path": {},
    "moto path": {"ACL": "private"},
}


@pytest.mark.parametrize("path", list(OBJECT_PUTS))
async def test_an_object_put_admitted_before_another_domain_creates_the_bucket_is_refused(
    make_client, seed, admissions, path
):
    strict = await make_client(token=None, auth="strict", seed=seed)
    demo, other = boto(strict, DEMO_AK, DEMO_SK), boto(strict, OTHER_AK, OTHER_SK)
    arrived, released = admissions.hold("/fresh/intruder")
    put = partial(other.put_object, Bucket="fresh", Key="intruder", Body=LARGE)
    putting = asyncio.ensure_future(asyncio.to_thread(outcome, partial(put, **OBJECT_PUTS[path])))
    try:
        assert await asyncio.to_thread(arrived.wait, WAIT_SECONDS)  # admitted: no bucket yet

        created = await asyncio.to_thread(outcome, partial(demo.create_bucket, Bucket="fresh"))
    finally:
        released.set()
    put_answer = await putting

    assert created == (200, "")
    assert put_answer == (403, "AccessDenied")
    listing = await asyncio.to_thread(demo.list_objects_v2, Bucket="fresh")
    assert listing["KeyCount"] == 0


async def test_a_create_during_a_reset_cannot_take_a_seed_bucket(make_client, tmp_path):
    """A reset empties storage, then applies the seed again; another domain's create of a
    seed bucket's name in between is refused (the seed's owners hold through the reset),
    so the seed's objects never land in that domain's bucket. The create is made where a
    reset's clock reset falls, between the two, by the listener's own worker function."""
    client = await make_client(token=None, auth="strict", seed=two_domain_seed(tmp_path))
    store, emulator = client.app[keys.OBS_STORE], client.app[keys.EMULATOR]
    assert await store.wait_loaded(WAIT_SECONDS)
    other_domain = store.owners.owner("other-bucket")
    gate = server.ObsGate("strict", lambda _key: None)
    answers = []
    clock_reset = emulator.clock.reset

    def reset_then_create() -> None:
        clock_reset()
        request = server.S3Request("PUT", "/demo-bucket", "", {}, b"")
        admitted = (None, other_domain)
        answers.append(server._answer(store, gate, request, None, "/demo-bucket", [], admitted))

    emulator.clock.reset = reset_then_create
    reset = await client.post("/_emulator/reset")
    demo = boto(client, DEMO_AK, DEMO_SK)

    assert reset.status == 200
    assert [answer[0] for answer in answers] == [409]
    assert "demo-bucket" in await asyncio.to_thread(listed, demo)
    assert await asyncio.to_thread(
        refusal, lambda: boto(client, OTHER_AK, OTHER_SK).list_objects_v2(Bucket="demo-bucket")
    ) == (403, "AccessDenied")
