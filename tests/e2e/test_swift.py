"""The Swift package registry (SE-0292) of a real `arca serve`, checked by a client written from the
specification (`swift_client.py`), then through the CodeArtifact API with boto3.

No Swift toolchain exists for this machine, so the protocol is what is tested: every endpoint's
request and response shape, headers, status codes and error bodies, archives with `Package.swift`
variants, the publish → resolve → download round trip, the negative cases, and the curl publish
line AWS documents for clients older than Swift 5.9.

Environment: ARCA_BIN (server binary; default ${CARGO_TARGET_DIR:-target}/debug/arca).
"""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import uuid
from types import SimpleNamespace

import pytest

import swift_client as sc
from swift_client import RegistryClient, check_problem, link
from test_boto3 import ACCESS_KEY, REGION, SECRET_KEY, make_client, running_server

METADATA = {
    "description": "One thing links to another.",
    "repositoryURLs": ["https://github.com/mona/LinkedList", "git@github.com:mona/LinkedList.git"],
    "licenseURL": "https://www.apache.org/licenses/LICENSE-2.0",
    "author": {"name": "Mona Lisa Octocat", "organization": {"name": "GitHub"}},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("arca-swift")) as s:
        yield s


@pytest.fixture(scope="module")
def api(server):
    return make_client(server)


def registry(api, domain, repository):
    token = api.get_authorization_token(domain=domain)["authorizationToken"]
    url = api.get_repository_endpoint(domain=domain, repository=repository, format="swift")["repositoryEndpoint"]
    assert url.endswith("/swift/d/%s-123456789012/%s/" % (domain, repository)) or url.endswith("/"), url
    return RegistryClient(url, token)


@pytest.fixture
def reg(api):
    domain = "d-" + uuid.uuid4().hex[:10]
    api.create_domain(domain=domain)
    api.create_repository(domain=domain, repository="swift")
    r = registry(api, domain, "swift")
    r.domain, r.repository = domain, "swift"
    return r


def package(version="1.0.0", name="LinkedList", variants=True):
    files = {"Package.swift": sc.manifest("5.7", name), "Sources/%s/List.swift" % name: "public struct L {}\n"}
    if variants:
        files["Package@swift-4.2.swift"] = sc.manifest("4.2", name)
        files["Package@swift-5.swift"] = sc.manifest("5.0", name)
    files["README.md"] = f"version {version}\n"
    return sc.source_archive(name, files)


def published(reg, scope, name, version, archive=None, **kw):
    r = reg.publish(scope, name, version, archive or package(version, name), **kw)
    assert r.status == 201, (r.status, r.body)
    return r


# --------------------------------------------------------------------------------------------------
# the round trip: publish (§4.6) → resolve (§4.1, §4.2, §4.3) → download (§4.4)
# --------------------------------------------------------------------------------------------------

def test_publish_resolve_download_round_trip(reg):
    archive = package()
    r = published(reg, "mona", "LinkedList", "1.0.0", archive, metadata=METADATA)
    sc.check_content_version(r)  # §4.6.3.1: 201 with Location
    assert r.header("Location") == reg.url("mona/LinkedList/1.0.0"), r.header("Location")

    releases = sc.check_releases(reg.list_releases("mona", "LinkedList"))
    assert list(releases) == ["1.0.0"]
    assert releases["1.0.0"]["url"] == reg.url("mona/LinkedList/1.0.0")
    lst = reg.list_releases("mona", "LinkedList")
    assert link(lst, "latest-version") == reg.url("mona/LinkedList/1.0.0")
    assert link(lst, "canonical") == METADATA["repositoryURLs"][0]
    assert link(lst, "alternate") == METADATA["repositoryURLs"][1]

    info = sc.check_release(reg.release("mona", "LinkedList", "1.0.0"), "mona", "LinkedList", "1.0.0")
    assert sc.source_archive_resource(info)["checksum"] == hashlib.sha256(archive).hexdigest()
    assert "signing" not in sc.source_archive_resource(info)
    assert info["metadata"] == METADATA
    rel = reg.release("mona", "LinkedList", "1.0.0")
    assert link(rel, "latest-version") == reg.url("mona/LinkedList/1.0.0")
    assert link(rel, "successor-version") is None and link(rel, "predecessor-version") is None

    m = reg.manifest("mona", "LinkedList", "1.0.0")
    assert sc.check_manifest(m).decode() == sc.manifest("5.7")
    alternates = sc.manifest_alternates(m)
    assert set(alternates) == {"Package@swift-4.2.swift", "Package@swift-5.swift"}
    url, tools = alternates["Package@swift-4.2.swift"]
    assert tools == "4.2"
    assert url == reg.url("mona/LinkedList/1.0.0/Package.swift?swift-version=4.2")
    assert alternates["Package@swift-5.swift"][1] == "5.0"
    variant = reg.manifest("mona", "LinkedList", "1.0.0", swift_version="4.2")
    assert sc.check_manifest(variant, "Package@swift-4.2.swift").decode() == sc.manifest("4.2")

    # §4.3.1: no manifest for that Swift version → 303 to the unqualified one.
    missing = reg.manifest("mona", "LinkedList", "1.0.0", swift_version="6.0")
    assert missing.status == 303
    assert missing.header("Location") == reg.url("mona/LinkedList/1.0.0/Package.swift")

    body = sc.check_archive(reg.archive("mona", "LinkedList", "1.0.0"), info, "LinkedList", "1.0.0")
    assert body == archive
    assert reg.archive("mona", "LinkedList", "1.0.0").header("Digest")


def test_head_on_every_get(reg):
    published(reg, "mona", "LinkedList", "1.0.0", metadata=METADATA)
    pairs = [
        lambda m: reg.list_releases("mona", "LinkedList", method=m),
        lambda m: reg.release("mona", "LinkedList", "1.0.0", method=m),
        lambda m: reg.manifest("mona", "LinkedList", "1.0.0", method=m),
        lambda m: reg.archive("mona", "LinkedList", "1.0.0", method=m),
        lambda m: reg.identifiers("https://github.com/mona/LinkedList", method=m),
    ]
    for call in pairs:
        get, head = call("GET"), call("HEAD")
        assert head.status == get.status == 200
        assert head.body == b""
        for h in ("Content-Type", "Content-Version", "Content-Length", "Link", "Digest", "Content-Disposition"):
            assert head.header(h) == get.header(h), (h, head.headers, get.headers)


def test_archive_range_requests(reg):
    """§4.4 recommends range requests (RFC 7233)."""
    archive = package()
    published(reg, "mona", "LinkedList", "1.0.0", archive)
    path = "mona/LinkedList/1.0.0.zip"
    n = len(archive)
    whole = reg.request("GET", path, {"Accept": sc.ACCEPT_ZIP})
    assert whole.header("Accept-Ranges") == "bytes"
    for spec, start, end in [("0-9", 0, 9), (f"{n - 10}-", n - 10, n - 1), ("-7", n - 7, n - 1),
                             (f"5-{n + 100}", 5, n - 1)]:
        r = reg.request("GET", path, {"Accept": sc.ACCEPT_ZIP, "Range": f"bytes={spec}"})
        assert r.status == 206, (spec, r.status)
        assert r.header("Content-Range") == f"bytes {start}-{end}/{n}", spec
        assert int(r.header("Content-Length")) == end - start + 1
        assert r.body == archive[start:end + 1], spec
    r = reg.request("GET", path, {"Accept": sc.ACCEPT_ZIP, "Range": f"bytes={n}-"})
    check_problem(r, 416)
    assert r.header("Content-Range") == f"bytes */{n}"
    # Several ranges: the whole archive (RFC 7233 lets a server ignore Range).
    r = reg.request("GET", path, {"Accept": sc.ACCEPT_ZIP, "Range": "bytes=0-1,4-5"})
    assert r.status == 200 and r.body == archive


def test_options_need_no_credentials(reg):
    anonymous = RegistryClient(reg.base)
    for path, methods in [("mona/LinkedList", {"GET", "HEAD"}), ("mona/LinkedList/1.0.0", {"GET", "PUT"}),
                          ("login", {"POST"}), ("", {"GET"})]:
        r = anonymous.request("OPTIONS", path)
        assert r.status in (200, 204), (path, r.status, r.body)
        allow = {m.strip() for m in r.header("Allow").split(",")}
        assert methods <= allow, (path, allow)
        assert link(r, "service-doc"), r.headers
        assert link(r, "service-desc"), r.headers


def test_links_survive_odd_repository_urls(reg):
    meta = {"repositoryURLs": ["https://exämple.com/mona/Odd", "https://github.com/mona/Odd>x",
                               "https://github.com/mona/Odd"]}
    published(reg, "mona", "Odd", "1.0.0", package(name="Odd"), metadata=meta)
    r = reg.list_releases("mona", "Odd")
    sc.check_releases(r)
    assert link(r, "latest-version") == reg.url("mona/Odd/1.0.0")
    assert link(r, "canonical") == "https://github.com/mona/Odd"
    # The metadata itself keeps every URL as published.
    assert reg.release("mona", "Odd", "1.0.0").json()["metadata"] == meta


def test_versions_order_and_neighbours(reg):
    for v in ["1.1.0", "2.0.0", "1.0.0", "2.0.0-beta.1", "1.10.0"]:
        published(reg, "mona", "LinkedList", v)
    releases = sc.check_releases(reg.list_releases("mona", "LinkedList"))
    # §4.1: SHOULD list in order of precedence, highest first.
    assert list(releases) == ["2.0.0", "2.0.0-beta.1", "1.10.0", "1.1.0", "1.0.0"]
    assert link(reg.list_releases("mona", "LinkedList"), "latest-version") == reg.url("mona/LinkedList/2.0.0")
    r = reg.release("mona", "LinkedList", "1.10.0")
    sc.check_release(r, "mona", "LinkedList", "1.10.0")
    assert link(r, "latest-version") == reg.url("mona/LinkedList/2.0.0")
    assert link(r, "successor-version") == reg.url("mona/LinkedList/2.0.0-beta.1")
    assert link(r, "predecessor-version") == reg.url("mona/LinkedList/1.1.0")
    # The .json extension may be appended (§4.1, §4.2).
    assert sc.check_releases(reg.list_releases("mona", "LinkedList.json")) == releases
    assert reg.release("mona", "LinkedList", "1.10.0.json").json()["version"] == "1.10.0"


def test_pagination_links(reg):
    for v in ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]:
        published(reg, "mona", "Paged", v, archive=package(v, "Paged", variants=False))
    first = reg.list_releases("mona", "Paged", query="?page=1&per_page=2")
    assert list(sc.check_releases(first)) == ["1.4.0", "1.3.0"]
    nxt = link(first, "next")
    assert nxt and link(first, "last") and link(first, "first")
    assert link(first, "prev") is None
    second = reg.request("GET", nxt, {"Accept": sc.ACCEPT_JSON})
    assert list(sc.check_releases(second)) == ["1.2.0", "1.1.0"]
    last = reg.request("GET", link(first, "last"), {"Accept": sc.ACCEPT_JSON})
    assert list(sc.check_releases(last)) == ["1.0.0"]
    assert link(last, "next") is None and link(last, "prev")
    # Unpaged, a client sees every release (SwiftPM does not follow `next`).
    assert len(sc.check_releases(reg.list_releases("mona", "Paged"))) == 5


def test_identities_are_case_insensitive(reg):
    archive = package("1.0.0", "LinkedList")
    published(reg, "Mona", "LinkedList", "1.0.0", archive)
    for scope, name in [("mona", "linkedlist"), ("MONA", "LINKEDLIST")]:
        assert list(sc.check_releases(reg.list_releases(scope, name))) == ["1.0.0"]
        assert reg.archive(scope, name, "1.0.0").body == archive
    # The same package in another case is the same release: 409.
    check_problem(reg.publish("MONA", "linkedlist", "1.0.0", archive), 409)


def test_build_metadata_in_versions(reg):
    published(reg, "mona", "LinkedList", "1.0.0+build.7")
    assert list(sc.check_releases(reg.list_releases("mona", "LinkedList"))) == ["1.0.0+build.7"]
    sc.check_release(reg.release("mona", "LinkedList", "1.0.0+build.7"), "mona", "LinkedList", "1.0.0+build.7")


# --------------------------------------------------------------------------------------------------
# identifiers (§4.5) and login
# --------------------------------------------------------------------------------------------------

def test_identifiers_lookup(reg):
    published(reg, "mona", "LinkedList", "1.0.0", metadata=METADATA)
    published(reg, "octo", "Other", "1.0.0", archive=package(name="Other"),
              metadata={"repositoryURLs": ["https://github.com/octo/other"]})
    for url in ["https://github.com/mona/LinkedList", "https://github.com/mona/LinkedList.git",
                "git@github.com:mona/LinkedList.git"]:
        doc = sc.check_json(reg.identifiers(url))
        assert doc == {"identifiers": ["mona.LinkedList"]}, (url, doc)
    check_problem(reg.identifiers("https://github.com/nobody/nothing"), 404)
    check_problem(reg.identifiers(None), 400)


def test_what_aws_codeartifact_login_tool_swift_sets_up(server, reg, tmp_path):
    """`aws codeartifact login --tool swift` (B §5.3) runs `swift package-registry set E [--scope S]` and
    `swift package-registry login Elogin`, and on Linux writes `machine HOST login token password T` to
    ~/.netrc. No swift exists here, so --dry-run prints all three; the registry and login URLs and the
    netrc credentials must work against Arca as SwiftPM would use them."""
    published(reg, "mona", "LinkedList", "1.0.0")
    aws = os.path.join(os.path.dirname(sys.executable), "aws")
    env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
               AWS_DEFAULT_REGION=REGION, HOME=str(tmp_path))
    out = subprocess.run([aws, "--endpoint-url", server.url, "codeartifact", "login", "--tool", "swift",
                          "--domain", reg.domain, "--repository", reg.repository, "--namespace", "mona",
                          "--dry-run"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    m = re.search(r"^machine (\S+) login (\S+) password (\S+)$", out.stdout, re.M)
    assert m, out.stdout
    host, user, token = m.groups()
    assert (host, user) == ("127.0.0.1", "token")
    assert f"swift package-registry set {reg.base} --scope mona" in out.stdout, out.stdout
    assert f"swift package-registry login {reg.base}login" in out.stdout, out.stdout
    assert not (tmp_path / ".netrc").exists()
    # SwiftPM sends the netrc credentials as Basic: they log in and resolve.
    swiftpm = RegistryClient(reg.base, token, user=user)
    assert swiftpm.request("POST", reg.base + "login", {"Accept": sc.ACCEPT_JSON}).status == 200
    assert list(sc.check_releases(swiftpm.list_releases("mona", "LinkedList"))) == ["1.0.0"]


def test_login(reg):
    r = reg.login()
    assert r.status == 200, r.body
    sc.check_content_version(r)
    bad = RegistryClient(reg.base, "not-a-token").login()
    check_problem(bad, 401)
    none = RegistryClient(reg.base).login()
    check_problem(none, 401)
    assert none.header("WWW-Authenticate"), none.headers
    # A token sent as Bearer works too (SwiftPM's token authentication).
    bearer = reg.request("POST", "login", {"Authorization": f"Bearer {reg.token}"}, auth=False)
    assert bearer.status == 200


# --------------------------------------------------------------------------------------------------
# negative cases
# --------------------------------------------------------------------------------------------------

def test_conflict_409(reg):
    archive = package()
    published(reg, "mona", "LinkedList", "1.0.0", archive)
    for again in (archive, package("other bytes")):
        doc = check_problem(reg.publish("mona", "LinkedList", "1.0.0", again), 409)
        assert "1.0.0" in doc["detail"]
    # The release did not change.
    info = reg.release("mona", "LinkedList", "1.0.0").json()
    assert sc.source_archive_resource(info)["checksum"] == hashlib.sha256(archive).hexdigest()


@pytest.mark.parametrize("why,archive", [
    ("no manifest", sc.source_archive("Kit", {"Sources/Kit/a.swift": "x"})),
    ("no tools version", sc.source_archive("Kit", {"Package.swift": "import PackageDescription\n"})),
    ("files at the root", sc.source_archive("Kit", {"Package.swift": sc.manifest("5.7")}, top="")),
    ("two top-level directories",
     sc.source_archive("Kit", {"Kit/Package.swift": sc.manifest("5.7"), "Other/x": "y"}, top="")),
    ("an entry leaving the directory",
     sc.source_archive("Kit", {"Package.swift": sc.manifest("5.7"), "../x": "y"})),
    ("not a zip", b"this is not a zip archive"),
    ("variant without tools version",
     sc.source_archive("Kit", {"Package.swift": sc.manifest("5.7"), "Package@swift-5.swift": "import X\n"})),
])
def test_invalid_archives_422(reg, why, archive):
    doc = check_problem(reg.publish("mona", "Kit", "1.0.0", archive), 422)
    assert doc["detail"], why
    check_problem(reg.list_releases("mona", "Kit"), 404)


@pytest.mark.parametrize("metadata", [
    b"{not json", b"[1, 2]", json.dumps({"author": {"email": "a@b.c"}}).encode(),
    json.dumps({"repositoryURLs": "https://github.com/x/y"}).encode(),
    json.dumps({"originalPublicationTime": "last tuesday"}).encode(),
])
def test_invalid_metadata_422(reg, metadata):
    check_problem(reg.publish("mona", "Kit", "1.0.0", package(name="Kit"), metadata=metadata), 422)
    check_problem(reg.list_releases("mona", "Kit"), 404)


def test_signature_without_format_422(reg):
    check_problem(reg.publish("mona", "Kit", "1.0.0", package(name="Kit"), archive_signature=b"\x30\x82sig"), 422)


def test_api_version_negotiation(reg):
    published(reg, "mona", "LinkedList", "1.0.0")
    # §3.5: an invalid API version → 400, a valid but unsupported one → 415.
    check_problem(reg.list_releases("mona", "LinkedList", accept="application/vnd.swift.registry.vX+json"), 400)
    check_problem(reg.list_releases("mona", "LinkedList", accept="application/vnd.swift.registry.v2+json"), 415)
    check_problem(reg.request("GET", "mona/LinkedList/1.0.0.zip",
                              {"Accept": "application/vnd.swift.registry.v3+zip"}), 415)
    check_problem(reg.publish("mona", "LinkedList", "9.0.0", package("9.0.0"),
                              extra_headers={"Accept": "application/vnd.swift.registry.v2+json"}), 415)
    # Without Accept (or without a version in it) the server picks its version and says so.
    for accept in (None, "application/vnd.swift.registry+json", "application/vnd.swift.registry.v1",
                   "application/json"):
        r = reg.list_releases("mona", "LinkedList", accept=accept)
        assert sc.check_releases(r) == {"1.0.0": {"url": reg.url("mona/LinkedList/1.0.0")}}, accept


def test_bad_requests_400(reg):
    published(reg, "mona", "LinkedList", "1.0.0")
    check_problem(reg.list_releases("mo--na", "LinkedList"), 400)          # §3.6.1
    check_problem(reg.list_releases("mona", "Linked.List"), 400)           # §3.6.2
    check_problem(reg.release("mona", "LinkedList", "1.0"), 400)           # not SemVer
    check_problem(reg.identifiers(None), 400)                              # §4.5
    # A publish without the source-archive part.
    ct, body = sc.multipart([dict(name="metadata", content_type="application/json", data=b"{}")])
    check_problem(reg.request("PUT", "mona/LinkedList/2.0.0", {"Content-Type": ct, "Accept": sc.ACCEPT_JSON}, body), 400)


def test_publish_that_is_not_multipart_415(reg):
    r = reg.request("PUT", "mona/LinkedList/1.0.0",
                    {"Content-Type": "application/zip", "Accept": sc.ACCEPT_JSON}, package())
    check_problem(r, 415)


def test_not_found_404(reg):
    published(reg, "mona", "LinkedList", "1.0.0")
    check_problem(reg.list_releases("mona", "Nothing"), 404)
    check_problem(reg.release("mona", "LinkedList", "9.9.9"), 404)
    check_problem(reg.manifest("mona", "LinkedList", "9.9.9"), 404)
    check_problem(reg.archive("mona", "LinkedList", "9.9.9"), 404)
    check_problem(reg.request("GET", "mona/LinkedList/1.0.0/Other.swift", {"Accept": sc.ACCEPT_JSON}), 404)
    other = RegistryClient(reg.base.rsplit("/", 2)[0] + "/no-such-repo/", reg.token)
    check_problem(other.list_releases("mona", "LinkedList"), 404)


def test_method_not_allowed_405(reg):
    published(reg, "mona", "LinkedList", "1.0.0")
    r = reg.request("DELETE", "mona/LinkedList/1.0.0", {"Accept": sc.ACCEPT_JSON})
    check_problem(r, 405)
    assert "PUT" in r.header("Allow")
    check_problem(reg.request("PUT", "mona/LinkedList", {"Accept": sc.ACCEPT_JSON}, b""), 405)


def test_unauthenticated_401(reg):
    anonymous = RegistryClient(reg.base)
    check_problem(anonymous.list_releases("mona", "LinkedList"), 401)
    check_problem(anonymous.publish("mona", "LinkedList", "1.0.0", package()), 401)


# --------------------------------------------------------------------------------------------------
# signatures, transfer encodings, curl
# --------------------------------------------------------------------------------------------------

def test_signatures_are_stored_as_given(reg):
    sig, msig = bytes(range(256)), b"\x00metadata signature\xff"
    published(reg, "mona", "Signed", "1.0.0", package(name="Signed"), metadata={"description": "signed"},
              archive_signature=sig, metadata_signature=msig, signature_format="cms-1.0.0")
    info = sc.check_release(reg.release("mona", "Signed", "1.0.0"), "mona", "Signed", "1.0.0")
    signing = sc.source_archive_resource(info)["signing"]
    assert signing == {"signatureBase64Encoded": base64.b64encode(sig).decode(), "signatureFormat": "cms-1.0.0"}
    a = reg.archive("mona", "Signed", "1.0.0")
    sc.check_archive(a, info, "Signed", "1.0.0")
    # §4.4: a signed release's archive carries its signature headers.
    assert a.header("X-Swift-Package-Signature-Format") == "cms-1.0.0"
    assert base64.b64decode(a.header("X-Swift-Package-Signature")) == sig


def test_base64_transfer_encoding_of_parts(reg):
    """The specification's own example sends parts base64-encoded (§4.6)."""
    archive = package(name="Encoded")
    meta = json.dumps({"description": "encoded"}).encode()
    ct, body = sc.multipart([
        dict(name="source-archive", content_type="application/zip", transfer_encoding="base64",
             data=base64.encodebytes(archive)),
        dict(name="metadata", content_type="application/json", transfer_encoding="quoted-printable", data=meta),
    ])
    r = reg.request("PUT", "mona/Encoded/1.0.0", {"Content-Type": ct, "Accept": sc.ACCEPT_JSON,
                                                   "Expect": "100-continue"}, body)
    assert r.status == 201, r.body
    info = reg.release("mona", "Encoded", "1.0.0").json()
    assert sc.source_archive_resource(info)["checksum"] == hashlib.sha256(archive).hexdigest()
    assert info["metadata"] == {"description": "encoded"}


def test_aws_documented_curl_publish_line(reg, tmp_path):
    """UG swift-publish-consume, for clients before Swift 5.9:
    curl -X PUT --user "aws:$TOKEN" -H "Accept: application/vnd.swift.registry.v1+json"
         -F source-archive="@pkg.zip" "E{scope}/{name}/{version}"."""
    zip_path = tmp_path / "pkg.zip"
    zip_path.write_bytes(package(name="Curled"))
    out = subprocess.run(
        ["curl", "-sS", "-X", "PUT", "--user", f"aws:{reg.token}", "-H", "Accept: application/vnd.swift.registry.v1+json",
         "-F", f"source-archive=@{zip_path}", "-o", "/dev/null", "-w", "%{http_code}",
         reg.url("mona/Curled/1.0.0")],
        capture_output=True, text=True, timeout=60)
    assert out.stdout == "201", (out.stdout, out.stderr)
    info = reg.release("mona", "Curled", "1.0.0").json()
    assert sc.source_archive_resource(info)["checksum"] == hashlib.sha256(zip_path.read_bytes()).hexdigest()


# --------------------------------------------------------------------------------------------------
# upstreams, statuses and the API trio (boto3)
# --------------------------------------------------------------------------------------------------

def test_release_lists_merge_over_upstreams(api, reg):
    api.create_repository(domain=reg.domain, repository="downstream",
                          upstreams=[{"repositoryName": reg.repository}])
    down = registry(api, reg.domain, "downstream")
    up_archive = package("1.0.0")
    published(reg, "mona", "LinkedList", "1.0.0", up_archive, metadata=METADATA)
    published(reg, "mona", "LinkedList", "1.1.0")
    assert list(sc.check_releases(down.list_releases("mona", "LinkedList"))) == ["1.1.0", "1.0.0"]
    assert sc.check_json(down.identifiers(METADATA["repositoryURLs"][0])) == {"identifiers": ["mona.LinkedList"]}
    # A version an upstream has cannot be published downstream (origin controls, A5): 409.
    check_problem(down.publish("mona", "LinkedList", "1.0.0", package("1.0.0")), 409)
    # With upstream=ALLOW for the package downstream, local and upstream releases merge.
    coords = dict(domain=reg.domain, repository="downstream", format="swift", namespace="mona",
                  package="linkedlist")
    api.put_package_origin_configuration(**coords, restrictions={"publish": "ALLOW", "upstream": "BLOCK"})
    check_problem(down.identifiers(METADATA["repositoryURLs"][0]), 404)
    api.put_package_origin_configuration(**coords, restrictions={"publish": "ALLOW", "upstream": "ALLOW"})
    published(down, "mona", "LinkedList", "2.0.0")
    assert list(sc.check_releases(down.list_releases("mona", "LinkedList"))) == ["2.0.0", "1.1.0", "1.0.0"]
    assert list(sc.check_releases(reg.list_releases("mona", "LinkedList"))) == ["1.1.0", "1.0.0"]
    info = sc.check_release(down.release("mona", "LinkedList", "1.0.0"), "mona", "LinkedList", "1.0.0")
    assert info["metadata"] == METADATA
    assert link(down.release("mona", "LinkedList", "1.0.0"), "latest-version") == down.url("mona/LinkedList/2.0.0")
    vs = lambda: sorted(v["version"] for v in api.list_package_versions(**coords)["versions"])
    assert vs() == ["2.0.0"]
    # Downloading through the downstream repository retains the release there (§A2).
    assert sc.check_archive(down.archive("mona", "LinkedList", "1.0.0"), info, "LinkedList", "1.0.0") == up_archive
    assert vs() == ["1.0.0", "2.0.0"]
    origin = api.describe_package_version(**coords, packageVersion="1.0.0")["packageVersion"]["origin"]
    assert origin == {"domainEntryPoint": {"repositoryName": reg.repository}, "originType": "INTERNAL"}
    # upstream=BLOCK downstream hides the upstream's releases again.
    api.put_package_origin_configuration(**coords, restrictions={"publish": "ALLOW", "upstream": "BLOCK"})
    assert list(sc.check_releases(down.list_releases("mona", "LinkedList"))) == ["2.0.0", "1.0.0"]


def test_statuses(api, reg):
    for v in ["1.0.0", "1.1.0", "1.2.0"]:
        published(reg, "mona", "LinkedList", v)
    coords = dict(domain=reg.domain, repository=reg.repository, format="swift", namespace="mona",
                  package="linkedlist")
    api.update_package_versions_status(**coords, versions=["1.1.0"], targetStatus="Archived")
    api.update_package_versions_status(**coords, versions=["1.2.0"], targetStatus="Unlisted")
    releases = sc.check_releases(reg.list_releases("mona", "LinkedList"))
    # An archived release is listed with a problem (§4.1); an unlisted one is not listed.
    assert set(releases) == {"1.0.0", "1.1.0"}
    assert releases["1.1.0"]["problem"]["status"] == 410
    check_problem(reg.release("mona", "LinkedList", "1.1.0"), 404)
    check_problem(reg.archive("mona", "LinkedList", "1.1.0"), 404)
    # Unlisted still resolves (pinned versions keep working).
    assert reg.archive("mona", "LinkedList", "1.2.0").status == 200


def test_api_trio(api, reg):
    archive = package("1.0.0")
    published(reg, "Mona", "LinkedList", "1.0.0", archive, metadata=METADATA,
              archive_signature=b"sig", signature_format="cms-1.0.0")
    coords = dict(domain=reg.domain, repository=reg.repository, format="swift")
    pkgs = api.list_packages(**coords)["packages"]
    assert [(p["format"], p["namespace"], p["package"]) for p in pkgs] == [("swift", "mona", "linkedlist")]
    # The API normalizes scope and name (CodeArtifact: Swift names are lowercased).
    versions = api.list_package_versions(**coords, namespace="MONA", package="LinkedList")["versions"]
    assert [(v["version"], v["status"]) for v in versions] == [("1.0.0", "Published")]
    d = api.describe_package_version(**coords, namespace="mona", package="linkedlist",
                                     packageVersion="1.0.0")["packageVersion"]
    assert d["displayName"] == "LinkedList"
    assert d["summary"] == METADATA["description"]
    assert d["sourceCodeRepository"] == METADATA["repositoryURLs"][0]
    assert d["licenses"] == [{"name": METADATA["licenseURL"], "url": METADATA["licenseURL"]}]
    assert d["status"] == "Published" and d["origin"]["originType"] == "INTERNAL"
    assets = api.list_package_version_assets(**coords, namespace="mona", package="linkedlist",
                                             packageVersion="1.0.0")["assets"]
    by_name = {a["name"]: a for a in assets}
    assert set(by_name) == {"linkedlist-1.0.0.zip", "Package.swift", "Package@swift-4.2.swift",
                            "Package@swift-5.swift", "metadata.json", "source-archive.cms-1.0.0.sig"}
    assert by_name["linkedlist-1.0.0.zip"]["hashes"]["SHA-256"] == hashlib.sha256(archive).hexdigest()
    got = api.get_package_version_asset(**coords, namespace="mona", package="linkedlist",
                                        packageVersion="1.0.0", asset="linkedlist-1.0.0.zip")
    assert got["asset"].read() == archive
    manifest = api.get_package_version_asset(**coords, namespace="mona", package="linkedlist",
                                             packageVersion="1.0.0", asset="Package.swift")
    assert manifest["asset"].read().decode() == sc.manifest("5.7")
    meta = api.get_package_version_asset(**coords, namespace="mona", package="linkedlist",
                                         packageVersion="1.0.0", asset="metadata.json")
    assert json.loads(meta["asset"].read()) == METADATA
    # A deleted release can be published again (immutability is of what exists).
    api.delete_package_versions(**coords, namespace="mona", package="linkedlist", versions=["1.0.0"])
    published(reg, "mona", "LinkedList", "1.0.0", package("again"))
