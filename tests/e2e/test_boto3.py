"""boto3 conformance suite: the unmodified AWS SDK for Python against a real `arca serve`.

Independent of the Rust tests: one server per session (fixed credentials, port 0, URL parsed from
its stdout), every test in its own domain. Expected answers come from the team's specs:
`decisions.md` (D) and `codeartifact-behavior.md` (B §n).

Environment: ARCA_BIN (server binary; default ${CARGO_TARGET_DIR:-target}/debug/arca).
"""

import base64
import contextlib
import datetime
import hashlib
import http.client
import json
import os
import queue
import re
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from types import SimpleNamespace
from unittest import mock

import boto3
import botocore.auth
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ACCESS_KEY = "AKIAARCAE2ETEST00001"
SECRET_KEY = "arcaE2eSecretKey/0123456789+abcdefghijkl"
ACCOUNT = "123456789012"
REGION = "us-east-1"

REVISION_RE = re.compile(r"^[A-Za-z0-9+/]{43}=$")
CORAL_RE = re.compile(
    r"^\d+ validation errors? detected: Value (null|'.*') at '[^']*' failed to satisfy constraint: .+", re.S
)
FORMATS = "[npm, pypi, maven, nuget, generic, ruby, swift, cargo]"
DOMAIN_PATTERN = r"[a-z][a-z0-9\-]{0,48}[a-z0-9]"
REPOSITORY_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._\-]{1,99}"
NAME_PATTERN = r"[^#/\s]+"

# Keep the SDK away from the user's ~/.aws files and any ambient credentials.
for _var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
             "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_CODEARTIFACT"):
    os.environ.pop(_var, None)
os.environ["AWS_CONFIG_FILE"] = os.devnull
os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def arca_bin():
    if os.environ.get("ARCA_BIN"):
        return os.path.abspath(os.environ["ARCA_BIN"])
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
    return os.path.abspath(os.path.join(target, "debug", "arca"))


# --------------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------------

@contextlib.contextmanager
def running_server(tmp, *extra_args):
    """An `arca serve` child on a free port with its data under `tmp`; yields url, proc and log."""
    binary = arca_bin()
    assert os.access(binary, os.X_OK), f"server binary not found: {binary} (run: cargo build -p arca)"
    env = dict(os.environ)
    for k in ("ARCA_CONFIG", "ARCA_LISTEN", "ARCA_DATA_DIR", "ARCA_MAX_ASSET_BYTES", "ARCA_TOKEN_SECRET",
              "ARCA_RATE_LIMIT", "ARCA_RATE_BURST"):
        env.pop(k, None)
    env.update(ARCA_ACCESS_KEY_ID=ACCESS_KEY, ARCA_SECRET_ACCESS_KEY=SECRET_KEY, ARCA_ACCOUNT_ID=ACCOUNT,
               ARCA_REGION=REGION, ARCA_LOG=env.get("ARCA_LOG", "warn"))
    # The server prints its address and credentials on stdout and logs on stderr: keep all in server.log.
    log = open(tmp / "server.log", "w", encoding="utf-8")
    proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", str(tmp / "data"),
                             *extra_args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, text=True,
                            encoding="utf-8", errors="replace")
    lines = queue.Queue()

    def pump():
        for line in proc.stdout:
            log.write(line)
            log.flush()
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    url, seen, deadline = None, [], time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            break
        if line is None:
            break
        seen.append(line)
        m = re.match(r"^Arca is listening on (http://127\.0\.0\.1:\d+)$", line.strip())
        if m:
            url = m.group(1)
    if url is None:
        proc.kill()
        proc.wait()
        log.close()
        pytest.fail("server did not print its address; stdout: %r; log: %s"
                    % ("".join(seen), (tmp / "server.log").read_text(errors="replace")[-2000:]))
    for _ in range(100):
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        pytest.fail("GET /health never answered 200")
    try:
        yield SimpleNamespace(url=url, proc=proc, log=tmp / "server.log", data=tmp / "data")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        print(f"\n[arca] server log: {tmp / 'server.log'}")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    # public:npmjs has a source (nothing listens there; the API operations never fetch).
    with running_server(tmp_path_factory.mktemp("arca"),
                        "--external-connection", "public:npmjs=http://127.0.0.1:9/") as s:
        yield s


def make_client(server, access_key=ACCESS_KEY, secret_key=SECRET_KEY, attempts=2):
    # One retry (botocore "standard" mode: connection errors, 5xx, throttling) keeps the suite
    # robust to a dropped keep-alive connection; test_connection_reuse_after_early_rejection checks
    # that separately, without retries. A persistent failure still fails.
    return boto3.session.Session().client(
        "codeartifact",
        endpoint_url=server.url,
        region_name=REGION,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}, connect_timeout=5,
                      read_timeout=60),
    )


@pytest.fixture(scope="session")
def client(server):
    return make_client(server)


def unique(prefix="t"):
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def domain(client):
    name = unique("d")
    client.create_domain(domain=name)
    return name


@pytest.fixture
def repo(client, domain):
    client.create_repository(domain=domain, repository="repo")
    return SimpleNamespace(domain=domain, name="repo")


# --------------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------------

def sha256(data):
    return hashlib.sha256(data).hexdigest()


def hashes(data):
    return {"MD5": hashlib.md5(data).hexdigest(), "SHA-1": hashlib.sha1(data).hexdigest(),
            "SHA-256": hashlib.sha256(data).hexdigest(), "SHA-512": hashlib.sha512(data).hexdigest()}


def pkg(repo, namespace="ns", package="pkg", repository=None):
    return dict(domain=repo.domain, repository=repository or repo.name, format="generic",
                namespace=namespace, package=package)


def pv(repo, version, **kw):
    return dict(pkg(repo, **kw), packageVersion=version)


def publish(c, repo, version, asset, data, *, unfinished=None, sha=None, namespace="ns", package="pkg",
            repository=None):
    kw = dict(pv(repo, version, namespace=namespace, package=package, repository=repository),
              assetName=asset, assetContent=data, assetSHA256=sha or sha256(data))
    if unfinished is not None:
        kw["unfinished"] = unfinished
    return c.publish_package_version(**kw)


def describe(c, repo, version, **kw):
    return c.describe_package_version(**pv(repo, version, **kw))["packageVersion"]


def download(c, repo, version, asset, **kw):
    r = c.get_package_version_asset(**pv(repo, version, **kw), asset=asset)
    return r, r["asset"].read()


def client_error(fn, code, status, **kwargs):
    """Calls fn(**kwargs), expects a ClientError with this code/status; checks the common error wire."""
    with pytest.raises(ClientError) as ei:
        fn(**kwargs)
    r = ei.value.response
    meta = r["ResponseMetadata"]
    assert r["Error"]["Code"] == code, r
    assert meta["HTTPStatusCode"] == status, r
    assert meta.get("RequestId"), f"no x-amzn-RequestId: {r}"
    headers = meta["HTTPHeaders"]
    assert headers.get("x-amzn-errortype", "").split(":")[0] == code, headers
    assert headers.get("content-type", "").startswith("application/json"), headers
    assert r["Error"].get("Message"), f"empty message: {r}"
    return r


def assert_coral(r, *fragments, count=None):
    """ValidationException in Coral style with reason FIELD_VALIDATION_FAILED (D: Wire)."""
    msg = r["Error"]["Message"]
    assert CORAL_RE.match(msg), msg
    assert r.get("reason") == "FIELD_VALIDATION_FAILED", r
    for f in fragments:
        assert f in msg, f"{f!r} not in {msg!r}"
    if count is not None:
        head = "1 validation error detected: " if count == 1 else f"{count} validation errors detected: "
        assert msg.startswith(head), msg


def violation(value, member, constraint):
    return f"Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"


# --------------------------------------------------------------------------------------------------
# the three core operations (B §1.3; D: Lifecycle)
# --------------------------------------------------------------------------------------------------

def test_describe_package_version(client, repo):
    before = datetime.datetime.now(datetime.timezone.utc)
    p = publish(client, repo, "1.0.0", "app.bin", b"hello world\n")
    v = describe(client, repo, "1.0.0")
    assert v["format"] == "generic"
    assert v["namespace"] == "ns"
    assert v["packageName"] == "pkg"
    assert v["displayName"] == "pkg"
    assert v["version"] == "1.0.0"
    assert v["status"] == "Published"
    assert REVISION_RE.match(v["revision"]) and len(v["revision"]) == 44
    assert v["revision"] == p["versionRevision"]
    assert v["origin"] == {"domainEntryPoint": {"repositoryName": "repo"}, "originType": "INTERNAL"}
    assert isinstance(v["publishedTime"], datetime.datetime)
    assert abs((v["publishedTime"] - before).total_seconds()) < 120


def test_list_package_version_assets(client, repo):
    files = {"b.txt": b"bee\n", "a.txt": b"ay\n", "c data.bin": os.urandom(70_000)}
    names = sorted(files)
    for i, n in enumerate(names):
        last = i == len(names) - 1
        publish(client, repo, "2.0", n, files[n], unfinished=None if last else True)
    r = client.list_package_version_assets(**pv(repo, "2.0"))
    assert (r["format"], r["namespace"], r["package"], r["version"]) == ("generic", "ns", "pkg", "2.0")
    assert r["versionRevision"] == describe(client, repo, "2.0")["revision"]
    assert [a["name"] for a in r["assets"]] == names
    for a in r["assets"]:
        assert a["size"] == len(files[a["name"]])
        assert a["hashes"] == hashes(files[a["name"]])
    assert "nextToken" not in r


def test_get_package_version_asset(client, repo):
    data = os.urandom(2 * 1024 * 1024 + 17)
    publish(client, repo, "3.0", "big.bin", data)
    rev = describe(client, repo, "3.0")["revision"]
    r, body = download(client, repo, "3.0", "big.bin")
    assert body == data
    assert r["assetName"] == "big.bin"
    assert r["packageVersion"] == "3.0"
    assert r["packageVersionRevision"] == rev
    h = r["ResponseMetadata"]["HTTPHeaders"]
    assert h["x-assetname"] == "big.bin"
    assert h["x-packageversion"] == "3.0"
    assert h["x-packageversionrevision"] == rev
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ResponseMetadata"].get("RequestId")
    # The current revision is accepted (its '+', '/', '=' travel percent-encoded).
    r2 = client.get_package_version_asset(**pv(repo, "3.0"), asset="big.bin", packageVersionRevision=rev)
    assert r2["asset"].read() == data


def test_get_asset_revision_mismatch(client, repo):
    publish(client, repo, "1.0", "f.txt", b"x")
    stale = base64.b64encode(hashlib.sha256(b"not the revision").digest()).decode()
    r = client_error(client.get_package_version_asset, "ResourceNotFoundException", 404,
                     **pv(repo, "1.0"), asset="f.txt", packageVersionRevision=stale)
    assert r.get("resourceType") == "package-version", r
    assert r.get("resourceId"), r


def test_get_asset_special_names(client, repo):
    files = {"a b+c.txt": b"space and plus", "naïve-ünïcode.txt": b"unicode", "x~!@^&()-`_+[]{};,.y": b"specials"}
    names = list(files)
    for i, n in enumerate(names):
        publish(client, repo, "1.0", n, files[n], unfinished=i < len(names) - 1)
    for n, data in files.items():
        r, body = download(client, repo, "1.0", n)
        assert body == data
        # README: a non-ASCII X-AssetName is percent-encoded as UTF-8; ASCII names other than `%`
        # travel as they are.
        assert urllib.parse.unquote(r["assetName"]) == n, r["assetName"]
        if n.isascii():
            assert r["assetName"] == n


def test_get_asset_version_header_is_unambiguous(client, repo):
    # README "Decisions": `%` is always sent as %25, so these two versions arrive differently and
    # decoding gives each back.
    for version, encoded in [("2.0-é", "2.0-%C3%A9"), ("2.0-%C3%A9", "2.0-%25C3%25A9")]:
        publish(client, repo, version, "a.bin", version.encode())
        r, body = download(client, repo, version, "a.bin")
        assert body == version.encode()
        assert r["packageVersion"] == encoded, r["packageVersion"]
        assert urllib.parse.unquote(r["packageVersion"]) == version


def test_get_missing_asset_and_version(client, repo):
    publish(client, repo, "1.0", "f.txt", b"x")
    r = client_error(client.get_package_version_asset, "ResourceNotFoundException", 404,
                     **pv(repo, "1.0"), asset="nope.txt")
    assert r.get("resourceType") == "asset" and r.get("resourceId"), r
    r = client_error(client.get_package_version_asset, "ResourceNotFoundException", 404,
                     **pv(repo, "9.9"), asset="f.txt")
    assert r.get("resourceType") and r.get("resourceId"), r
    r = client_error(client.describe_package_version, "ResourceNotFoundException", 404, **pv(repo, "9.9"))
    assert r.get("resourceType") == "package-version" and r.get("resourceId"), r
    client_error(client.list_package_version_assets, "ResourceNotFoundException", 404, **pv(repo, "9.9"))


# --------------------------------------------------------------------------------------------------
# PublishPackageVersion, generic (B §4; D: Generic publish)
# --------------------------------------------------------------------------------------------------

def test_publish_response(client, repo):
    data = b"payload\n" * 1000
    p = publish(client, repo, "1.0", "p.bin", data)
    assert (p["format"], p["namespace"], p["package"], p["version"]) == ("generic", "ns", "pkg", "1.0")
    assert p["status"] == "Published"
    assert REVISION_RE.match(p["versionRevision"])
    assert p["asset"] == {"name": "p.bin", "size": len(data), "hashes": hashes(data)}


def test_publish_unfinished_flow(client, repo):
    a = publish(client, repo, "1.0", "a.txt", b"A", unfinished=True)
    assert a["status"] == "Unfinished"
    assert describe(client, repo, "1.0")["status"] == "Unfinished"
    b = publish(client, repo, "1.0", "b.txt", b"B", unfinished=True)
    assert b["status"] == "Unfinished"
    assert b["versionRevision"] != a["versionRevision"], "an added asset must change the revision"
    listed = client.list_package_version_assets(**pv(repo, "1.0"))
    assert [x["name"] for x in listed["assets"]] == ["a.txt", "b.txt"]
    # D: an Unfinished version's assets can be downloaded through the API.
    assert download(client, repo, "1.0", "a.txt")[1] == b"A"
    c = publish(client, repo, "1.0", "c.txt", b"C")  # no --unfinished: finishes the version
    assert c["status"] == "Published"
    v = describe(client, repo, "1.0")
    assert v["status"] == "Published" and v["revision"] == c["versionRevision"] != b["versionRevision"]
    # Published + a new asset -> 409.
    r = client_error(publish, "ConflictException", 409, c=client, repo=repo, version="1.0", asset="d.txt", data=b"D")
    assert r.get("resourceType") == "package-version" and r.get("resourceId") == "1.0", r
    r = client_error(publish, "ConflictException", 409, c=client, repo=repo, version="1.0", asset="d.txt",
                     data=b"D", unfinished=True)
    assert r.get("resourceType") and r.get("resourceId"), r
    assert [x["name"] for x in client.list_package_version_assets(**pv(repo, "1.0"))["assets"]] == [
        "a.txt", "b.txt", "c.txt"]
    # Re-sending an existing asset with identical bytes is idempotent, even once Published.
    again = publish(client, repo, "1.0", "a.txt", b"A")
    assert again["versionRevision"] == c["versionRevision"] and again["status"] == "Published"
    assert again["asset"]["hashes"] == hashes(b"A")
    # Different bytes under an existing name -> 409.
    r = client_error(publish, "ConflictException", 409, c=client, repo=repo, version="1.0", asset="a.txt", data=b"Z")
    assert r.get("resourceType") and r.get("resourceId"), r
    assert describe(client, repo, "1.0")["revision"] == c["versionRevision"]


def test_publish_identical_resend_unfinished(client, repo):
    first = publish(client, repo, "1.0", "a.txt", b"same", unfinished=True)
    second = publish(client, repo, "1.0", "a.txt", b"same", unfinished=True)
    assert second["versionRevision"] == first["versionRevision"]
    assert second["status"] == "Unfinished"
    assert len(client.list_package_version_assets(**pv(repo, "1.0"))["assets"]) == 1
    r = client_error(publish, "ConflictException", 409, c=client, repo=repo, version="1.0", asset="a.txt",
                     data=b"different", unfinished=True)
    assert r.get("resourceType") == "asset" and r.get("resourceId") == "a.txt", r
    # Finishing with update-package-versions-status (README: the alternative to a last publish).
    u = client.update_package_versions_status(**pkg(repo), versions=["1.0"], targetStatus="Published")
    assert u["successfulVersions"]["1.0"]["status"] == "Published"
    assert describe(client, repo, "1.0")["status"] == "Published"


def test_publish_sha_mismatch_stores_nothing(client, repo):
    wrong = sha256(b"other bytes")
    r = client_error(publish, "ValidationException", 400, c=client, repo=repo, version="1.0", asset="a.txt",
                     data=b"real bytes", sha=wrong)
    assert r["Error"]["Message"]
    client_error(client.describe_package_version, "ResourceNotFoundException", 404, **pv(repo, "1.0"))
    assert client.list_packages(domain=repo.domain, repository=repo.name)["packages"] == []
    # Into an existing Unfinished version: still nothing stored.
    ok = publish(client, repo, "2.0", "a.txt", b"A", unfinished=True)
    client_error(publish, "ValidationException", 400, c=client, repo=repo, version="2.0", asset="b.txt",
                 data=b"B", sha=wrong, unfinished=True)
    listed = client.list_package_version_assets(**pv(repo, "2.0"))
    assert [x["name"] for x in listed["assets"]] == ["a.txt"]
    assert listed["versionRevision"] == ok["versionRevision"]
    # A malformed digest (uppercase) is a validation error too.
    client_error(publish, "ValidationException", 400, c=client, repo=repo, version="2.0", asset="b.txt",
                 data=b"B", sha=sha256(b"B").upper(), unfinished=True)


def test_publish_rejections(client, repo):
    base = dict(c=client, repo=repo, version="1.0", data=b"x")
    for bad in ("..", ".", " lead", "trail ", "two  spaces", "tab\tname", "slash/name", "hash#name"):
        client_error(publish, "ValidationException", 400, asset=bad, **base)
    # Only the generic format can be published through the API.
    kw = dict(pv(repo, "1.0"), format="npm", assetName="a.tgz", assetContent=b"x", assetSHA256=sha256(b"x"))
    kw.pop("namespace")
    client_error(client.publish_package_version, "ValidationException", 400, **kw)
    # Namespace is required for generic.
    kw = dict(pv(repo, "1.0"), assetName="a.txt", assetContent=b"x", assetSHA256=sha256(b"x"))
    kw.pop("namespace")
    client_error(client.publish_package_version, "ValidationException", 400, **kw)
    client_error(client.describe_package_version, "ValidationException", 400,
                 **{k: v for k, v in pv(repo, "1.0").items() if k != "namespace"})
    # Unknown repository / domain.
    r = client_error(publish, "ResourceNotFoundException", 404, c=client, repo=repo, version="1.0", asset="a.txt",
                     data=b"x", repository="missing-repo")
    assert r.get("resourceType") == "repository", r
    assert client.list_packages(domain=repo.domain, repository=repo.name)["packages"] == []


# --------------------------------------------------------------------------------------------------
# lifecycle (B §3.9; D: Lifecycle)
# --------------------------------------------------------------------------------------------------

def statuses(c, repo, **kw):
    return {v["version"]: v["status"] for v in c.list_package_versions(**pkg(repo, **kw))["versions"]}


def test_update_status_expected_status_and_skipped(client, repo):
    publish(client, repo, "1.0", "a.txt", b"1")
    publish(client, repo, "2.0", "a.txt", b"2")
    u = client.update_package_versions_status(**pkg(repo), versions=["1.0"], targetStatus="Unlisted")
    assert u["successfulVersions"]["1.0"]["status"] == "Unlisted" and not u.get("failedVersions")
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0", "2.0"], expectedStatus="Unlisted",
                                              targetStatus="Archived")
    assert not r.get("successfulVersions"), r
    failed = r["failedVersions"]
    assert failed["2.0"] == {"errorCode": "MISMATCHED_STATUS",
                             "errorMessage": "current status: Published, expected status: Unlisted"}
    assert failed["1.0"] == {"errorCode": "SKIPPED", "errorMessage": "version 1.0 is skipped"}
    assert statuses(client, repo) == {"1.0": "Unlisted", "2.0": "Published"}
    # A missing version fails the batch too.
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0", "5.6.7"], targetStatus="Archived")
    assert r["failedVersions"]["5.6.7"] == {"errorCode": "NOT_FOUND", "errorMessage": "Could not find version 5.6.7"}
    assert r["failedVersions"]["1.0"]["errorCode"] == "SKIPPED"
    assert statuses(client, repo) == {"1.0": "Unlisted", "2.0": "Published"}
    # All good: applied; a status change keeps the revision (D: Revision).
    rev1 = describe(client, repo, "1.0")["revision"]
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0", "2.0"], targetStatus="Archived")
    assert not r.get("failedVersions"), r
    assert r["successfulVersions"]["1.0"] == {"revision": rev1, "status": "Archived"}
    assert r["successfulVersions"]["2.0"]["status"] == "Archived"
    assert describe(client, repo, "1.0")["revision"] == rev1
    # Archived: describe/list 200, download 409 package-version.
    assert describe(client, repo, "1.0")["status"] == "Archived"
    assert len(client.list_package_version_assets(**pv(repo, "1.0"))["assets"]) == 1
    e = client_error(client.get_package_version_asset, "ConflictException", 409, **pv(repo, "1.0"), asset="a.txt")
    assert e.get("resourceType") == "package-version" and e.get("resourceId"), e
    # Archived -> Published is allowed, and the asset downloads again.
    client.update_package_versions_status(**pkg(repo), versions=["1.0"], targetStatus="Published")
    assert download(client, repo, "1.0", "a.txt")[1] == b"1"


def test_update_status_version_revisions(client, repo):
    p = publish(client, repo, "1.0", "a.txt", b"1")
    bogus = base64.b64encode(hashlib.sha256(b"bogus").digest()).decode()
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0"], versionRevisions={"1.0": bogus},
                                              targetStatus="Unlisted")
    assert r["failedVersions"]["1.0"] == {
        "errorCode": "MISMATCHED_REVISION",
        "errorMessage": f"current revision: {p['versionRevision']}, expected revision: {bogus}"}
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0"],
                                              versionRevisions={"1.0": p["versionRevision"]}, targetStatus="Unlisted")
    assert r["successfulVersions"]["1.0"]["status"] == "Unlisted", r
    # Unlisted can still be downloaded.
    assert download(client, repo, "1.0", "a.txt")[1] == b"1"
    # Neither Unfinished nor Disposed nor Deleted is a valid target.
    for target in ("Unfinished", "Disposed", "Deleted"):
        client_error(client.update_package_versions_status, "ValidationException", 400, **pkg(repo),
                     versions=["1.0"], targetStatus=target)


def test_dispose(client, repo):
    publish(client, repo, "1.0", "a.txt", b"1")
    publish(client, repo, "2.0", "a.txt", b"2")
    r = client.dispose_package_versions(**pkg(repo), versions=["1.0", "2.0"], expectedStatus="Archived")
    assert r["failedVersions"]["1.0"]["errorCode"] == "MISMATCHED_STATUS"
    assert r["failedVersions"]["1.0"]["errorMessage"] == "current status: Published, expected status: Archived"
    r = client.dispose_package_versions(**pkg(repo), versions=["1.0"])
    assert r["successfulVersions"]["1.0"]["status"] == "Disposed" and not r.get("failedVersions"), r
    v = describe(client, repo, "1.0")
    assert v["status"] == "Disposed"
    assert client.list_package_version_assets(**pv(repo, "1.0"))["assets"] == []
    e = client_error(client.get_package_version_asset, "ResourceNotFoundException", 404, **pv(repo, "1.0"),
                     asset="a.txt")
    assert e.get("resourceType") == "asset", e
    # Disposed is final: only deletion is allowed.
    r = client.update_package_versions_status(**pkg(repo), versions=["1.0"], targetStatus="Published")
    assert r["failedVersions"]["1.0"]["errorCode"] == "NOT_ALLOWED", r
    assert statuses(client, repo) == {"1.0": "Disposed", "2.0": "Published"}
    disposed = client.list_package_versions(**pkg(repo), status="Disposed")["versions"]
    assert [v["version"] for v in disposed] == ["1.0"]


def test_delete(client, repo):
    publish(client, repo, "1.0", "a.txt", b"1")
    publish(client, repo, "2.0", "a.txt", b"2")
    r = client.delete_package_versions(**pkg(repo), versions=["1.0"], expectedStatus="Unlisted")
    assert r["failedVersions"]["1.0"] == {"errorCode": "MISMATCHED_STATUS",
                                          "errorMessage": "current status: Published, expected status: Unlisted"}
    r = client.delete_package_versions(**pkg(repo), versions=["1.0"])
    assert r["successfulVersions"]["1.0"]["status"] == "Deleted" and not r.get("failedVersions"), r
    client_error(client.describe_package_version, "ResourceNotFoundException", 404, **pv(repo, "1.0"))
    client_error(client.list_package_version_assets, "ResourceNotFoundException", 404, **pv(repo, "1.0"))
    client_error(client.get_package_version_asset, "ResourceNotFoundException", 404, **pv(repo, "1.0"), asset="a.txt")
    assert statuses(client, repo) == {"2.0": "Published"}
    r = client.delete_package_versions(**pkg(repo), versions=["1.0"])
    assert r["failedVersions"]["1.0"]["errorCode"] == "NOT_FOUND", r
    # A deleted version can be published again, with other bytes.
    publish(client, repo, "1.0", "a.txt", b"new")
    assert download(client, repo, "1.0", "a.txt")[1] == b"new"


def test_copy(client, repo):
    client.create_repository(domain=repo.domain, repository="dest")
    publish(client, repo, "1.0", "a.txt", b"1")
    publish(client, repo, "2.0", "a.txt", b"2")
    copy = dict(domain=repo.domain, sourceRepository=repo.name, destinationRepository="dest", format="generic",
                namespace="ns", package="pkg")
    r = client.copy_package_versions(**copy, versions=["1.0", "2.0"])
    assert set(r["successfulVersions"]) == {"1.0", "2.0"} and not r.get("failedVersions"), r
    src = describe(client, repo, "1.0")
    dst = describe(client, repo, "1.0", repository="dest")
    assert dst["status"] == "Published"
    assert dst["origin"] == src["origin"] == {"domainEntryPoint": {"repositoryName": "repo"}, "originType": "INTERNAL"}
    assert dst["revision"] == src["revision"]
    assert download(client, repo, "2.0", "a.txt", repository="dest")[1] == b"2"
    # Identical copy again: success, omitted from both maps.
    r = client.copy_package_versions(**copy, versions=["1.0"])
    assert not r.get("successfulVersions") and not r.get("failedVersions"), r
    # Missing version: NOT_FOUND, others skipped.
    publish(client, repo, "4.0", "a.txt", b"4")
    r = client.copy_package_versions(**copy, versions=["4.0", "7.7"])
    assert r["failedVersions"]["7.7"] == {"errorCode": "NOT_FOUND", "errorMessage": "Could not find version 7.7"}
    assert r["failedVersions"]["4.0"] == {"errorCode": "SKIPPED", "errorMessage": "Version 4.0 was skipped"}
    assert not r.get("successfulVersions"), r
    client_error(client.describe_package_version, "ResourceNotFoundException", 404, **pv(repo, "4.0", repository="dest"))
    # A different version of the same name in the destination: ALREADY_EXISTS unless allowOverwrite.
    publish(client, repo, "3.0", "a.txt", b"src")
    publish(client, repo, "3.0", "a.txt", b"dst", repository="dest")
    r = client.copy_package_versions(**copy, versions=["3.0"])
    assert r["failedVersions"]["3.0"] == {"errorCode": "ALREADY_EXISTS", "errorMessage": "Version 3.0 already exists"}
    r = client.copy_package_versions(**copy, versions=["3.0"], allowOverwrite=True)
    assert r["successfulVersions"]["3.0"]["status"] == "Published", r
    assert download(client, repo, "3.0", "a.txt", repository="dest")[1] == b"src"
    # versionRevisions with a wrong revision.
    r = client.copy_package_versions(**copy, versionRevisions={"1.0": "bm90LXRoZS1yZXZpc2lvbg=="})
    assert r["failedVersions"]["1.0"]["errorCode"] == "MISMATCHED_REVISION", r
    # versions and versionRevisions together, or neither: 400.
    client_error(client.copy_package_versions, "ValidationException", 400, **copy, versions=["1.0"],
                 versionRevisions={"1.0": src["revision"]})
    client_error(client.copy_package_versions, "ValidationException", 400, **copy)


# --------------------------------------------------------------------------------------------------
# signatures (D: Auth failures)
# --------------------------------------------------------------------------------------------------

def test_wrong_secret(server):
    c = make_client(server, secret_key="x" * 40)
    client_error(c.list_domains, "InvalidSignatureException", 403)


def test_unknown_access_key(server):
    c = make_client(server, access_key="AKIAUNKNOWNKEY000000")
    client_error(c.list_domains, "UnrecognizedClientException", 403)


def raw(method, url, headers=None, body=b""):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.request(method, u.path + ("?" + u.query if u.query else ""), body=body or None, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
    finally:
        conn.close()


def signed(method, url, body=b"", headers=None, *, when=None, secret=SECRET_KEY):
    """Signs with botocore's own SigV4 signer; `when` fakes the signing clock."""
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    signer = botocore.auth.SigV4Auth(Credentials(ACCESS_KEY, secret), "codeartifact", REGION)
    if when is None:
        signer.add_auth(req)
    else:
        with mock.patch("botocore.auth.get_current_datetime", return_value=when):
            signer.add_auth(req)
    return dict(req.headers.items())


def error_of(status, headers, data):
    body = json.loads(data)
    code = headers.get("x-amzn-errortype", "").split(":")[0]
    assert body.get("__type", code) == code
    assert headers.get("x-amzn-requestid"), headers
    return code, body


def test_missing_authentication(server):
    status, headers, data = raw("POST", server.url + "/v1/domains", {"Content-Type": "application/json"}, b"{}")
    assert status == 403
    assert error_of(status, headers, data)[0] == "MissingAuthenticationTokenException"


def test_tampered_body(server, client, domain):
    url = f"{server.url}/v1/repository?domain={domain}&repository=signed"
    body = json.dumps({"description": "original"}).encode()
    hdrs = {"Content-Type": "application/json"}
    # Control: the untouched signed request succeeds, so the harness itself is right.
    status, headers, data = raw("POST", url, signed("POST", url, body, hdrs), body)
    assert status == 200, data
    assert json.loads(data)["repository"]["description"] == "original"
    # Body changed after signing (payload hash in the canonical request).
    url2 = f"{server.url}/v1/repository?domain={domain}&repository=tampered"
    h = signed("POST", url2, body, hdrs)
    evil = json.dumps({"description": "EVIL!!!!"}).encode()
    status, headers, data = raw("POST", url2, h, evil)
    assert status == 403, data
    assert error_of(status, headers, data)[0] == "InvalidSignatureException"
    # Signed x-amz-content-sha256 that does not match the body actually sent.
    h = signed("POST", url2, body, dict(hdrs, **{"X-Amz-Content-SHA256": sha256(body)}))
    status, headers, data = raw("POST", url2, h, evil)
    assert status == 403, data
    assert error_of(status, headers, data)[0] == "InvalidSignatureException"
    client_error(client.describe_repository, "ResourceNotFoundException", 404, domain=domain, repository="tampered")


def test_stale_date(server, domain):
    url = f"{server.url}/v1/domain?domain={domain}"
    now = botocore.auth.get_current_datetime()
    status, _, data = raw("GET", url, signed("GET", url, when=now))
    assert status == 200, data
    for skew in (-20, 20):
        h = signed("GET", url, when=now + datetime.timedelta(minutes=skew))
        status, headers, data = raw("GET", url, h)
        assert status == 403, (skew, data)
        assert error_of(status, headers, data)[0] == "InvalidSignatureException"


def test_connection_reuse_after_early_rejection(server, domain):
    """A request refused before its body is read must not break the keep-alive connection: the server
    either drains the body or answers `Connection: close` (then http.client reconnects by itself).
    Otherwise a client that reuses the connection sees it closed under its next request."""
    body = os.urandom(64 * 1024)
    conn = http.client.HTTPConnection(urllib.parse.urlsplit(server.url).hostname,
                                      urllib.parse.urlsplit(server.url).port, timeout=30)
    try:
        for i, asset in enumerate(["..", "two  spaces", "ok.txt"]):
            fmt = "npm" if asset == "ok.txt" else "generic"  # npm: refused as non-generic
            url = (f"{server.url}/v1/package/version/publish?domain={domain}&repository=nope&format={fmt}"
                   f"&namespace=ns&package=pkg&version=1.0&asset={urllib.parse.quote(asset)}")
            h = signed("POST", url, body, {"X-Amz-Content-SHA256": sha256(body)})
            conn.request("POST", url[len(server.url):], body=body, headers=h)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 400, (asset, resp.status)
            url = f"{server.url}/v1/domain?domain={domain}"
            try:
                conn.request("GET", url[len(server.url):], headers=signed("GET", url))
                resp2 = conn.getresponse()
                resp2.read()
            except (http.client.RemoteDisconnected, ConnectionError) as e:
                pytest.fail(f"request #{i} after a refused publish (asset {asset!r}, 400 without "
                            f"'Connection: close'): the server closed the kept-alive connection: {e!r}")
            assert resp2.status == 200
    finally:
        conn.close()


def test_health_is_unauthenticated(server):
    with urllib.request.urlopen(server.url + "/health", timeout=5) as r:
        assert r.status == 200


# --------------------------------------------------------------------------------------------------
# validation: boto3 skips pattern/enum/max checks, the server must not (B §1.1, §2; D: Wire)
# --------------------------------------------------------------------------------------------------

def test_validation_all_at_once(client):
    r = client_error(client.describe_package_version, "ValidationException", 400, domain="X" * 80,
                     repository="r!", format="bogus", namespace="ns", package="p/q #", packageVersion="1 0")
    assert_coral(
        r,
        violation("X" * 80, "domain", "Member must have length less than or equal to 50"),
        violation("X" * 80, "domain", f"Member must satisfy regular expression pattern: {DOMAIN_PATTERN}"),
        violation("r!", "repository", f"Member must satisfy regular expression pattern: {REPOSITORY_PATTERN}"),
        violation("bogus", "format", f"Member must satisfy enum value set: {FORMATS}"),
        violation("p/q #", "package", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        violation("1 0", "packageVersion", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
        count=6,
    )


GOOD = dict(domain="my-domain", repository="my-repo", format="generic", namespace="ns", package="pkg",
            packageVersion="1.0")
SINGLE = [
    ("repository", "r!", f"Member must satisfy regular expression pattern: {REPOSITORY_PATTERN}"),
    ("format", "bogus", f"Member must satisfy enum value set: {FORMATS}"),
    ("package", "p/q #", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
    ("packageVersion", "1 0", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
    ("namespace", "a#b", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"),
    ("domain", "Acme", f"Member must satisfy regular expression pattern: {DOMAIN_PATTERN}"),
]


@pytest.mark.parametrize("op", ["describe_package_version", "list_package_version_assets",
                                "get_package_version_asset", "publish_package_version"])
@pytest.mark.parametrize("member,value,constraint", SINGLE, ids=[s[0] for s in SINGLE])
def test_validation_single_field(client, op, member, value, constraint):
    kw = dict(GOOD, **{member: value})
    if op == "get_package_version_asset":
        kw["asset"] = "a.txt"
    if op == "publish_package_version":
        kw.update(assetName="a.txt", assetContent=b"x", assetSHA256=sha256(b"x"))
    r = client_error(getattr(client, op), "ValidationException", 400, **kw)
    assert r["Error"]["Message"] == "1 validation error detected: " + violation(value, member, constraint)
    assert r["reason"] == "FIELD_VALIDATION_FAILED"


def test_validation_domain_too_long(client):
    r = client_error(client.describe_domain, "ValidationException", 400, domain="x" * 80)
    assert_coral(r, violation("x" * 80, "domain", "Member must have length less than or equal to 50"), count=2)


def test_validation_max_results_and_token(client, repo):
    r = client_error(client.list_package_version_assets, "ValidationException", 400, **pv(repo, "1.0"),
                     maxResults=1001)
    assert_coral(r, violation("1001", "maxResults", "Member must have value less than or equal to 1000"), count=1)
    r = client_error(client.list_domains, "ValidationException", 400, maxResults=5000)
    assert_coral(r, "maxResults")
    # botocore checks min lengths itself, not max lengths.
    r = client_error(client.describe_package_version, "ValidationException", 400,
                     **dict(pv(repo, "1.0"), domainOwner="1234567890123"))
    assert_coral(r, violation("1234567890123", "domainOwner", "Member must have length less than or equal to 12"))
    # A forged pagination token.
    r = client_error(client.list_domains, "ValidationException", 400, nextToken="bm90LWEtdG9rZW4")
    assert r["Error"]["Message"]


def test_validation_asset_control_character(client, repo):
    r = client_error(client.get_package_version_asset, "ValidationException", 400, **pv(repo, "1.0"),
                     asset="bad\u0007name")
    assert_coral(r, "at 'asset' failed to satisfy constraint")


# --------------------------------------------------------------------------------------------------
# pagination with boto3's paginators (B §1.5; D: Ordering and pages)
# --------------------------------------------------------------------------------------------------

def paginate(client, op, **kw):
    pages = list(client.get_paginator(op).paginate(**kw, PaginationConfig={"PageSize": 1}))
    return pages


def test_paginate_assets(client, repo):
    names = ["~tilde.txt", "a.txt", "B.txt", "_u.txt", "Z9.bin", "é.txt", "0.txt", "a b.txt", "Ä.txt"]
    for i, n in enumerate(names):
        publish(client, repo, "1.0", n, n.encode(), unfinished=i < len(names) - 1)
    pages = paginate(client, "list_package_version_assets", **pv(repo, "1.0"))
    assert all(len(p["assets"]) <= 1 for p in pages)
    got = [a["name"] for p in pages for a in p["assets"]]
    assert got == sorted(names, key=lambda s: s.encode("utf-8"))
    tokens = [p["nextToken"] for p in pages if "nextToken" in p]
    assert len(tokens) == len(set(tokens)) >= len(names) - 1
    assert "nextToken" not in pages[-1]
    # build_full_result keeps the non-aggregate keys.
    full = client.get_paginator("list_package_version_assets").paginate(
        **pv(repo, "1.0"), PaginationConfig={"PageSize": 2}).build_full_result()
    assert [a["name"] for a in full["assets"]] == got
    assert (full["format"], full["namespace"], full["package"], full["version"]) == ("generic", "ns", "pkg", "1.0")
    assert full["versionRevision"] == describe(client, repo, "1.0")["revision"]
    # A token from another listing is refused.
    first = client.list_package_version_assets(**pv(repo, "1.0"), maxResults=1)
    client_error(client.list_package_versions, "ValidationException", 400, **pkg(repo), nextToken=first["nextToken"])


def test_paginate_domains(client):
    mine = sorted(unique("pd") for _ in range(4))
    for d in mine:
        client.create_domain(domain=d)
    pages = paginate(client, "list_domains")
    names = [d["name"] for p in pages for d in p["domains"]]
    assert all(len(p["domains"]) <= 1 for p in pages)
    assert names == sorted(names) and len(names) == len(set(names))
    assert set(mine) <= set(names)
    d = next(x for p in pages for x in p["domains"] if x["name"] == mine[0])
    assert d["owner"] == ACCOUNT and d["status"] == "Active" and d["arn"].endswith(f":domain/{mine[0]}")


def test_paginate_repositories(client, domain):
    repos = ["zeta", "Alpha", "beta-1", "beta.2", "m_x", "0num"]
    for r in repos:
        client.create_repository(domain=domain, repository=r)
    pages = paginate(client, "list_repositories_in_domain", domain=domain)
    got = [r["name"] for p in pages for r in p["repositories"]]
    assert got == sorted(repos)
    pages = paginate(client, "list_repositories")
    everywhere = [(r["domainName"], r["name"]) for p in pages for r in p["repositories"]]
    assert len(everywhere) == len(set(everywhere))
    assert [n for d, n in everywhere if d == domain] == sorted(repos)
    pages = paginate(client, "list_repositories", repositoryPrefix="beta")
    assert {r["name"] for p in pages for r in p["repositories"] if r["domainName"] == domain} == {"beta-1", "beta.2"}


def test_paginate_packages(client, repo):
    coords = [("ns-b", "zz"), ("ns-a", "pkg2"), ("ns-a", "pkg1"), ("ns-b", "aa"), ("ns-a", "Pkg3")]
    for ns, name in coords:
        publish(client, repo, "1.0", "a.txt", b"x", namespace=ns, package=name)
    pages = paginate(client, "list_packages", domain=repo.domain, repository=repo.name)
    got = [(p["format"], p["namespace"], p["package"]) for page in pages for p in page["packages"]]
    assert got == sorted(("generic", ns, n) for ns, n in coords)
    pages = paginate(client, "list_packages", domain=repo.domain, repository=repo.name, format="generic",
                     namespace="ns-a")
    assert [p["package"] for page in pages for p in page["packages"]] == ["Pkg3", "pkg1", "pkg2"]


def test_paginate_package_versions(client, repo):
    versions = ["1.0", "1.10", "1.2", "2.0", "0.9-beta"]
    for v in versions:
        publish(client, repo, v, "a.txt", v.encode())
        time.sleep(0.01)
    pages = paginate(client, "list_package_versions", **pkg(repo))
    got = [v["version"] for p in pages for v in p["versions"]]
    assert got == sorted(versions)
    assert all(len(p["versions"]) <= 1 for p in pages)
    first = pages[0]
    assert (first["format"], first["namespace"], first["package"]) == ("generic", "ns", "pkg")
    v0 = first["versions"][0]
    assert v0["status"] == "Published" and REVISION_RE.match(v0["revision"])
    assert v0["origin"] == {"domainEntryPoint": {"repositoryName": "repo"}, "originType": "INTERNAL"}
    pages = paginate(client, "list_package_versions", **pkg(repo), sortBy="PUBLISHED_TIME")
    assert [v["version"] for p in pages for v in p["versions"]] == list(reversed(versions))
    client.update_package_versions_status(**pkg(repo), versions=["1.2"], targetStatus="Unlisted")
    pages = paginate(client, "list_package_versions", **pkg(repo), status="Unlisted")
    assert [v["version"] for p in pages for v in p["versions"]] == ["1.2"]


# --------------------------------------------------------------------------------------------------
# error wire details (B §1.4; D: Wire)
# --------------------------------------------------------------------------------------------------

def test_not_found_resource_members(client, repo):
    publish(client, repo, "1.0", "a.txt", b"x")
    missing = unique("nope")
    r = client_error(client.describe_domain, "ResourceNotFoundException", 404, domain=missing)
    assert (r.get("resourceType"), r.get("resourceId")) == ("domain", missing), r
    r = client_error(client.describe_repository, "ResourceNotFoundException", 404, domain=repo.domain,
                     repository="nope")
    assert (r.get("resourceType"), r.get("resourceId")) == ("repository", "nope"), r
    r = client_error(client.describe_package, "ResourceNotFoundException", 404, **pkg(repo, package="nope"))
    assert r.get("resourceType") == "package" and r.get("resourceId"), r
    r = client_error(client.describe_package_version, "ResourceNotFoundException", 404, **pv(repo, "0.0.1"))
    assert r.get("resourceType") == "package-version" and r.get("resourceId"), r
    ids = set()
    for _ in range(3):
        r = client_error(client.describe_domain, "ResourceNotFoundException", 404, domain=missing)
        ids.add(r["ResponseMetadata"]["RequestId"])
    assert len(ids) == 3, "every response needs its own request id"


def test_delete_missing_domain_is_not_found(client):
    # README "Decisions": DeleteDomain of a domain that does not exist answers 404
    # ResourceNotFoundException, as every other operation naming a missing domain does, although the
    # model lists no ResourceNotFoundException for DeleteDomain. botocore's modeled exceptions are
    # per service, so the SDK still raises its typed exception.
    missing = unique("gone")
    r = client_error(client.delete_domain, "ResourceNotFoundException", 404, domain=missing)
    assert (r.get("resourceType"), r.get("resourceId")) == ("domain", missing), r
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.delete_domain(domain=missing)
    # And twice in a row for a domain that did exist: the second delete is the same 404.
    client.create_domain(domain=missing)
    assert client.delete_domain(domain=missing)["domain"]["status"] == "Deleted"
    client_error(client.delete_domain, "ResourceNotFoundException", 404, domain=missing)


def test_conflict_resource_members(client, repo):
    r = client_error(client.create_domain, "ConflictException", 409, domain=repo.domain)
    assert (r.get("resourceType"), r.get("resourceId")) == ("domain", repo.domain), r
    r = client_error(client.create_repository, "ConflictException", 409, domain=repo.domain, repository=repo.name)
    assert (r.get("resourceType"), r.get("resourceId")) == ("repository", repo.name), r
    # A domain that still holds repositories cannot be deleted.
    r = client_error(client.delete_domain, "ConflictException", 409, domain=repo.domain)
    assert r.get("resourceType") and r.get("resourceId"), r


# --------------------------------------------------------------------------------------------------
# ListPackageVersionDependencies, GetPackageVersionReadme
# --------------------------------------------------------------------------------------------------

def npm_publish(server, client, repo, name, version, package_json, readme=None):
    """Publishes like `npm publish`: the document with the base64 tarball, Bearer token."""
    import io
    import tarfile
    manifest = dict({"name": name, "version": version}, **package_json)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo("package/package.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    tgz = raw.getvalue()
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
    doc = {"name": name, "dist-tags": {"latest": version},
           "versions": {version: dict(manifest, dist={"integrity": integrity})},
           "_attachments": {f"{name}-{version}.tgz": {"data": base64.b64encode(tgz).decode(), "length": len(tgz)}}}
    if readme is not None:
        doc["readme"] = readme
    token = client.get_authorization_token(domain=repo.domain)["authorizationToken"]
    endpoint = client.get_repository_endpoint(domain=repo.domain, repository=repo.name, format="npm")
    url = endpoint["repositoryEndpoint"] + urllib.parse.quote(name, safe="@")
    req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="PUT",
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200


def test_npm_dependencies_and_readme(server, client, repo):
    npm_publish(server, client, repo, "@acme/kit", "1.0.0",
                {"dependencies": {"widget": "^1.0.0", "@acme/core": "2.x"}, "devDependencies": {"jest": "29"}},
                readme="# Kit")
    coords = dict(domain=repo.domain, repository=repo.name, format="npm", namespace="acme", package="kit",
                  packageVersion="1.0.0")
    r = client.list_package_version_dependencies(**coords)
    assert (r["format"], r["namespace"], r["package"], r["version"]) == ("npm", "acme", "kit", "1.0.0")
    assert r["versionRevision"] == client.describe_package_version(**coords)["packageVersion"]["revision"]
    assert r["dependencies"] == [
        {"namespace": "acme", "package": "core", "dependencyType": "regular", "versionRequirement": "2.x"},
        {"package": "widget", "dependencyType": "regular", "versionRequirement": "^1.0.0"},
        {"package": "jest", "dependencyType": "dev", "versionRequirement": "29"},
    ]
    assert "nextToken" not in r
    r = client.get_package_version_readme(**coords)
    assert (r["readme"], r["namespace"], r["version"]) == ("# Kit", "acme", "1.0.0")
    assert r["versionRevision"]


def test_generic_versions_have_no_dependencies_nor_readme(client, repo):
    publish(client, repo, "1.0", "a.txt", b"a")
    r = client.list_package_version_dependencies(**pv(repo, "1.0"))
    assert (r["format"], r["namespace"], r["package"], r["version"]) == ("generic", "ns", "pkg", "1.0")
    assert r["dependencies"] == [] and "nextToken" not in r
    r = client.get_package_version_readme(**pv(repo, "1.0"))
    assert "readme" not in r and r["versionRevision"] == describe(client, repo, "1.0")["revision"]
    r = client_error(client.get_package_version_readme, "ResourceNotFoundException", 404, **pv(repo, "9.9"))
    assert r.get("resourceType") == "package-version", r
    client_error(client.list_package_version_dependencies, "ResourceNotFoundException", 404,
                 **pv(repo, "1.0", package="nope"))
    client_error(client.list_package_version_dependencies, "ValidationException", 400,
                 **dict(pv(repo, "1.0"), format="pypi"))
    client_error(client.list_package_version_dependencies, "ValidationException", 400,
                 **pv(repo, "1.0"), nextToken="not-a-token")


def test_success_has_request_id(client, domain):
    r = client.describe_domain(domain=domain)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert r["ResponseMetadata"].get("RequestId")
    assert r["domain"]["name"] == domain and r["domain"]["owner"] == ACCOUNT


@pytest.mark.parametrize("call", [
    lambda c, d: c.get_repository_permissions_policy(domain=d, repository="repo"),
    lambda c, d: c.get_domain_permissions_policy(domain=d),
], ids=["GetRepositoryPermissionsPolicy", "GetDomainPermissionsPolicy"])
def test_no_policy_yet(client, repo, call):
    client_error(lambda: call(client, repo.domain), "ResourceNotFoundException", 404)


# --------------------------------------------------------------------------------------------------
# package groups
# --------------------------------------------------------------------------------------------------

def restriction(group, kind):
    return group["originConfiguration"]["restrictions"][kind]


def set_restriction(client, domain, pattern, kind, mode, add=(), remove=()):
    kw = dict(domain=domain, packageGroup=pattern, restrictions={kind: mode})
    if add:
        kw["addAllowedRepositories"] = [{"repositoryName": r, "originRestrictionType": kind} for r in add]
    if remove:
        kw["removeAllowedRepositories"] = [{"repositoryName": r, "originRestrictionType": kind}
                                           for r in remove]
    return client.update_package_group_origin_configuration(**kw)


def test_package_group_create_describe_update_delete(client, repo):
    d = repo.domain
    root = client.describe_package_group(domain=d, packageGroup="/*")["packageGroup"]
    assert root["pattern"] == "/*" and "parent" not in root
    assert root["arn"] == f"arn:aws:codeartifact:{REGION}:{ACCOUNT}:package-group/{d}/%2a"
    assert restriction(root, "PUBLISH") == {"mode": "ALLOW", "effectiveMode": "ALLOW",
                                            "repositoriesCount": 0}
    g = client.create_package_group(domain=d, packageGroup="/npm/acme/*", contactInfo="web@acme",
                                    description="web scope", tags=[{"key": "team", "value": "web"}])
    g = g["packageGroup"]
    assert g["domainName"] == d and g["domainOwner"] == ACCOUNT
    assert g["contactInfo"] == "web@acme" and g["description"] == "web scope"
    assert isinstance(g["createdTime"], datetime.datetime)
    assert g["parent"] == {"arn": root["arn"], "pattern": "/*"}
    for kind in ("PUBLISH", "EXTERNAL_UPSTREAM", "INTERNAL_UPSTREAM"):
        assert restriction(g, kind) == {"mode": "INHERIT", "effectiveMode": "ALLOW",
                                        "inheritedFrom": {"arn": root["arn"], "pattern": "/*"},
                                        "repositoriesCount": 0}
    # The documentation's `python` names the pypi format; names are normalized.
    py = client.create_package_group(domain=d, packageGroup="/python//Foo_Bar$")["packageGroup"]
    assert py["pattern"] == "/pypi//foo-bar$"
    assert client.describe_package_group(domain=d, packageGroup="/pypi//foo-bar$")["packageGroup"] == py

    u = client.update_package_group(domain=d, packageGroup="/npm/acme/*", description="new")["packageGroup"]
    assert u["description"] == "new" and u["contactInfo"] == "web@acme"

    # Tags on the group's ARN.
    arn = g["arn"]
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "team", "value": "web"}]
    client.tag_resource(resourceArn=arn, tags=[{"key": "tier", "value": "1"}])
    client.untag_resource(resourceArn=arn, tagKeys=["team"])
    assert client.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "tier", "value": "1"}]

    deleted = client.delete_package_group(domain=d, packageGroup="/npm/acme/*")["packageGroup"]
    assert deleted["pattern"] == "/npm/acme/*"
    client_error(client.describe_package_group, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/acme/*")
    client_error(client.list_tags_for_resource, "ResourceNotFoundException", 404, resourceArn=arn)


def test_package_group_errors(client, repo):
    d = repo.domain
    client.create_package_group(domain=d, packageGroup="/npm/acme/*")
    r = client_error(client.create_package_group, "ConflictException", 409, domain=d,
                     packageGroup="/npm/acme/*")
    assert "/npm/acme/*" in r["Error"]["Message"]
    for bad, why in [("npm/*", "must start with '/'"), ("/npm/a/b", "must end with '$'"),
                     ("/npm/a*", "'*' must directly follow '/'"), ("/maven//x$", "always have a namespace"),
                     ("/pypi/ns/x$", "have no namespace"), ("/rust/*", "unknown package format")]:
        r = client_error(client.create_package_group, "ValidationException", 400, domain=d,
                         packageGroup=bad)
        assert why in r["Error"]["Message"], (bad, r)
    # The model's own constraint (no whitespace; botocore checks the lengths itself).
    client_error(client.create_package_group, "ValidationException", 400, domain=d, packageGroup="/npm/a b/*")
    client_error(client.create_package_group, "ResourceNotFoundException", 404, domain=unique("nope"),
                 packageGroup="/npm/*")
    client_error(client.describe_package_group, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/other/*")
    client_error(client.update_package_group, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/other/*", description="x")
    client_error(client.delete_package_group, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/other/*")
    client_error(client.delete_package_group, "ValidationException", 400, domain=d, packageGroup="/*")
    client_error(client.delete_package_group, "ValidationException", 400, domain=d, packageGroup="bad")
    client_error(client.update_package_group_origin_configuration, "ValidationException", 400, domain=d,
                 packageGroup="/*", restrictions={"PUBLISH": "INHERIT"})
    client_error(client.update_package_group_origin_configuration, "ValidationException", 400, domain=d,
                 packageGroup="/npm/acme/*", restrictions={"PUBLISH": "MAYBE"})
    client_error(client.update_package_group_origin_configuration, "ResourceNotFoundException", 404,
                 domain=d, packageGroup="/npm/acme/*",
                 addAllowedRepositories=[{"repositoryName": "missing", "originRestrictionType": "PUBLISH"}])
    client_error(client.update_package_group_origin_configuration, "ResourceNotFoundException", 404,
                 domain=d, packageGroup="/npm/none/*", restrictions={"PUBLISH": "BLOCK"})
    client_error(client.list_package_groups, "ResourceNotFoundException", 404, domain=unique("nope"))
    client_error(client.list_package_groups, "ValidationException", 400, domain=d, nextToken="forged")
    client_error(client.list_sub_package_groups, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/none/*")
    client_error(client.list_allowed_repositories_for_group, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/none/*", originRestrictionType="PUBLISH")
    client_error(client.list_allowed_repositories_for_group, "ValidationException", 400, domain=d,
                 packageGroup="/npm/acme/*", originRestrictionType="SOMETHING")
    client_error(client.list_associated_packages, "ResourceNotFoundException", 404, domain=d,
                 packageGroup="/npm/none/*")
    client_error(client.get_associated_package_group, "ValidationException", 400, domain=d,
                 format="maven", package="no-namespace")
    client_error(client.get_associated_package_group, "ResourceNotFoundException", 404,
                 domain=unique("nope"), format="npm", package="x")


def test_package_group_listing_hierarchy_and_paging(client, repo):
    d = repo.domain
    for p in ["/npm/*", "/npm/acme/*", "/npm/acme/ui~", "/maven/com.acme~", "/maven/com.acme/*"]:
        client.create_package_group(domain=d, packageGroup=p)
    paginator = client.get_paginator("list_package_groups")
    pages = list(paginator.paginate(domain=d, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 3
    seen = [g["pattern"] for page in pages for g in page["packageGroups"]]
    assert seen == ["/*", "/maven/com.acme/*", "/maven/com.acme~", "/npm/*", "/npm/acme/*", "/npm/acme/ui~"]
    by = {g["pattern"]: g for page in pages for g in page["packageGroups"]}
    assert by["/maven/com.acme/*"]["parent"]["pattern"] == "/maven/com.acme~"
    assert by["/npm/acme/ui~"]["parent"]["pattern"] == "/npm/acme/*"
    r = client.list_package_groups(domain=d, prefix="/maven")
    assert [g["pattern"] for g in r["packageGroups"]] == ["/maven/com.acme/*", "/maven/com.acme~"]
    subs = client.list_sub_package_groups(domain=d, packageGroup="/*")["packageGroups"]
    assert [g["pattern"] for g in subs] == ["/maven/com.acme~", "/npm/*"]
    subs = client.list_sub_package_groups(domain=d, packageGroup="/npm/*")["packageGroups"]
    assert [g["pattern"] for g in subs] == ["/npm/acme/*"]
    # Deleting a group gives its children its parent.
    client.delete_package_group(domain=d, packageGroup="/npm/acme/*")
    ui = client.describe_package_group(domain=d, packageGroup="/npm/acme/ui~")["packageGroup"]
    assert ui["parent"]["pattern"] == "/npm/*"


def test_package_group_origin_configuration_and_allowed_repositories(client, repo):
    d = repo.domain
    client.create_repository(domain=d, repository="other")
    client.create_package_group(domain=d, packageGroup="/generic/ns/*")
    r = client.update_package_group_origin_configuration(
        domain=d, packageGroup="/generic/ns/*",
        restrictions={"PUBLISH": "ALLOW_SPECIFIC_REPOSITORIES", "EXTERNAL_UPSTREAM": "BLOCK"},
        addAllowedRepositories=[{"repositoryName": "repo", "originRestrictionType": "PUBLISH"},
                                {"repositoryName": "other", "originRestrictionType": "INTERNAL_UPSTREAM"}])
    assert r["allowedRepositoryUpdates"] == {"PUBLISH": {"ADDED": ["repo"]},
                                             "INTERNAL_UPSTREAM": {"ADDED": ["other"]}}
    g = r["packageGroup"]
    assert restriction(g, "PUBLISH") == {"mode": "ALLOW_SPECIFIC_REPOSITORIES",
                                         "effectiveMode": "ALLOW_SPECIFIC_REPOSITORIES",
                                         "repositoriesCount": 1}
    assert restriction(g, "EXTERNAL_UPSTREAM")["effectiveMode"] == "BLOCK"
    assert restriction(g, "INTERNAL_UPSTREAM")["repositoriesCount"] == 1
    listed = client.list_allowed_repositories_for_group(domain=d, packageGroup="/generic/ns/*",
                                                        originRestrictionType="PUBLISH")
    assert listed["allowedRepositories"] == ["repo"]

    # Publishing: repo may, other may not; the refusal names the group and the restriction.
    publish(client, repo, "1.0", "a.txt", b"a")
    r = client_error(lambda: publish(client, repo, "1.0", "a.txt", b"a", repository="other"),
                     "ConflictException", 409)
    msg = r["Error"]["Message"]
    assert "/generic/ns/*" in msg and "ALLOW_SPECIFIC_REPOSITORIES" in msg, msg
    # Packages outside the group are not affected.
    publish(client, repo, "1.0", "a.txt", b"a", namespace="elsewhere", repository="other")

    # A child inherits, and says where from.
    c = client.create_package_group(domain=d, packageGroup="/generic/ns/pkg$")["packageGroup"]
    assert restriction(c, "PUBLISH")["inheritedFrom"]["pattern"] == "/generic/ns/*"
    assert restriction(c, "PUBLISH")["effectiveMode"] == "ALLOW_SPECIFIC_REPOSITORIES"

    r = set_restriction(client, d, "/generic/ns/*", "PUBLISH", "BLOCK", remove=["repo"])
    assert r["allowedRepositoryUpdates"] == {"PUBLISH": {"REMOVED": ["repo"]}}
    r = client_error(lambda: publish(client, repo, "2.0", "a.txt", b"a"), "ConflictException", 409)
    assert "PUBLISH: BLOCK, inherited from /generic/ns/*" in r["Error"]["Message"]
    # A copy is a publish.
    client.create_repository(domain=d, repository="third")
    out = client.copy_package_versions(domain=d, sourceRepository="repo", destinationRepository="third",
                                       format="generic", namespace="ns", package="pkg", versions=["1.0"])
    assert out["failedVersions"]["1.0"]["errorCode"] == "NOT_ALLOWED"
    assert "/generic/ns/pkg$" in out["failedVersions"]["1.0"]["errorMessage"]


def test_package_group_associations_and_weak_matches(client, repo):
    d = repo.domain
    client.create_package_group(domain=d, packageGroup="/generic/ns/my_kit$")
    client.create_package_group(domain=d, packageGroup="/generic/ns/lib~")
    def assoc(package):
        r = client.get_associated_package_group(domain=d, format="generic", namespace="ns", package=package)
        return r["packageGroup"]["pattern"], r["associationType"]
    assert assoc("my_kit") == ("/generic/ns/my_kit$", "STRONG")
    assert assoc("My-Kit") == ("/generic/ns/my_kit$", "WEAK")
    assert assoc("lib-core") == ("/generic/ns/lib~", "STRONG")
    assert assoc("library") == ("/*", "STRONG"), "~ matches on a word boundary only"
    assert assoc("never-published") == ("/*", "STRONG")
    r = client_error(lambda: publish(client, repo, "1.0", "a", b"a", package="My-Kit"), "ConflictException", 409)
    assert "weakly" in r["Error"]["Message"]
    for p in ["my_kit", "lib-core", "lib", "library"]:
        publish(client, repo, "1.0", "a", b"a", package=p)
    got = client.list_associated_packages(domain=d, packageGroup="/generic/ns/lib~")["packages"]
    assert got == [{"format": "generic", "namespace": "ns", "package": "lib", "associationType": "STRONG"},
                   {"format": "generic", "namespace": "ns", "package": "lib-core",
                    "associationType": "STRONG"}]
    # preview: what a new group would take (the more specific groups keep theirs).
    got = client.list_associated_packages(domain=d, packageGroup="/generic/ns/*", preview=True)["packages"]
    assert [p["package"] for p in got] == ["library"]
    got = client.list_associated_packages(domain=d, packageGroup="/generic/ns/*", preview=True, maxResults=1)
    assert len(got["packages"]) == 1


# --------------------------------------------------------------------------------------------------
# external connections
# --------------------------------------------------------------------------------------------------

def test_external_connection_associate_and_disassociate(client, repo):
    r = client.associate_external_connection(domain=repo.domain, repository=repo.name,
                                             externalConnection="public:npmjs")
    want = [{"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}]
    assert r["repository"]["externalConnections"] == want
    d = client.describe_repository(domain=repo.domain, repository=repo.name)
    assert d["repository"]["externalConnections"] == want
    # One per repository.
    client_error(client.associate_external_connection, "ConflictException", 409,
                 domain=repo.domain, repository=repo.name, externalConnection="public:npmjs")
    r = client.disassociate_external_connection(domain=repo.domain, repository=repo.name,
                                                externalConnection="public:npmjs")
    assert r["repository"]["externalConnections"] == []
    client_error(client.disassociate_external_connection, "ResourceNotFoundException", 404,
                 domain=repo.domain, repository=repo.name, externalConnection="public:npmjs")


def test_external_connection_errors(client, repo):
    e = client_error(client.associate_external_connection, "ValidationException", 400,
                     domain=repo.domain, repository=repo.name, externalConnection="public:nope")
    assert "Unknown external connection" in e["Error"]["Message"]
    e = client_error(client.associate_external_connection, "ValidationException", 400,
                     domain=repo.domain, repository=repo.name, externalConnection="public:pypi")
    assert "--external-connection" in e["Error"]["Message"], "names the setting"
    client_error(client.associate_external_connection, "ResourceNotFoundException", 404,
                 domain=repo.domain, repository="ghost", externalConnection="public:npmjs")


def test_package_origin_configuration(client, repo):
    def put(package, publish, upstream, fmt="generic", namespace="ns"):
        return client.put_package_origin_configuration(
            domain=repo.domain, repository=repo.name, format=fmt, namespace=namespace, package=package,
            restrictions={"publish": publish, "upstream": upstream})

    # On a package that does not exist yet: it is created, without versions.
    r = put("blocked", "BLOCK", "ALLOW")
    assert r["originConfiguration"] == {"restrictions": {"publish": "BLOCK", "upstream": "ALLOW"}}
    d = client.describe_package(domain=repo.domain, repository=repo.name, format="generic",
                                namespace="ns", package="blocked")["package"]
    assert d["originConfiguration"]["restrictions"] == {"publish": "BLOCK", "upstream": "ALLOW"}
    # publish=BLOCK refuses PublishPackageVersion (ConflictException; AWS leaves AD or CF open).
    client_error(lambda **kw: publish(client, repo, "1.0", "a.bin", b"x", package="blocked"),
                 "ConflictException", 409)
    # A published package has the defaults of a publish, and the ListPackages filters see both.
    publish(client, repo, "1.0", "a.bin", b"x", package="mine")
    put("mine", "ALLOW", "BLOCK")
    listed = lambda **kw: sorted(p["package"] for p in client.list_packages(
        domain=repo.domain, repository=repo.name, **kw)["packages"])
    assert listed(publish="BLOCK") == ["blocked"]
    assert listed(upstream="BLOCK") == ["mine"]
    assert listed(publish="ALLOW", upstream="BLOCK") == ["mine"]
    # Both restrictions are required; values are the enum's.
    client_error(client.put_package_origin_configuration, "ValidationException", 400,
                 domain=repo.domain, repository=repo.name, format="generic", namespace="ns",
                 package="x", restrictions={"publish": "ALLOW", "upstream": "MAYBE"})
    client_error(client.put_package_origin_configuration, "ResourceNotFoundException", 404,
                 domain=repo.domain, repository="ghost", format="npm", package="x",
                 restrictions={"publish": "ALLOW", "upstream": "ALLOW"})


# --------------------------------------------------------------------------------------------------
# throttling
# --------------------------------------------------------------------------------------------------

def test_throttling_is_429_with_retry_after_and_boto3_retries_it(tmp_path):
    with running_server(tmp_path, "--rate-limit", "5", "--rate-burst", "5") as throttled:
        once = make_client(throttled, attempts=1)
        statuses = []
        for _ in range(8):
            try:
                once.list_domains()
                statuses.append(200)
            except ClientError as e:
                assert e.response["Error"]["Code"] == "ThrottlingException"
                assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
                assert int(e.response["ResponseMetadata"]["HTTPHeaders"]["retry-after"]) >= 1
                statuses.append(429)
        assert statuses[:5] == [200] * 5 and 429 in statuses[5:], statuses
        # boto3's standard retry mode treats ThrottlingException as retryable: with enough
        # attempts every call succeeds although the server keeps throttling.
        patient = make_client(throttled, attempts=10)
        for _ in range(15):
            patient.list_domains()


# --------------------------------------------------------------------------------------------------
# principals and permission policies
# --------------------------------------------------------------------------------------------------

def arca_command(server, *args):
    """Runs `arca …` on the server's data directory; returns its stdout."""
    env = dict(os.environ, ARCA_ACCESS_KEY_ID=ACCESS_KEY, ARCA_SECRET_ACCESS_KEY=SECRET_KEY,
               ARCA_ACCOUNT_ID=ACCOUNT, ARCA_REGION=REGION, ARCA_LOG="warn")
    for k in ("ARCA_CONFIG", "ARCA_DATA_DIR", "ARCA_TOKEN_SECRET"):
        env.pop(k, None)
    r = subprocess.run([arca_bin(), *args, "--data-dir", str(server.data)],
                       capture_output=True, text=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


def arca_principal(server, *args):
    return arca_command(server, "principal", *args)


def arca_audit(server, *args):
    """`arca audit --json …`: the records, oldest first."""
    return [json.loads(line) for line in arca_command(server, "audit", "--json", *args).splitlines()]


def add_user(server, tmp_path, name, statements):
    policy = tmp_path / f"{name}.json"
    policy.write_text(json.dumps({"Version": "2012-10-17", "Statement": statements}))
    arn = f"arn:aws:iam::{ACCOUNT}:user/{name}"
    out = arca_principal(server, "add", arn, "--policy-file", str(policy))
    keys = dict(line.strip().split("=", 1) for line in out.splitlines() if "=" in line)
    return arn, make_client(server, keys["AWS_ACCESS_KEY_ID"], keys["AWS_SECRET_ACCESS_KEY"])


def test_principals_policies_and_denials(server, client, repo, tmp_path):
    name = unique("reader")
    arn, reader = add_user(server, tmp_path, name, [
        {"Effect": "Allow", "Action": ["codeartifact:Describe*", "codeartifact:List*"], "Resource": "*"}])
    assert arn in arca_principal(server, "list")
    assert "SECRET" not in arca_principal(server, "list", "--json")
    assert reader.describe_repository(domain=repo.domain, repository=repo.name)["repository"]["name"] == "repo"
    r = client_error(reader.publish_package_version, "AccessDeniedException", 403,
                     domain=repo.domain, repository=repo.name, format="generic", namespace="ns",
                     package="pkg", packageVersion="1.0", assetName="a.txt", assetContent=b"a",
                     assetSHA256=hashlib.sha256(b"a").hexdigest())
    assert arn in r["Error"]["Message"] and "PublishPackageVersion" in r["Error"]["Message"], r
    denials = [r]

    # An explicit Deny in the repository's policy beats the identity Allow.
    deny = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": {"AWS": arn},
            "Action": "codeartifact:DescribeRepository", "Resource": "*"}]}
    p = client.put_repository_permissions_policy(domain=repo.domain, repository=repo.name,
                                                 policyDocument=json.dumps(deny))["policy"]
    assert p["resourceArn"].endswith(f":repository/{repo.domain}/repo") and p["revision"]
    denials.append(client_error(reader.describe_repository, "AccessDeniedException", 403,
                                domain=repo.domain, repository=repo.name))
    # Optimistic locking on the revision.
    client_error(client.put_repository_permissions_policy, "ConflictException", 409,
                 domain=repo.domain, repository=repo.name, policyDocument=json.dumps(deny),
                 policyRevision="stale")
    got = client.get_repository_permissions_policy(domain=repo.domain, repository=repo.name)["policy"]
    assert got["revision"] == p["revision"] and json.loads(got["document"]) == deny
    client.delete_repository_permissions_policy(domain=repo.domain, repository=repo.name,
                                                policyRevision=p["revision"])
    assert reader.describe_repository(domain=repo.domain, repository=repo.name)["repository"]
    # Removed, the principal's key stops working at once.
    arca_principal(server, "remove", arn)
    client_error(reader.describe_repository, "UnrecognizedClientException", 403,
                 domain=repo.domain, repository=repo.name)

    # Every denial shows in `arca audit`, under the request id the client got; the reader's
    # successful reads left nothing.
    records = arca_audit(server, "--principal", arn)
    assert [(x["action"], x["result"], x["requestId"]) for x in records] == [
        ("codeartifact:PublishPackageVersion", "denied", denials[0]["ResponseMetadata"]["RequestId"]),
        ("codeartifact:DescribeRepository", "denied", denials[1]["ResponseMetadata"]["RequestId"]),
    ], records
    assert records[1]["resourceArn"].endswith(f":repository/{repo.domain}/repo"), records
    assert all(x["sourceIp"] == "127.0.0.1" for x in records), records
    # The root's policy writes are there too.
    puts = arca_audit(server, "--action", "codeartifact:PutRepositoryPermissionsPolicy")
    assert any(x["resourceArn"] == p["resourceArn"] and x["result"] == "allowed" for x in puts), puts

def test_tag_condition_keys(server, client, domain, tmp_path):
    """aws:ResourceTag on the repository acted on, aws:RequestTag on CreateRepository and
    aws:TagKeys on TagResource, as IAM evaluates them."""
    client.create_repository(domain=domain, repository="web", tags=[{"key": "team", "value": "web"}])
    client.create_repository(domain=domain, repository="api")
    _, user = add_user(server, tmp_path, unique("tagged"), [
        {"Effect": "Allow", "Action": ["codeartifact:Describe*", "codeartifact:List*"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/Team": "web"}}},
        {"Effect": "Allow", "Action": "codeartifact:CreateRepository", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestTag/team": "web"}}},
        {"Effect": "Allow", "Action": "codeartifact:TagResource", "Resource": "*",
         "Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]},
                       "Null": {"aws:TagKeys": "false"}}}])
    assert user.describe_repository(domain=domain, repository="web")["repository"]["name"] == "web"
    user.list_packages(domain=domain, repository="web")
    for op in (user.describe_repository, user.list_packages):
        client_error(op, "AccessDeniedException", 403, domain=domain, repository="api")
    user.create_repository(domain=domain, repository="new", tags=[{"key": "team", "value": "web"}])
    client_error(user.create_repository, "AccessDeniedException", 403, domain=domain, repository="bare")
    arn = client.describe_repository(domain=domain, repository="api")["repository"]["arn"]
    client_error(user.tag_resource, "AccessDeniedException", 403, resourceArn=arn,
                 tags=[{"key": "owner", "value": "x"}])
    user.tag_resource(resourceArn=arn, tags=[{"key": "team", "value": "web"}])
    assert user.describe_repository(domain=domain, repository="api")["repository"]["name"] == "api"
