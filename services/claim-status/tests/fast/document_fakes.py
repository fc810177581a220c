"""In-memory stand-ins for the document pipeline's ports (claim_status.document_ports and the
records it reads); the integration tests use clamd and S3Proxy."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from claim_status.document_ports import ScannerUnavailable, StoreUnavailable
from claim_status.domain import ClaimDocument


@dataclass
class InMemoryObjectStore:
    """`down` makes it refuse every request."""

    objects: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    down: bool = False

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.down:
            raise StoreUnavailable("object store at test: connection refused")
        self.objects[key] = (data, content_type)

    async def get(self, key: str) -> bytes | None:
        found = self.objects.get(key)
        return None if found is None else found[0]

    async def check(self) -> None:
        return None


@dataclass
class SignatureScanner:
    """Finds the given marker anywhere in the bytes, as the project's clamd signature does;
    `down` makes it unreachable."""

    marker: bytes
    down: bool = False

    async def scan(self, data: bytes) -> str | None:
        if self.down:
            raise ScannerUnavailable("clamd at test: connection refused")
        return "Test.Marker" if self.marker in data else None


@dataclass
class InMemoryClaims:
    claims: dict[tuple[str, str], ClaimDocument] = field(default_factory=dict)

    async def claim_of(self, customer_id: str, claim_id: str) -> ClaimDocument | None:
        return self.claims.get((customer_id, claim_id))


@dataclass
class InMemoryUploadRecords:
    """(customer id, claim id, action id, when) of each upload the test says was made."""

    uploads: list[tuple[str, str, str | None, datetime]] = field(default_factory=list)

    async def files_for_request(self, claim_id: str, action_id: str) -> int:
        return sum(
            1 for _, claim, action, _ in self.uploads if (claim, action) == (claim_id, action_id)
        )

    async def nth_latest_upload(self, customer_id: str, n: int) -> datetime | None:
        times = sorted((at for who, _, _, at in self.uploads if who == customer_id), reverse=True)
        return times[n - 1] if len(times) >= n else None
