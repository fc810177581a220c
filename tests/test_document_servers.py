"""The servers behind document uploads answer real clients: clamd (the project's own signature
database) over its INSTREAM protocol, and the object store over the S3 API with aiobotocore."""

import io
import zipfile

import pytest
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from claim_status.document_ports import ClamdScanner
from claim_status.settings import ClaimStatusSettings
from devinfra.clamd import EICAR, command
from devinfra.object_store import ObjectStore
from devinfra.paths import free_port
from devinfra.stack import LocalStack, claim_status_env


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(EICAR, id="the test file"),
        pytest.param(EICAR + b"\r\n", id="after a CRLF"),
        pytest.param(b"%PDF-1.7\n" + bytes(300_000) + EICAR, id="deep inside a file"),
        pytest.param(zipped("見積書.com", EICAR), id="inside a zip"),
    ],
)
async def test_clamd_finds_the_eicar_test_file(clamd_address, data) -> None:
    """The service's own INSTREAM client (document_ports) gets clamd's name for what it found."""
    assert await ClamdScanner(clamd_address).scan(data) == "Claims.Test.EICAR.UNOFFICIAL"


async def test_clamd_passes_a_clean_file_sent_in_chunks(clamd_address) -> None:
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8_000  # about 2 MB: 32 chunks
    assert await ClamdScanner(clamd_address).scan(photo) is None  # clamd's "stream: OK"


async def test_object_store_puts_gets_lists_and_deletes(object_store, bucket) -> None:
    key = "documents/CL-1/4b1d2c1e-0000-4000-8000-000000000001"
    body = "修理見積書".encode() * 1000
    async with get_session().create_client("s3", **object_store.client_options()) as s3:
        await s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/pdf")
        stored = await s3.get_object(Bucket=bucket, Key=key)
        async with stored["Body"] as stream:
            read = await stream.read()
        listed = await s3.list_objects_v2(Bucket=bucket, Prefix="documents/CL-1/")
        await s3.delete_object(Bucket=bucket, Key=key)
        with pytest.raises(ClientError) as missing:
            await s3.get_object(Bucket=bucket, Key=key)
    assert (read, stored["ContentType"]) == (body, "application/pdf")
    assert [(entry["Key"], entry["Size"]) for entry in listed["Contents"]] == [(key, len(body))]
    assert missing.value.response["Error"]["Code"] == "NoSuchKey"


async def test_object_store_refuses_a_wrong_secret(object_store, bucket) -> None:
    options = {**object_store.client_options(), "aws_secret_access_key": "not-the-secret"}
    async with get_session().create_client("s3", **options) as s3:
        with pytest.raises(ClientError) as refused:
            await s3.put_object(Bucket=bucket, Key="documents/x", Body=b"x")
    assert refused.value.response["Error"]["Code"] == "SignatureDoesNotMatch"


def test_make_infra_runs_the_document_servers_and_another_runner_stops_them(
    tmp_path, monkeypatch
) -> None:
    """`make infra` leaves clamd and S3Proxy running with the documents' bucket and names them
    in .local/env; `make up` hands them to claim-status; `make down`, a later runner that only
    has the pid files, stops them."""
    started = LocalStack(tmp_path / "infra")
    started.clamd.port, started.object_store.port = free_port(), free_port()
    try:
        started.start_document_servers()
        env = started.env()
        store = ObjectStore(
            env["OBJECT_STORE_URL"], env["OBJECT_STORE_ACCESS_KEY"], env["OBJECT_STORE_SECRET_KEY"]
        )
        assert env["OBJECT_STORE_BUCKET"] in store.buckets()
        assert command(env["CLAMD_ADDRESS"], b"PING") == b"PONG"
        for name, value in claim_status_env(env).items():
            monkeypatch.setenv(name, value)
        settings = ClaimStatusSettings()
        assert settings.clamd_address == env["CLAMD_ADDRESS"]
        assert (settings.object_store_url, settings.object_store_bucket) == (
            env["OBJECT_STORE_URL"],
            env["OBJECT_STORE_BUCKET"],
        )
        assert (settings.object_store_access_key, settings.object_store_secret_key) == (
            env["OBJECT_STORE_ACCESS_KEY"],
            env["OBJECT_STORE_SECRET_KEY"],
        )
    finally:
        later = LocalStack(tmp_path / "infra")
        later.clamd.port, later.object_store.port = started.clamd.port, started.object_store.port
        later.stop()
    assert not started.clamd.is_running()
    assert not started.object_store.is_running()
