"""A Swift package registry client written from the registry specification only.

Source: swift-package-manager `Documentation/PackageRegistry/Registry.md` (SE-0292; cited below as
"§n"), and the curl publish line of the CodeArtifact user guide. It knows nothing of Arca's code:
the requests are the ones the specification describes, and the `check_*` helpers assert what the
specification says a server answers (status codes, media types, `Content-Version`, problem
details, `Link` relations, checksums). Standard library only (http.client, zipfile).
"""

import base64
import dataclasses
import hashlib
import http.client
import io
import json
import re
import urllib.parse
import uuid
import zipfile

API_VERSION = "1"
ACCEPT_JSON = "application/vnd.swift.registry.v1+json"
ACCEPT_ZIP = "application/vnd.swift.registry.v1+zip"
ACCEPT_SWIFT = "application/vnd.swift.registry.v1+swift"

# §3.6.1 and §3.6.2
SCOPE_RE = re.compile(r"\A[a-zA-Z0-9](?:[a-zA-Z0-9]|-(?=[a-zA-Z0-9])){0,38}\Z")
NAME_RE = re.compile(r"\A[a-zA-Z0-9](?:[a-zA-Z0-9]|[-_](?=[a-zA-Z0-9])){0,99}\Z")
# §4.3: version-specific manifests
VARIANT_RE = re.compile(r"\APackage@swift-(\d+)(?:\.(\d+))?(?:\.(\d+))?.swift\Z")
# §4.2 (ISO 8601 date-time)
ISO8601_RE = re.compile(r"\A\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})\Z")


@dataclasses.dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def header(self, name):
        return self.headers.get(name)

    def json(self):
        return json.loads(self.body)

    def links(self):
        return parse_links(self.header("Link") or "")


def parse_links(value):
    """RFC 8288 `Link` values as a list of (url, {param: value}); `rel` lowercased."""
    out = []
    for m in re.finditer(r"<([^>]*)>((?:\s*;\s*[^;,=]+=(?:\"[^\"]*\"|[^;,]*))*)", value):
        params = {}
        for p in re.finditer(r";\s*([^;,=\s]+)\s*=\s*(\"[^\"]*\"|[^;,]*)", m.group(2)):
            params[p.group(1).lower()] = p.group(2).strip().strip('"')
        out.append((m.group(1), params))
    return out


def link(resp, rel):
    """The URL of the link relation `rel` (None when absent)."""
    for url, params in resp.links():
        if rel in params.get("rel", "").split():
            return url
    return None


def multipart(parts, boundary=None):
    """(content type, body) of a multipart/form-data form (RFC 7578); each part is a dict with name,
    data, and optionally content_type, filename, transfer_encoding (the data is sent as given)."""
    boundary = boundary or uuid.uuid4().hex
    body = bytearray()
    for p in parts:
        body += f"--{boundary}\r\n".encode()
        disposition = f'form-data; name="{p["name"]}"'
        if p.get("filename"):
            disposition += f'; filename="{p["filename"]}"'
        body += f"Content-Disposition: {disposition}\r\n".encode()
        if p.get("content_type"):
            body += f"Content-Type: {p['content_type']}\r\n".encode()
        if p.get("transfer_encoding"):
            body += f"Content-Transfer-Encoding: {p['transfer_encoding']}\r\n".encode()
        body += b"\r\n" + p["data"] + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return f'multipart/form-data;boundary="{boundary}"', bytes(body)


def source_archive(name, files, top=None):
    """A source archive as `swift package archive-source` makes it (§4.6.1): a zip whose entries
    sit in one top-level directory (`top`, default `name`); `files` maps paths inside it to text
    or bytes. `top=""` puts the files at the archive's root instead."""
    top = name if top is None else top
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        if top:
            z.writestr(top + "/", b"")
        for path, data in files.items():
            z.writestr(f"{top}/{path}" if top else path, data)
    return buf.getvalue()


def manifest(tools_version, name="LinkedList"):
    """A `Package.swift` whose first line declares `tools_version` (§4.3)."""
    return (f"// swift-tools-version:{tools_version}\nimport PackageDescription\n\n"
            f'let package = Package(\n    name: "{name}",\n    targets: [.target(name: "{name}")]\n)\n')


class RegistryClient:
    """Requests of §4 against a registry URL (which ends with `/`)."""

    def __init__(self, base_url, token=None, user="token"):
        assert base_url.endswith("/"), base_url
        self.base = base_url
        self.token = token
        self.user = user
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.path = parsed.hostname, parsed.port, parsed.path

    def url(self, path):
        return self.base + path

    def request(self, method, path, headers=None, body=None, auth=True):
        """One request; redirects are not followed (§4.3 and §4.4.2 answer 303)."""
        h = dict(headers or {})
        if auth and self.token is not None:
            # §3.2 leaves the scheme to the server; CodeArtifact's is Basic with the token as password.
            cred = base64.b64encode(f"{self.user}:{self.token}".encode()).decode()
            h.setdefault("Authorization", f"Basic {cred}")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        try:
            if path.startswith(("http://", "https://")):
                parts = urllib.parse.urlsplit(path)
                target = parts.path + (f"?{parts.query}" if parts.query else "")
            else:
                target = path if path.startswith("/") or path == "*" else self.path + path
            conn.request(method, target, body=body, headers=h)
            r = conn.getresponse()
            return Response(r.status, r.headers, r.read())
        finally:
            conn.close()

    # §4.1
    def list_releases(self, scope, name, accept=ACCEPT_JSON, method="GET", query=""):
        return self.request(method, f"{scope}/{name}{query}", {"Accept": accept} if accept else {})

    # §4.2
    def release(self, scope, name, version, accept=ACCEPT_JSON, method="GET"):
        return self.request(method, f"{scope}/{name}/{quote(version)}", {"Accept": accept} if accept else {})

    # §4.3
    def manifest(self, scope, name, version, swift_version=None, method="GET"):
        q = f"?swift-version={swift_version}" if swift_version else ""
        return self.request(method, f"{scope}/{name}/{quote(version)}/Package.swift{q}", {"Accept": ACCEPT_SWIFT})

    # §4.4
    def archive(self, scope, name, version, method="GET"):
        return self.request(method, f"{scope}/{name}/{quote(version)}.zip", {"Accept": ACCEPT_ZIP})

    # §4.5
    def identifiers(self, url=None, method="GET"):
        q = "" if url is None else "?url=" + urllib.parse.quote(url, safe="")
        return self.request(method, f"identifiers{q}", {"Accept": ACCEPT_JSON})

    # §4.6
    def publish(self, scope, name, version, archive, metadata=None, archive_signature=None,
                metadata_signature=None, signature_format=None, extra_headers=None):
        parts = [dict(name="source-archive", content_type="application/zip", data=archive)]
        if archive_signature is not None:
            parts.append(dict(name="source-archive-signature", content_type="application/octet-stream",
                              data=archive_signature))
        if metadata is not None:
            data = metadata if isinstance(metadata, bytes) else json.dumps(metadata).encode()
            parts.append(dict(name="metadata", content_type="application/json", data=data))
        if metadata_signature is not None:
            parts.append(dict(name="metadata-signature", content_type="application/octet-stream",
                              data=metadata_signature))
        content_type, body = multipart(parts)
        headers = {"Accept": ACCEPT_JSON, "Content-Type": content_type, "Content-Length": str(len(body))}
        if signature_format:
            headers["X-Swift-Package-Signature-Format"] = signature_format
        headers.update(extra_headers or {})
        return self.request("PUT", f"{scope}/{name}/{quote(version)}", headers, body)

    # the login endpoint `swift package-registry login` calls
    def login(self):
        return self.request("POST", "login", {"Accept": ACCEPT_JSON})


def quote(version):
    return urllib.parse.quote(version, safe="")


# --------------------------------------------------------------------------------------------------
# what the specification says a server answers
# --------------------------------------------------------------------------------------------------

def check_content_version(resp):
    # §3.5: "A server MUST set the Content-Version header field" (the manifest and archive MAY omit it).
    assert resp.header("Content-Version") == API_VERSION, dict(resp.headers)


def check_problem(resp, status):
    """§3.3: errors are RFC 7807 problem details."""
    assert resp.status == status, (resp.status, resp.body[:500])
    assert resp.header("Content-Type", ).split(";")[0].strip() == "application/problem+json", dict(resp.headers)
    check_content_version(resp)
    if resp.body:
        doc = resp.json()
        assert isinstance(doc, dict), doc
        assert isinstance(doc.get("detail"), str) and doc["detail"], doc
        if "status" in doc:
            assert doc["status"] == status, doc
        return doc
    return {}


def check_json(resp, status=200):
    assert resp.status == status, (resp.status, resp.body[:500])
    assert resp.header("Content-Type").split(";")[0].strip() == "application/json", dict(resp.headers)
    check_content_version(resp)
    return resp.json() if resp.body else None


def check_releases(resp):
    """§4.1: `releases` maps versions to objects with an optional `url` and `problem`."""
    doc = check_json(resp)
    assert set(doc) >= {"releases"}, doc
    for version, entry in doc["releases"].items():
        assert isinstance(entry, dict), entry
        assert set(entry) <= {"url", "problem"}, entry
        if "problem" in entry:
            assert isinstance(entry["problem"], dict), entry
    return doc["releases"]


def check_release(resp, scope, name, version):
    """§4.2: `id`, `version`, `resources` (name, type, checksum, signing), `metadata`, `publishedAt`."""
    doc = check_json(resp)
    assert doc["id"].lower() == f"{scope}.{name}".lower(), doc
    assert doc["version"] == version, doc
    assert isinstance(doc["metadata"], dict), doc
    assert ISO8601_RE.match(doc.get("publishedAt", "")), doc
    names = [(r["name"], r["type"]) for r in doc["resources"]]
    assert len(names) == len(set(names)), "§4.2.1: one resource per (name, type)"
    for r in doc["resources"]:
        assert re.fullmatch(r"[0-9a-f]{64}", r["checksum"]), r
        if "signing" in r:
            assert set(r["signing"]) == {"signatureBase64Encoded", "signatureFormat"}, r
            base64.b64decode(r["signing"]["signatureBase64Encoded"], validate=True)
    return doc


def source_archive_resource(doc):
    [r] = [r for r in doc["resources"] if r["name"] == "source-archive" and r["type"] == "application/zip"]
    return r


def check_manifest(resp, filename="Package.swift"):
    """§4.3: `text/x-swift`, `Content-Disposition: attachment; filename=…`, `Content-Length`."""
    assert resp.status == 200, (resp.status, resp.body[:500])
    assert resp.header("Content-Type").split(";")[0].strip() == "text/x-swift", dict(resp.headers)
    assert resp.header("Content-Disposition") == f'attachment; filename="{filename}"', dict(resp.headers)
    assert int(resp.header("Content-Length")) == len(resp.body)
    return resp.body


def manifest_alternates(resp):
    """§4.3: a `Link` entry per version-specific manifest: rel alternate, filename, swift-tools-version."""
    out = {}
    for url, params in resp.links():
        if params.get("rel") == "alternate":
            assert VARIANT_RE.match(params["filename"]), params
            out[params["filename"]] = (url, params.get("swift-tools-version"))
    return out


def check_archive(resp, release_doc, name, version):
    """§4.4: `application/zip`, `Content-Length`, `Content-Disposition` `{name}-{version}.zip`; §4.4.1:
    the checksum of the release's source-archive resource, and the `Digest` header, verify it."""
    assert resp.status == 200, (resp.status, resp.body[:500])
    assert resp.header("Content-Type").split(";")[0].strip() == "application/zip", dict(resp.headers)
    assert int(resp.header("Content-Length")) == len(resp.body)
    assert resp.header("Content-Disposition") == f'attachment; filename="{name}-{version}.zip"', dict(resp.headers)
    checksum = hashlib.sha256(resp.body).hexdigest()
    assert checksum == source_archive_resource(release_doc)["checksum"]
    digest = resp.header("Digest")
    if digest is not None:
        algo, _, value = digest.partition("=")
        assert algo.lower() == "sha-256", digest
        assert base64.b64decode(value) == hashlib.sha256(resp.body).digest(), digest
    return resp.body
