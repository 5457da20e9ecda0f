#!/usr/bin/env python3
"""Arca's bench: one run, side by side with reference servers, one table of medians and ratios.

Started by bench/run (which builds the release binaries). Every figure is printed next to its target;
nothing here passes or fails. Writes the same table as JSON (--json). Only ever talks to 127.0.0.1.

Measurements (issue 3):
  get-1gib      GetPackageVersionAsset of one 1 GiB asset, 1 stream and 8 concurrent, vs nginx sendfile
  describe/list DescribePackageVersion and ListPackageVersionAssets req/s at 32 connections (wrk
                replaying a request signed within the skew window) vs a minimal axum handler
  publish       PublishPackageVersion of 1 KiB generic assets, versions/s with 8 concurrent publishers
  rss           idle RSS; peak RSS during the 8 x 1 GiB downloads
  startup       process start to first successful signed request, empty and 100k-version data dir
  scale         DescribePackageVersion latency p50/p99 with 1k vs 1M versions in one repository
"""
import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET, ACCOUNT = "AKIAARCABENCH0000001", "bench-secret-0123456789abcdefghijklmnopq", "111122223333"
CREDS = Credentials(KEY, SECRET)
MIB = 1024 * 1024


def sign(method, url, body=b"", payload_hash=None):
    headers = {"x-amz-content-sha256": payload_hash} if payload_hash else {}
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    SigV4Auth(CREDS, "codeartifact", "us-east-1").add_auth(req)
    return {k: v for k, v in req.headers.items() if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256")}


def rss_mib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Arca:
    def __init__(self, binary, data_dir, *args):
        env = dict(os.environ, ARCA_ACCESS_KEY_ID=KEY, ARCA_SECRET_ACCESS_KEY=SECRET, ARCA_ACCOUNT_ID=ACCOUNT,
                   ARCA_LOG="error", ARCA_GC_INTERVAL="0")
        self.started = time.monotonic()
        self.proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
        for line in self.proc.stdout:
            m = re.search(r"listening on http://(\S+)", line)
            if m:
                self.addr = m.group(1)
                break
        else:
            raise RuntimeError("arca did not start")
        self.url = "http://" + self.addr

    def request(self, method, path, body=b"", payload_hash=None):
        host, port = self.addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        headers = sign(method, self.url + path, body, payload_hash)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def ok(status_data, what):
    status, data = status_data
    if status != 200:
        raise RuntimeError(f"{what}: HTTP {status}: {data[:300]!r}")
    return data


def q(**kw):
    return urllib.parse.urlencode(kw)


COORDS = dict(domain="bench", repository="repo", format="generic", namespace="bench", package="big")


def setup(arca):
    ok(arca.request("POST", "/v1/domain?" + q(domain="bench")), "create domain")
    ok(arca.request("POST", "/v1/repository?" + q(domain="bench", repository="repo")), "create repository")


def publish_file(arca, path, version, asset):
    sha = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(MIB), b""):
            sha.update(chunk)
    target = "/v1/package/version/publish?" + q(**COORDS, version=version, asset=asset)
    headers = sign("POST", arca.url + target, payload_hash=sha.hexdigest())
    cmd = ["curl", "-sf", "-X", "POST", "-T", path, "-H", "Content-Type: application/octet-stream", "-o", "/dev/null"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    subprocess.run(cmd + [arca.url + target], check=True)


def curl_parallel(urls_headers, n):
    """Downloads with n curl processes at once; returns wall seconds."""
    t0 = time.monotonic()
    procs = []
    for url, headers in urls_headers[:n]:
        cmd = ["curl", "-sf", "-o", "/dev/null"]
        for k, v in headers.items():
            cmd += ["-H", f"{k}: {v}"]
        procs.append(subprocess.Popen(cmd + [url]))
    for p in procs:
        if p.wait() != 0:
            raise RuntimeError("download failed")
    return time.monotonic() - t0


def nginx(root):
    conf_dir = tempfile.mkdtemp(prefix="arca-bench-nginx-")
    port_probe = __import__("socket").socket()
    port_probe.bind(("127.0.0.1", 0))
    port = port_probe.getsockname()[1]
    port_probe.close()
    conf = f"""daemon off; worker_processes 2; pid {conf_dir}/nginx.pid; error_log {conf_dir}/error.log;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; client_body_temp_path {conf_dir};
  proxy_temp_path {conf_dir}; fastcgi_temp_path {conf_dir}; uwsgi_temp_path {conf_dir}; scgi_temp_path {conf_dir};
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}"""
    with open(f"{conf_dir}/nginx.conf", "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["nginx", "-c", f"{conf_dir}/nginx.conf", "-p", conf_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("HEAD", "/")
            break
        except OSError:
            time.sleep(0.05)
    return proc, f"http://127.0.0.1:{port}", conf_dir


def wrk(url, headers, connections=32, seconds=5, latency=False):
    cmd = ["wrk", "-t", "2", "-c", str(connections), "-d", f"{seconds}s"]
    if latency:
        cmd.append("--latency")
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses from {url}")
    lat = {}
    if latency:
        for p in ("50", "99"):
            m = re.search(rf"\s{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
            value, unit = float(m.group(1)), m.group(2)
            lat[p] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return rps, lat


def publisher(args):
    url, worker, count = args
    host, port = url[7:].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    body = os.urandom(1024)
    sha = hashlib.sha256(body).hexdigest()
    done = 0
    t0 = time.monotonic()
    for i in range(count):
        target = "/v1/package/version/publish?" + q(domain="bench", repository="repo", format="generic",
                                                     namespace="load", package=f"p{worker}", version=f"1.0.{i}",
                                                     asset="a.bin")
        headers = sign("POST", url + target, payload_hash=sha)
        conn.request("POST", target, body=body, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            done += 1
    return done, time.monotonic() - t0


def bulk_load(db, versions):
    """Adds `versions` Published versions of one generic package, each with one asset, to repo/bench."""
    con = sqlite3.connect(db)
    cur = con.cursor()
    domain_id, = cur.execute("SELECT id FROM domains WHERE name = 'bench'").fetchone()
    repo_id, = cur.execute("SELECT id FROM repositories WHERE name = 'repo'").fetchone()
    cur.execute("INSERT INTO packages (repository_id, format, namespace, name, origin_publish, origin_upstream) "
                "VALUES (?, 'generic', 'bench', 'scale', 'ALLOW', 'BLOCK')", (repo_id,))
    package_id = cur.lastrowid
    sha = "0" * 64
    rows = ((package_id, f"1.{i}", "Published", "rev", 1_700_000_000_000 + i, "INTERNAL", "repo") for i in range(versions))
    cur.executemany("INSERT INTO package_versions (package_id, version, status, revision, published_ms, origin_type, "
                    "origin_repository) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
    cur.execute("INSERT INTO assets (version_id, name, domain_id, size, md5, sha1, sha256, sha512) "
                "SELECT id, 'a.bin', ?, 1, 'm', 's', ?, 'x' FROM package_versions WHERE package_id = ?",
                (domain_id, sha, package_id))
    con.commit()
    con.close()


def startup_ms(binary, data_dir):
    """Process start to the first successful signed ListDomains."""
    t0 = time.monotonic()
    arca = Arca(binary, data_dir)
    while True:
        try:
            status, _ = arca.request("POST", "/v1/domains", b"{}")
            if status == 200:
                break
        except OSError:
            time.sleep(0.002)
    elapsed = (time.monotonic() - t0) * 1000
    arca.stop()
    return elapsed


def median_range(values):
    return statistics.median(values), min(values), max(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arca", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--scale-versions", type=int, default=1_000_000)
    ap.add_argument("--json", default="bench/results.json")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="arca-bench-")
    rows = []

    def row(what, arca_value, unit, reference=None, ref_name="", target=""):
        ratio = arca_value / reference if reference else None
        rows.append(dict(what=what, arca=arca_value, unit=unit, reference=reference, reference_name=ref_name,
                         ratio=ratio, target=target))
        ref = f"{reference:10.1f} ({ref_name})" if reference else " " * 10
        print(f"  {what:44s} {arca_value:10.1f} {unit:8s} {ref:24s} {'%.2fx' % ratio if ratio else '':8s} target {target}",
              flush=True)

    arca = Arca(args.arca, f"{work}/data")
    try:
        time.sleep(0.5)
        idle = rss_mib(arca.proc.pid)
        setup(arca)
        big = f"{work}/www/big.bin"
        os.makedirs(f"{work}/www")
        subprocess.run(["head", "-c", str(args.size_mib * MIB), "/dev/urandom"], stdout=open(big, "wb"), check=True)
        # nginx workers run as an unprivileged user: let them reach the file.
        for path, mode in ((work, 0o755), (f"{work}/www", 0o755), (big, 0o644)):
            os.chmod(path, mode)
        publish_file(arca, big, "1.0", "big.bin")
        get = "/v1/package/version/asset?" + q(**COORDS, version="1.0", asset="big.bin")
        ngx, ngx_url, ngx_dir = nginx(f"{work}/www")
        print(f"machine: {os.cpu_count()} cores; {args.size_mib} MiB asset; median of {args.runs} runs")
        for streams in (1, 8):
            a = [args.size_mib * streams / curl_parallel([(arca.url + get, sign("GET", arca.url + get))] * streams, streams)
                 for _ in range(args.runs)]
            n = [args.size_mib * streams / curl_parallel([(ngx_url + "/big.bin", {})] * streams, streams)
                 for _ in range(args.runs)]
            row(f"GetPackageVersionAsset {args.size_mib} MiB x{streams}", median_range(a)[0], "MiB/s",
                median_range(n)[0], "nginx", ">= 0.8x nginx")
        peak = rss_mib(arca.proc.pid, "VmHWM")
        ngx.terminate()
        ngx.wait()
        shutil.rmtree(ngx_dir, ignore_errors=True)

        describe = "/v1/package/version?" + q(**COORDS, version="1.0")
        assets = "/v1/package/version/assets?" + q(**COORDS, version="1.0")
        for name, path in (("DescribePackageVersion", describe), ("ListPackageVersionAssets", assets)):
            body = ok(arca.request("GET" if name.startswith("Describe") else "POST", path), name)
            method = "GET" if name.startswith("Describe") else "POST"
            with open(f"{work}/body.json", "wb") as f:
                f.write(body)
            base = subprocess.Popen([args.baseline, f"{work}/body.json"], stdout=subprocess.PIPE, text=True)
            base_url = re.search(r"http://\S+", base.stdout.readline()).group(0)
            headers = sign(method, arca.url + path)
            a = [wrk(arca.url + path, headers if method == "GET" else {**headers}, 32)[0] for _ in range(args.runs)] \
                if method == "GET" else [wrk_post(arca.url + path, headers) for _ in range(args.runs)]
            b = [wrk(base_url + path, {}, 32)[0] for _ in range(args.runs)]
            base.terminate()
            row(f"{name} req/s, 32 connections", median_range(a)[0], "req/s", median_range(b)[0], "axum", ">= 0.5x axum")

        with concurrent.futures.ProcessPoolExecutor(8) as pool:
            per = 250
            results = list(pool.map(publisher, [(arca.url, w, per) for w in range(8)]))
        done = sum(r[0] for r in results)
        wall = max(r[1] for r in results)
        row("PublishPackageVersion 1 KiB, 8 publishers", done / wall, "ver/s", None, "", ">= 1000/s (SQLite)")
        row("RSS idle", idle, "MiB", None, "", "< 30 MiB")
        row("RSS peak during 8 x GET", peak, "MiB", None, "", "< 100 MiB")
    finally:
        arca.stop()

    db = f"{work}/data/arca.db"
    empty = tempfile.mkdtemp(prefix="arca-bench-empty-")
    row("start-up, empty data dir", statistics.median(startup_ms(args.arca, empty) for _ in range(args.runs)), "ms",
        None, "", "< 200 ms")
    bulk_load(db, 100_000)
    row("start-up, 100k versions", statistics.median(startup_ms(args.arca, f"{work}/data") for _ in range(args.runs)),
        "ms", None, "", "< 200 ms")

    # Scale: p50/p99 of DescribePackageVersion with 1k vs N versions in one repository.
    lat = {}
    for versions, data in ((1000, f"{work}/scale-small"), (args.scale_versions, f"{work}/scale-big")):
        arca = Arca(args.arca, data)
        setup(arca)
        arca.stop()
        bulk_load(f"{data}/arca.db", versions)
        arca = Arca(args.arca, data)
        path = "/v1/package/version?" + q(domain="bench", repository="repo", format="generic", namespace="bench",
                                          package="scale", version=f"1.{versions // 2}")
        ok(arca.request("GET", path), "describe scale")
        _, lat[versions] = wrk(arca.url + path, sign("GET", arca.url + path), 4, 5, latency=True)
        arca.stop()
    small, bigv = lat[1000], lat[args.scale_versions]
    row(f"Describe p50, {args.scale_versions} vs 1k versions", bigv["50"], "ms", small["50"], "1k", "")
    row(f"Describe p99, {args.scale_versions} vs 1k versions", bigv["99"], "ms", small["99"], "1k", "p99 grows < 2x")

    with open(args.json, "w") as f:
        json.dump(dict(machine=dict(cores=os.cpu_count()), runs=args.runs, size_mib=args.size_mib, rows=rows), f, indent=1)
    print(f"written {args.json}")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(empty, ignore_errors=True)


def wrk_post(url, headers):
    """wrk with an empty-bodied POST (ListPackageVersionAssets), via a generated Lua script."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write('wrk.method = "POST"\n')
    script.close()
    cmd = ["wrk", "-t", "2", "-c", "32", "-d", "5s", "-s", script.name]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    os.unlink(script.name)
    if "Non-2xx" in out:
        raise RuntimeError("wrk saw error responses: " + out)
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


if __name__ == "__main__":
    main()
