"""Settings from the environment."""

from __future__ import annotations

import pytest

from numberdesk.config import Settings


def test_max_call_minutes_defaults_to_four_hours_and_reads_the_environment_i10() -> None:
    assert Settings.from_env({}).max_call_minutes == 240
    assert Settings.from_env({"NUMBERDESK_MAX_CALL_MINUTES": "90"}).max_call_minutes == 90


@pytest.mark.parametrize("raw", ["0", "-5", "soon"])
def test_a_max_call_duration_that_is_not_a_positive_whole_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="NUMBERDESK_MAX_CALL_MINUTES"):
        Settings.from_env({"NUMBERDESK_MAX_CALL_MINUTES": raw})


def test_call_path_commits_skip_the_disk_wait_unless_the_environment_says_on() -> None:
    assert Settings.from_env({}).call_path_synchronous_commit is False
    on = {"NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT": "On"}
    assert Settings.from_env(on).call_path_synchronous_commit is True
    with pytest.raises(ValueError, match="NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT"):
        Settings.from_env({"NUMBERDESK_CALL_PATH_SYNCHRONOUS_COMMIT": "yes"})


def test_a_served_process_warms_its_call_path_indexes_unless_the_environment_says_off() -> None:
    assert Settings.from_env({}).warm_indexes is True
    assert Settings.from_env({"NUMBERDESK_WARM_INDEXES": "off"}).warm_indexes is False
    with pytest.raises(ValueError, match="NUMBERDESK_WARM_INDEXES"):
        Settings.from_env({"NUMBERDESK_WARM_INDEXES": "later"})


def test_a_served_process_refreshes_its_indexes_every_second_unless_told_otherwise() -> None:
    assert Settings.from_env({}).index_refresh_seconds == 1.0
    every = {"NUMBERDESK_INDEX_REFRESH_SECONDS": "0.25"}
    assert Settings.from_env(every).index_refresh_seconds == 0.25
    assert Settings.from_env({"NUMBERDESK_INDEX_REFRESH_SECONDS": "0"}).index_refresh_seconds == 0


@pytest.mark.parametrize("raw", ["-1", "soon", "inf", "nan"])
def test_an_index_refresh_interval_that_is_not_seconds_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="NUMBERDESK_INDEX_REFRESH_SECONDS"):
        Settings.from_env({"NUMBERDESK_INDEX_REFRESH_SECONDS": raw})


def test_workers_and_the_time_a_restarted_worker_may_take_to_warm_read_the_environment() -> None:
    default = Settings.from_env({})
    assert (default.workers, default.worker_warmup_seconds) == (1, 120)
    told = Settings.from_env({"NUMBERDESK_WORKERS": "4", "NUMBERDESK_WORKER_WARMUP_SECONDS": "300"})
    assert (told.workers, told.worker_warmup_seconds) == (4, 300)


@pytest.mark.parametrize("name", ["WORKERS", "WORKER_WARMUP_SECONDS"])
@pytest.mark.parametrize("raw", ["0", "-2", "many"])
def test_a_worker_count_or_warm_up_time_that_is_not_a_positive_whole_number_is_refused(
    name: str, raw: str
) -> None:
    with pytest.raises(ValueError, match=f"NUMBERDESK_{name}"):
        Settings.from_env({f"NUMBERDESK_{name}": raw})
