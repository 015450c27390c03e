"""Where tests find the API reference: $MODELARTS_REFERENCE_DIR first, then
../shared/reference; the skip message names both."""

from __future__ import annotations

import pytest

from tests import conftest


@pytest.fixture
def default(tmp_path, monkeypatch):
    """A stand-in for ../shared/reference that tests create or leave missing."""
    path = tmp_path / "shared" / "reference"
    monkeypatch.setattr(conftest, "DEFAULT_REFERENCE", path)
    return path


def test_the_environment_variable_wins(tmp_path, default):
    default.mkdir(parents=True)
    configured = tmp_path / "elsewhere"
    configured.mkdir()

    assert conftest.find_reference({"MODELARTS_REFERENCE_DIR": str(configured)}) == configured


def test_a_missing_configured_folder_falls_back_to_shared_reference(tmp_path, default):
    default.mkdir(parents=True)

    found = conftest.find_reference({"MODELARTS_REFERENCE_DIR": str(tmp_path / "missing")})

    assert found == default


def test_without_the_variable_shared_reference_is_used(default):
    default.mkdir(parents=True)

    assert conftest.find_reference({}) == default


def test_neither_folder_means_none(tmp_path, default):
    assert conftest.find_reference({"MODELARTS_REFERENCE_DIR": str(tmp_path / "missing")}) is None


def test_the_skip_message_names_both_places():
    message = conftest.REFERENCE_MISSING

    assert "MODELARTS_REFERENCE_DIR" in message
    assert str(conftest.REPO.parent / "shared" / "reference") in message
