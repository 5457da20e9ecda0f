"""Many versions of one npm package and one PyPI project, published over the native protocols
without the real clients (200 `npm publish` runs would take minutes): the npm publish document and a
`package/package.json` tarball as npm sends them, and the wheels of `native_rows.build_wheel` as
twine's upload form. For the native read rows (issue 12): a packument of N versions, a simple page
of N files."""
import base64
import hashlib
import http.client
import io
import json
import os
import sys
import tarfile
import uuid
import zipfile

sys.path.insert(0, os.path.dirname(__file__))
from common import ok  # noqa: E402

NPM_NAME = "bench-many"
PYPI_NAME = "bench-many"


def _conn(url):
    host, port = url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    return http.client.HTTPConnection(host, int(port), timeout=600)


def _path(url):
    return "/" + url.split("//", 1)[1].split("/", 1)[1]


def npm_tarball(name, version):
    manifest = json.dumps({"name": name, "version": version, "description": f"{name} {version}",
                           "main": "index.js", "license": "MIT",
                           "dependencies": {"left-pad": "^1.0.0"}}).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for path, data in (("package/package.json", manifest),
                           ("package/index.js", f"module.exports = '{version}';\n".encode())):
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 1577836800, 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def npm_publish_versions(endpoint, token, count, name=NPM_NAME):
    """`count` versions 1.0.0 … 1.0.{count-1} of `name`, each one npm publish document."""
    conn = _conn(endpoint)
    for i in range(count):
        version = f"1.0.{i}"
        tgz = npm_tarball(name, version)
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode()
        doc = {
            "_id": name, "name": name, "dist-tags": {"latest": version},
            "versions": {version: {
                "name": name, "version": version, "description": f"{name} {version}",
                "main": "index.js", "license": "MIT", "dependencies": {"left-pad": "^1.0.0"},
                "_id": f"{name}@{version}",
                "dist": {"integrity": integrity, "shasum": hashlib.sha1(tgz).hexdigest(),
                         "tarball": f"{endpoint}{name}/-/{name}-{version}.tgz"}}},
            "_attachments": {f"{name}-{version}.tgz": {
                "content_type": "application/octet-stream", "data": base64.b64encode(tgz).decode(),
                "length": len(tgz)}},
        }
        body = json.dumps(doc).encode()
        conn.request("PUT", _path(endpoint) + name, body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        ok((resp.status, resp.read()), f"npm publish {name}@{version}")
    conn.close()


def wheel(name, version):
    module = name.replace("-", "_")
    info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = '{version}'\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            f"Summary: {name} {version}\nRequires-Python: >=3.8\n\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: arca-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record) + f"\n{info}/RECORD,,\n"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p, text in files.items():
            z.writestr(zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return f"{module}-{version}-py3-none-any.whl", buf.getvalue()


def pypi_upload_versions(endpoint, token, count, name=PYPI_NAME):
    """`count` wheels 1.0.0 … 1.0.{count-1} of `name`, each one twine-style upload form."""
    conn = _conn(endpoint)
    auth = "Basic " + base64.b64encode(f"aws:{token}".encode()).decode()
    for i in range(count):
        version = f"1.0.{i}"
        filename, data = wheel(name, version)
        fields = {":action": "file_upload", "protocol_version": "1", "metadata_version": "2.1",
                  "name": name, "version": version, "filetype": "bdist_wheel", "pyversion": "py3",
                  "summary": f"{name} {version}", "requires_python": ">=3.8",
                  "sha256_digest": hashlib.sha256(data).hexdigest()}
        boundary = uuid.uuid4().hex
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                 for k, v in fields.items()]
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{filename}"\r\n'
                     f"Content-Type: application/octet-stream\r\n\r\n".encode() + data + b"\r\n")
        body = b"".join(parts) + f"--{boundary}--\r\n".encode()
        conn.request("POST", _path(endpoint), body=body,
                     headers={"Authorization": auth, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        resp = conn.getresponse()
        ok((resp.status, resp.read()), f"pypi upload {filename}")
    conn.close()
