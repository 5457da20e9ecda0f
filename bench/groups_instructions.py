"""Package groups at scale (issue 15): CPU instructions of an association (GetAssociatedPackageGroup)
and of a publish (which associates the package and checks its group's PUBLISH restriction) in a
domain with only the root group, then with 10,000 more groups. Instructions, not seconds: a busy
machine does not move them (see instructions.py). The groups are created through the API by a
server running normally; the same data directory is then served under callgrind.

    python3 bench/groups_instructions.py --arca target/release/arca [--groups 10000]

Prints one row per domain size and the ratio. Never a pass/fail test."""
import argparse
import hashlib
import http.client
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from common import Arca, ok, q, sign  # noqa: E402
from instructions import phase, under_callgrind  # noqa: E402

DOMAIN, REPO = "bench", "repo"
PROBE = dict(domain=DOMAIN, format="generic", namespace="acme", package="widget-core")


def patterns(n):
    """n groups of several shapes; a few of them are ancestors of the probed package."""
    near = ["/generic/acme/*", "/generic/acme/widget~", "/generic/acme/widget-core$"]
    shapes = ["/npm/scope{i}/*", "/generic/acme/lib{i}~", "/pypi//name{i}$", "/maven/org.example{i}/*"]
    out = near[: min(n, len(near))]
    i = 0
    while len(out) < n:
        out.append(shapes[i % len(shapes)].format(i=i))
        i += 1
    return out


def create_groups(binary, data, n):
    arca = Arca(binary, data)
    try:
        arca.create(DOMAIN, REPO)
        host, port = arca.addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        for pattern in patterns(n):
            body = json.dumps({"packageGroup": pattern}).encode()
            path = "/v1/package-group?" + q(domain=DOMAIN)
            headers = sign("POST", arca.url + path, body, hashlib.sha256(body).hexdigest())
            headers["Content-Type"] = "application/json"
            conn.request("POST", path, body=body, headers=headers)
            resp = conn.getresponse()
            ok((resp.status, resp.read()), f"CreatePackageGroup {pattern}")
    finally:
        arca.stop()


def measure(binary, data, work, requests, publishes):
    wrapper, out = under_callgrind(binary, work)
    arca = Arca(wrapper, data)
    try:
        host, port = arca.addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        path = "/v1/get-associated-package-group?" + q(**PROBE)
        headers = sign("GET", arca.url + path)

        def associate(_):
            conn.request("GET", path, headers=headers)
            resp = conn.getresponse()
            ok((resp.status, resp.read()), "GetAssociatedPackageGroup")

        def publish(i):
            body = os.urandom(1024)
            p = "/v1/package/version/publish?" + q(**PROBE, repository=REPO, version=f"1.0.{i}", asset="a.bin")
            h = sign("POST", arca.url + p, body, hashlib.sha256(body).hexdigest())
            h["Content-Type"] = "application/octet-stream"
            conn.request("POST", p, body=body, headers=h)
            resp = conn.getresponse()
            ok((resp.status, resp.read()), "publish")

        associate(0)  # builds the domain's group index once
        publish(1_000_000)
        return phase(arca.proc.pid, out, associate, requests), phase(arca.proc.pid, out, publish, publishes)
    finally:
        arca.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--arca", required=True)
    p.add_argument("--groups", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=200)
    p.add_argument("--publishes", type=int, default=100)
    args = p.parse_args()
    rows = []
    for n in (0, args.groups):
        work = tempfile.mkdtemp(prefix="arca-groups-")
        data = f"{work}/data"
        create_groups(args.arca, data, n)
        rows.append((n, *measure(args.arca, data, work, args.requests, args.publishes)))
    print(f"{'groups besides /*':>18} {'association':>14} {'publish 1 KiB':>14}  (instructions/request)")
    for n, a, pub in rows:
        print(f"{n:>18,} {a:>14,.0f} {pub:>14,.0f}")
    (_, a0, p0), (_, a1, p1) = rows
    print(f"{'ratio':>18} {a1 / a0:>13.2f}x {p1 / p0:>13.2f}x")


if __name__ == "__main__":
    main()
