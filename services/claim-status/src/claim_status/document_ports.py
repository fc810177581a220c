"""What the upload pipeline needs from outside: an object store for the bytes (the S3 API, through
aiobotocore) and a virus scanner (clamd's INSTREAM command, over TCP or a unix socket). Both are
Protocols: main.py builds the real ones from settings, the fast tests pass in-memory ones."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import BotoCoreError, ClientError


class ObjectStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such key."""
        ...

    async def check(self) -> None:
        """Raise when the store (and its bucket) cannot be reached: for /readyz."""
        ...


class VirusScanner(Protocol):
    async def scan(self, data: bytes) -> str | None:
        """The name of the virus found in `data`, or None when it is clean. Raises
        ScannerUnavailable when no verdict could be had."""
        ...


class StoreUnavailable(RuntimeError):
    """The object store refused or could not be reached: the upload is refused (503) and
    nothing is recorded."""


class ScannerUnavailable(RuntimeError):
    """clamd could not be reached or gave no verdict: the upload is refused (503), never stored
    unscanned."""


@dataclass
class S3ObjectStore:
    """One bucket of an S3 API. One aiobotocore client for the process, opened by `opened`."""

    url: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    _client: Any = None

    @contextlib.asynccontextmanager
    async def opened(self) -> AsyncIterator[S3ObjectStore]:
        session = get_session()
        config = AioConfig(
            s3={"addressing_style": "path"},
            retries={"max_attempts": 3, "mode": "standard"},
            connect_timeout=5,
            read_timeout=30,
        )
        async with session.create_client(
            "s3",
            endpoint_url=self.url or None,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=config,
        ) as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await self._client.put_object(
                Bucket=self.bucket, Key=key, Body=data, ContentType=content_type
            )
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError) as error:
            raise StoreUnavailable(f"object store {self.url} {key}: {error!r}") from error

    async def get(self, key: str) -> bytes | None:
        try:
            answer = await self._client.get_object(Bucket=self.bucket, Key=key)
            async with answer["Body"] as body:
                data: bytes = await body.read()
        except self._client.exceptions.NoSuchKey:
            return None
        except (BotoCoreError, ClientError, aiohttp.ClientError, OSError) as error:
            raise StoreUnavailable(f"object store {self.url} {key}: {error!r}") from error
        return data

    async def check(self) -> None:
        await self._client.head_bucket(Bucket=self.bucket)


INSTREAM_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ClamdScanner:
    """clamd's INSTREAM: `zINSTREAM\\0`, the bytes in chunks each after its 4-byte big-endian
    length, a zero length, then one reply ending in NUL: `stream: OK`, `stream: <name> FOUND`
    or `<reason> ERROR`. `address` is host:port or a unix socket's path."""

    address: str
    timeout: float = 30.0

    async def scan(self, data: bytes) -> str | None:
        try:
            reply = await asyncio.wait_for(self._instream(data), self.timeout)
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as error:
            raise ScannerUnavailable(f"clamd at {self.address}: {error!r}") from error
        verdict = reply.split(": ", 1)[1] if ": " in reply else reply
        if verdict == "OK":
            return None
        if verdict.endswith(" FOUND"):
            return verdict.removesuffix(" FOUND")
        raise ScannerUnavailable(f"clamd at {self.address}: {reply}")

    async def _instream(self, data: bytes) -> str:
        if self.address.startswith("/"):
            reader, writer = await asyncio.open_unix_connection(self.address)
        else:
            host, _, port = self.address.rpartition(":")
            reader, writer = await asyncio.open_connection(host, int(port))
        try:
            writer.write(b"zINSTREAM\0")
            for start in range(0, len(data), INSTREAM_CHUNK):
                chunk = data[start : start + INSTREAM_CHUNK]
                writer.write(struct.pack(">I", len(chunk)) + chunk)
                await writer.drain()
            writer.write(struct.pack(">I", 0))
            await writer.drain()
            return (await reader.readuntil(b"\0"))[:-1].decode(errors="replace")
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
