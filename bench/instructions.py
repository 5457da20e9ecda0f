"""CPU instructions per request, a figure that a busy machine does not move (issue 12): the release
server runs under `valgrind --tool=callgrind`; after set-up its counters are zeroed, N signed requests
are sent one after another on one keep-alive connection, and the counters are dumped, so the dump
holds those N requests only (start-up and set-up excluded). Prints instructions per request.

    python3 bench/instructions.py --arca target/release/arca [--requests 200] [--publishes 100]

Needs valgrind (callgrind_control) and botocore (bench/common.py signs). Never a pass/fail test."""
import argparse
import glob
import hashlib
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import Arca, ok, q, sign  # noqa: E402

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


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arca", required=True)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--publishes", type=int, default=100)
    args = p.parse_args()
    work = tempfile.mkdtemp(prefix="arca-instr-")
    wrapper, out = under_callgrind(args.arca, work)
    arca = Arca(wrapper, f"{work}/data")
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

        describe(0)
        d = phase(pid, out, describe, args.requests)
        pub = phase(pid, out, publish, args.publishes)
        print(f"DescribePackageVersion: {d:,.0f} instructions/request ({args.requests} requests)")
        print(f"PublishPackageVersion 1 KiB, sequential: {pub:,.0f} instructions/publish ({args.publishes})")
    finally:
        arca.stop()


if __name__ == "__main__":
    main()
