"""CPU instructions per request, a figure that a busy machine does not move (issue 12): the release
server runs under `valgrind --tool=callgrind`; after set-up its counters are zeroed, N signed requests
are sent one after another on one keep-alive connection, and the counters are dumped, so the dump
holds those N requests only (start-up and set-up excluded). Prints instructions per request.

    python3 bench/instructions.py --arca target/release/arca [--requests 200] [--publishes 100]
                                  [--native-versions 200]

Rows: DescribePackageVersion; a sequential 1 KiB publish; ListPackageVersions of 100 versions (the
versions the publish row made, `maxResults=100`); ListPackageVersionAssets; an npm packument of
`--native-versions` versions and a PyPI simple page of as many files (published over the native
protocols by `native_docs.py` before counting).

Kept reads (issue 12): by default the reads after the first are answered from what the server
keeps (`--document-ttl-ms`, an hour here); `--document-ttl-ms 0` counts them rendered every time,
as before the caches. A binary older than the caches ignores the setting.

Needs valgrind (callgrind_control) and botocore (bench/common.py signs). Never a pass/fail test."""
import argparse
import base64
import glob
import hashlib
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(__file__))
from common import Arca, ok, q, sign  # noqa: E402
from native_docs import NPM_NAME, PYPI_NAME, npm_publish_versions, pypi_upload_versions  # noqa: E402

COORDS = dict(domain="bench", repository="repo", format="generic", namespace="bench", package="p")


def total_ir(path):
    with open(path) as f:
        for line in f:
            m = re.match(r"(?:summary|totals):\s+(\d+)", line)
            if m:
                return int(m.group(1))
    raise RuntimeError(f"no totals in {path}")


def phase(pid, out, send, n):
    """Zeroes the counters, runs `send` n times, dumps; returns instructions per call."""
    subprocess.run(["callgrind_control", "-z", str(pid)], check=True, capture_output=True)
    before = set(glob.glob(out + "*"))
    for i in range(n):
        send(i)
    subprocess.run(["callgrind_control", "-d", str(pid)], check=True, capture_output=True)
    for _ in range(100):
        new = sorted(set(glob.glob(out + "*")) - before)
        if new:
            time.sleep(0.5)
            return total_ir(new[-1]) / n
        time.sleep(0.1)
    raise RuntimeError("callgrind wrote no dump")


def under_callgrind(binary, work):
    """A script in `work` that runs `binary` under callgrind, and the prefix of its dumps."""
    out = f"{work}/callgrind.out"
    wrapper = f"{work}/arca-under-callgrind"
    with open(wrapper, "w") as f:
        f.write(f'#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file={out} '
                f'"{os.path.abspath(binary)}" "$@"\n')
    os.chmod(wrapper, 0o755)
    return wrapper, out


def packument_path(endpoint, name):
    return urlsplit(endpoint).path + name


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arca", required=True)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--publishes", type=int, default=100)
    p.add_argument("--native-versions", type=int, default=200)
    p.add_argument("--document-ttl-ms", type=int, default=3_600_000,
                   help="the server's document_ttl_ms: by default an hour, so that every read after the "
                        "first is served from what was kept (callgrind slows the server about 50x, which "
                        "would otherwise expire the default 2 s TTL mid-phase); 0 renders every request")
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="arca-instr-")
    wrapper, out = under_callgrind(args.arca, work)
    arca = Arca(wrapper, f"{work}/data", env={"ARCA_DOCUMENT_TTL_MS": str(args.document_ttl_ms)})
    pid = arca.proc.pid  # the wrapper execs valgrind
    try:
        arca.create("bench", "repo")
        host, port = arca.addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)

        def publish(i):
            body = os.urandom(1024)
            path = "/v1/package/version/publish?" + q(**COORDS, version=f"1.0.{i}", asset="a.bin")
            headers = sign("POST", arca.url + path, body, hashlib.sha256(body).hexdigest())
            headers["Content-Type"] = "application/octet-stream"
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            ok((resp.status, resp.read()), "publish")

        publish(1_000_000)  # the version Describe reads; also warms the publish path
        describe_path = "/v1/package/version?" + q(**COORDS, version="1.0.1000000")
        describe_headers = sign("GET", arca.url + describe_path)

        def describe(_):
            conn.request("GET", describe_path, headers=describe_headers)
            resp = conn.getresponse()
            ok((resp.status, resp.read()), "describe")

        def getter(path, headers, what, method="GET"):
            def get(_):
                conn.request(method, path, headers=headers)
                resp = conn.getresponse()
                ok((resp.status, resp.read()), what)
            get(0)  # warm
            return get

        def signed_get(path, what, method="GET"):
            return getter(path, sign(method, arca.url + path), what, method)

        describe = signed_get(describe_path, "describe")
        d = phase(pid, out, describe, args.requests)
        pub = phase(pid, out, publish, args.publishes)
        rows = [("DescribePackageVersion", d, f"{args.requests} requests"),
                ("PublishPackageVersion 1 KiB, sequential", pub, f"{args.publishes} publishes")]
        versions = signed_get("/v1/package/versions?" + q(**COORDS, **{"max-results": 100}), "list versions", "POST")
        rows.append((f"ListPackageVersions, {min(100, args.publishes + 1)} versions",
                     phase(pid, out, versions, args.requests), f"{args.requests} requests"))
        assets = signed_get("/v1/package/version/assets?" + q(**COORDS, version="1.0.1000000"), "list assets", "POST")
        rows.append(("ListPackageVersionAssets", phase(pid, out, assets, args.requests),
                     f"{args.requests} requests"))

        n = args.native_versions
        arca.create("bench", "npm")
        arca.create("bench", "pypi")
        token = arca.token("bench")
        npm = arca.endpoint("npm", "bench", "npm")
        pypi = arca.endpoint("pypi", "bench", "pypi")
        npm_publish_versions(npm, token, n)
        pypi_upload_versions(pypi, token, n)
        native_requests = max(1, args.requests // 4)
        packument = getter(packument_path(npm, NPM_NAME),
                           {"Authorization": f"Bearer {token}", "Accept": "application/json"}, "packument")
        rows.append((f"npm packument, {n} versions", phase(pid, out, packument, native_requests),
                     f"{native_requests} requests"))
        abbreviated = getter(packument_path(npm, NPM_NAME),
                             {"Authorization": f"Bearer {token}",
                              "Accept": "application/vnd.npm.install-v1+json"}, "abbreviated packument")
        rows.append((f"npm abbreviated packument, {n} versions", phase(pid, out, abbreviated, native_requests),
                     f"{native_requests} requests"))
        basic = "Basic " + base64.b64encode(f"aws:{token}".encode()).decode()
        simple = getter(urlsplit(pypi).path + f"simple/{PYPI_NAME}/", {"Authorization": basic}, "simple page")
        rows.append((f"PyPI simple page, {n} files", phase(pid, out, simple, native_requests),
                     f"{native_requests} requests"))
        for what, count, note in rows:
            print(f"{what}: {count:,.0f} instructions/request ({note})")
    finally:
        arca.stop()


if __name__ == "__main__":
    main()
