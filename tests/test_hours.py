from __future__ import annotations

from datetime import UTC, datetime

import pytest

from helpline.hours import is_open, next_opening, parse_business_hours, parse_hours

SEOUL_OFFICE = {
    "timezone": "Asia/Seoul",
    "weekdays": {d: "09:00-18:00" for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25"],
}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (utc(2026, 11, 23, 1, 0), True),  # Monday 10:00 in Seoul
        (utc(2026, 11, 23, 9, 30), False),  # Monday 18:30 in Seoul
        (utc(2026, 11, 22, 3, 0), False),  # Sunday noon in Seoul
        (utc(2026, 12, 25, 3, 0), False),  # a Friday, but a holiday
        (utc(2026, 11, 23, 0, 0), True),  # exactly 09:00 opens
    ],
)
def test_desk_is_open_only_in_its_own_time_zone_hours(moment: datetime, expected: bool) -> None:
    assert is_open(parse_hours(SEOUL_OFFICE), moment) is expected


def test_next_opening_after_friday_evening_is_monday_morning() -> None:
    opening = next_opening(parse_hours(SEOUL_OFFICE), utc(2026, 11, 27, 10, 0))  # Fri 19:00 KST
    assert opening is not None
    assert (opening.weekday(), opening.hour, opening.minute) == (0, 9, 0)


def test_next_opening_skips_holidays() -> None:
    opening = next_opening(parse_hours(SEOUL_OFFICE), utc(2026, 12, 24, 10, 0))  # Thu evening
    assert opening is not None and opening.date().isoformat() == "2026-12-28"


def test_no_hours_configured_means_always_open() -> None:
    assert is_open(parse_hours(None), utc(2026, 11, 22, 3, 0))


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"weekdays": {"monday": "09:00-18:00"}}, "unknown weekday"),
        ({"weekdays": {"mon": "9am-6pm"}}, "should look like"),
        ({"weekdays": {"mon": "18:00-09:00"}}, "end before they start"),
    ],
)
def test_bad_hours_are_explained(bad: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_hours(bad)


def test_a_bad_holiday_date_is_explained() -> None:
    with pytest.raises(ValueError, match="write dates like 2026-12-25"):
        parse_hours({"holidays": ["25/12/2026"]})


def test_a_team_with_its_own_weekdays_keeps_the_desks_time_zone_and_holidays() -> None:
    hours = parse_business_hours(
        {**SEOUL_OFFICE, "teams": {"billing": {"weekdays": {"sat": "10:00-14:00"}}}}
    )
    billing = hours.of("billing")

    assert (billing.timezone, billing.holidays) == ("Asia/Seoul", hours.desk.holidays)
    assert is_open(billing, utc(2026, 11, 28, 2, 0))  # Saturday 11:00 in Seoul
    assert not is_open(billing, utc(2026, 11, 23, 1, 0))  # Monday 10:00: the team is not in
    assert hours.of("account") == hours.desk  # no hours of its own: the desk's


def test_no_business_hours_leave_every_team_open_around_the_clock() -> None:
    assert parse_business_hours(None).of("billing").always_open
