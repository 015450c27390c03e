"""OBS path rules in pure Python: the forms a path may take and each way it can be wrong."""

from __future__ import annotations

import pytest

from emulator.codes import DOUBLE_SLASH, INVALID_PATH, SUBDIRECTORY_REQUIRED
from emulator.domain.paths import ObsPath, parse_obs_path, stored_path
from emulator.errors import ModelArtsError
from tests.domain_support import refused_with


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/bucket-1/dir/", ObsPath("bucket-1", "dir/")),
        ("obs://bucket-1/dir/sub", ObsPath("bucket-1", "dir/sub")),
        ("s3://bucket-1/dir/a.manifest", ObsPath("bucket-1", "dir/a.manifest")),
        ("/my.bucket/d_1/x-y/", ObsPath("my.bucket", "d_1/x-y/")),
    ],
)
def test_accepted_forms_give_bucket_and_key(text, expected):
    assert parse_obs_path(text, "field") == expected


@pytest.mark.parametrize(
    "text",
    [
        "bucket-1/dir/",  # neither a scheme nor a leading slash
        "http://bucket-1/dir/",
        "/bucket-1/dir with space/",
        "/bucket-1/dir*/",
        "/bucket-1/../etc/",
        "/bucket-1/./dir/",
        "/bucket-1/dir/..",
        "/Bucket-1/dir/",  # bucket names are lower case
        "/bu/dir/",  # at least three characters
        "/-bucket/dir/",
        "/bucket-/dir/",
        "obs:///dir/",  # no bucket at all
    ],
)
def test_malformed_paths_are_invalid(text):
    with refused_with(INVALID_PATH):
        parse_obs_path(text, "field")


@pytest.mark.parametrize("text", ["/bucket-1//dir/", "obs://bucket-1/dir//sub/"])
def test_double_slash_inside_has_its_own_code(text):
    with refused_with(DOUBLE_SLASH):
        parse_obs_path(text, "field")


@pytest.mark.parametrize("text", ["/bucket-1", "/bucket-1/", "obs://bucket-1/"])
def test_bucket_only_path_needs_a_folder_with_status_400(text):
    with refused_with(SUBDIRECTORY_REQUIRED) as caught:
        parse_obs_path(text, "field")

    assert caught.value.status == 400  # the code is listed under 408 too


def test_bucket_only_path_is_allowed_where_no_folder_is_needed():
    assert parse_obs_path("/bucket-1", "field", subdirectory=False) == ObsPath("bucket-1", "")


def test_the_refusal_names_the_field_and_the_text():
    with pytest.raises(ModelArtsError, match=r"config\.output_dir.*'bucket-1/x/'"):
        parse_obs_path("bucket-1/x/", "config.output_dir")


@pytest.mark.parametrize(
    ("path", "directory"),
    [(ObsPath("b", ""), True), (ObsPath("b", "d/"), True), (ObsPath("b", "d/f.jpg"), False)],
)
def test_a_path_is_a_directory_when_its_key_is_empty_or_ends_with_a_slash(path, directory):
    assert path.is_directory is directory


@pytest.mark.parametrize(
    ("path", "child"),
    [
        (ObsPath("b", ""), ObsPath("b", "x.jpg")),
        (ObsPath("b", "d/"), ObsPath("b", "d/x.jpg")),
        (ObsPath("b", "d"), ObsPath("b", "d/x.jpg")),
    ],
)
def test_child_is_inside_the_folder(path, child):
    assert path.child("x.jpg") == child


def test_as_directory_adds_one_trailing_slash():
    assert ObsPath("b", "d").as_directory() == ObsPath("b", "d/")
    assert ObsPath("b", "d/").as_directory() == ObsPath("b", "d/")


def test_a_path_renders_as_the_api_the_console_and_s3_write_it():
    path = ObsPath("bucket-1", "dir/a.jpg")

    assert (str(path), path.uri, path.s3_uri) == (
        "/bucket-1/dir/a.jpg",
        "obs://bucket-1/dir/a.jpg",
        "s3://bucket-1/dir/a.jpg",
    )


@pytest.mark.parametrize(
    ("uri", "expected"),
    [
        ("obs://bucket-1/dir/a.jpg", ObsPath("bucket-1", "dir/a.jpg")),
        ("obs://bucket-1/dir/with space.jpg", ObsPath("bucket-1", "dir/with space.jpg")),
        ("obs://bucket-1/dir/../up.jpg", ObsPath("bucket-1", "dir/../up.jpg")),
    ],
)
def test_stored_sources_split_back_into_bucket_and_key_without_request_rules(uri, expected):
    assert stored_path(uri) == expected
