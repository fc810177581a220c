"""A service's error table: its exceptions answered as `{code, message}` with the table's status,
without a try/except in the route, Retry-After counted from the instant the route saw, and the
routes' documented responses made from the same rows."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count

import httpx
from fastapi import APIRouter, Depends, FastAPI

from claims_shared.errors import ErrorTable, Message, Refusal, RefusalFrom
from claims_shared.settings import ServiceSettings
from claims_shared.throttle import TooManyAttempts
from claims_shared.web import Now, create_service_app, outside_maintenance

NOON = datetime(2026, 4, 1, 3, 0, tzinfo=UTC)


class PolicyUnknown(Exception):
    pass


class GroupPolicyUnknown(PolicyUnknown):
    """A subclass the table does not name: answered by its parent's row."""


class RuleBroken(Exception):
    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


def _rule_words(error: RuleBroken) -> tuple[str, Message]:
    return f"rule_{error.rule}", Message(f"規則{error.rule}", f"rule {error.rule}")


UNKNOWN = Refusal(404, "policy_unknown", Message("証券が見つかりません。", "No such policy."))
MISMATCH = Refusal(422, "policy_mismatch", Message("一致しません。", "They differ."))
ERRORS = ErrorTable(
    {
        PolicyUnknown: UNKNOWN,
        RuleBroken: RefusalFrom[RuleBroken](
            422,
            "`rule_*`: the rule it breaks",
            lambda error: (
                f"rule_{error.rule}",
                Message(f"規則{error.rule}", f"rule {error.rule}"),
            ),
        ),
        TooManyAttempts: Refusal(
            429, "too_many_attempts", Message("しばらくお待ちください。", "Please wait.")
        ),
    }
)


def _ticking_clock(reads: list[datetime]) -> Iterator[datetime]:
    """Each read a second later than the one before, so two reads would not agree."""
    for second in count():
        now = NOON + timedelta(seconds=second)
        reads.append(now)
        yield now


def _app(reads: list[datetime]) -> FastAPI:
    router = APIRouter(dependencies=[Depends(outside_maintenance)])

    @router.get("/policies/{number}", responses=ERRORS.responses_for(PolicyUnknown))
    async def policy(number: str) -> dict[str, str]:
        if number == "group":
            raise GroupPolicyUnknown
        raise PolicyUnknown

    @router.post("/rules/{rule}")
    async def rule(rule: str) -> None:
        raise RuleBroken(rule)

    @router.post("/log-ins")
    async def log_in(now: Now) -> None:
        raise TooManyAttempts(now + timedelta(seconds=90.5))

    clock = _ticking_clock(reads)
    settings = ServiceSettings(maintenance_windows="")
    return create_service_app(
        settings=settings, routers=[router], clock=lambda: next(clock), errors=ERRORS
    )


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_a_table_row_answers_its_exception_in_the_callers_language() -> None:
    async with _client(_app([])) as client:
        japanese = await client.get("/policies/A-1")
        english = await client.get("/policies/A-1", headers={"Accept-Language": "en"})
        subclass = await client.get("/policies/group")
    assert japanese.status_code == 404
    assert japanese.json() == {"code": "policy_unknown", "message": "証券が見つかりません。"}
    assert english.json() == {"code": "policy_unknown", "message": "No such policy."}
    assert (subclass.status_code, subclass.json()["code"]) == (404, "policy_unknown")


async def test_a_row_can_take_its_code_and_message_from_the_exception() -> None:
    async with _client(_app([])) as client:
        response = await client.post("/rules/7", headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert response.json() == {"code": "rule_7", "message": "rule 7"}


async def test_retry_after_counts_from_the_instant_the_route_saw() -> None:
    """The route, the maintenance check and the answer read the clock once between them: with a
    clock that moves a second a read, a second read would have made it 90 instead of 91."""
    reads: list[datetime] = []
    async with _client(_app(reads)) as client:
        response = await client.post("/log-ins")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "91"
    assert response.json()["code"] == "too_many_attempts"
    assert len(reads) == 1


def test_documented_responses_come_from_the_rows() -> None:
    responses = ERRORS.responses_for(PolicyUnknown, RuleBroken, TooManyAttempts, MISMATCH)
    assert sorted(responses) == [404, 422, 429]
    assert "`policy_unknown`: No such policy." in responses[404]["description"]
    assert "`rule_*`" in responses[422]["description"]
    assert "`policy_mismatch`" in responses[422]["description"]
    document = _app([]).openapi()
    answer = document["paths"]["/policies/{number}"]["get"]["responses"]["404"]
    schema = answer["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/ErrorBody"}
    assert document["components"]["schemas"]["ErrorBody"]["required"] == ["code", "message"]
