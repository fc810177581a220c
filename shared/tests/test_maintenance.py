"""The weekly maintenance window answers 503 with Retry-After only inside it, for customer-facing
routes only; health, metrics and staff routes keep working."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi import APIRouter, Depends

from claims_shared.maintenance import MaintenanceSchedule
from claims_shared.settings import ServiceSettings
from claims_shared.web import create_service_app, outside_maintenance

TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY_WINDOW = MaintenanceSchedule.parse("MON 02:00-04:00", "Asia/Tokyo")


def tokyo(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """2026-11-23 is a Monday."""
    return datetime(2026, 11, day, hour, minute, second, tzinfo=TOKYO)


@pytest.mark.parametrize(
    ("moment", "inside"),
    [
        (tokyo(23, 1, 59, 59), False),
        (tokyo(23, 2, 0), True),
        (tokyo(23, 3, 59, 59), True),
        (tokyo(23, 4, 0), False),
        (tokyo(24, 2, 30), False),  # Tuesday
        (datetime(2026, 11, 23, 2, 30, tzinfo=UTC), False),  # 11:30 in Tokyo
    ],
)
def test_window_is_monday_two_to_four_in_tokyo(moment: datetime, inside: bool) -> None:
    assert (MONDAY_WINDOW.ends_at(moment) is not None) is inside


def test_window_is_judged_in_japan_time_whatever_the_clock_zone() -> None:
    sunday_utc = datetime(2026, 11, 22, 17, 30, tzinfo=UTC)  # Monday 02:30 in Tokyo
    assert MONDAY_WINDOW.retry_after_seconds(sunday_utc) == 90 * 60


def test_window_may_cross_midnight() -> None:
    schedule = MaintenanceSchedule.parse("SUN 23:30-00:30", "Asia/Tokyo")
    assert schedule.ends_at(tokyo(23, 0, 15)) == tokyo(23, 0, 30)
    assert schedule.ends_at(tokyo(23, 0, 30)) is None


@pytest.mark.parametrize("text", ["MON 2-4", "XYZ 02:00-04:00", "MON 02:00"])
def test_a_malformed_schedule_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="DAY HH:MM-HH:MM"):
        MaintenanceSchedule.parse(text, "Asia/Tokyo")


def test_a_window_that_starts_when_it_ends_is_refused_at_start_up() -> None:
    """It would be read as 24 hours: the service closed for a whole day by a typo."""
    settings = ServiceSettings(service_name="test", maintenance_windows="MON 02:00-02:00")
    with pytest.raises(ValueError, match="starts when it ends"):
        create_service_app(settings=settings)


def test_empty_schedule_means_no_window() -> None:
    assert MaintenanceSchedule.parse("", "Asia/Tokyo").ends_at(tokyo(23, 3)) is None


def _app(now: datetime) -> httpx.AsyncClient:
    customer = APIRouter(dependencies=[Depends(outside_maintenance)])
    staff = APIRouter()

    @customer.get("/api/v1/me")
    async def me() -> dict[str, str]:
        return {"user": "taro"}

    @staff.post("/api/v1/adjuster/ping", status_code=202)
    async def ping() -> dict[str, str]:
        return {"ok": "yes"}

    app = create_service_app(
        settings=ServiceSettings(), routers=[customer, staff], clock=lambda: now
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_customer_routes_answer_503_with_retry_after_inside_the_window() -> None:
    async with _app(tokyo(23, 3, 30)) as client:
        response = await client.get("/api/v1/me")
        english = await client.get("/api/v1/me", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(30 * 60)
    assert response.json()["code"] == "maintenance"
    assert "メンテナンス" in response.json()["message"]
    assert "maintenance" in english.json()["message"]


async def test_customer_routes_answer_normally_outside_the_window() -> None:
    async with _app(tokyo(23, 4, 0)) as client:
        response = await client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json() == {"user": "taro"}


async def test_health_metrics_and_staff_routes_work_inside_the_window() -> None:
    async with _app(tokyo(23, 2, 0)) as client:
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        assert (await client.post("/api/v1/adjuster/ping")).status_code == 202
        metrics = await client.get("/metrics")
    assert "http_requests_total" in metrics.text
