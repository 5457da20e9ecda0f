"""The API rows on SQLite + filesystem (issue 3): downloads vs nginx, Describe/List vs bare axum,
1 KiB publishes/s, RSS, start-up, and Describe latency at 1M versions."""
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import time
import urllib.request

from common import MIB, Arca, nginx, ok, publish_load, q, rss_mib, sign, stop, wrk

COORDS = dict(domain="bench", repository="repo", format="generic", namespace="bench", package="big")
DESCRIBE_ROW = "DescribePackageVersion req/s, 32 connections"
PUBLISH_ROW = "PublishPackageVersion 1 KiB, 8 publishers"


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


def curl_parallel(url, headers, n):
    """Downloads `url` with n curl processes at once; returns wall seconds."""
    t0 = time.monotonic()
    cmd = ["curl", "-sf", "-o", "/dev/null"] + [a for k, v in headers.items() for a in ("-H", f"{k}: {v}")]
    procs = [subprocess.Popen(cmd + [url]) for _ in range(n)]
    if any(p.wait() != 0 for p in procs):
        raise RuntimeError("download failed")
    return time.monotonic() - t0


def get_rows(table, args, work, arca, idle):
    big = f"{work}/www/big.bin"
    os.makedirs(f"{work}/www")
    subprocess.run(["head", "-c", str(args.size_mib * MIB), "/dev/urandom"], stdout=open(big, "wb"), check=True)
    # nginx workers run as an unprivileged user: let them reach the file.
    for path, mode in ((work, 0o755), (f"{work}/www", 0o755), (big, 0o644)):
        os.chmod(path, mode)
    publish_file(arca, big, "2.0", "big.bin")
    get = arca.url + "/v1/package/version/asset?" + q(**COORDS, version="2.0", asset="big.bin")
    ngx, ngx_url, ngx_dir = nginx(f"{work}/www")
    try:
        for streams in (1, 8):
            a = [args.size_mib * streams / curl_parallel(get, sign("GET", get), streams) for _ in range(args.runs)]
            n = [args.size_mib * streams / curl_parallel(ngx_url + "/big.bin", {}, streams) for _ in range(args.runs)]
            table.row("get", f"GetPackageVersionAsset {args.size_mib} MiB x{streams}", a, "MiB/s", n, "nginx",
                      ">= 0.8x nginx")
    finally:
        stop(ngx)
        shutil.rmtree(ngx_dir, ignore_errors=True)
    os.unlink(big)
    table.row("get", "RSS idle", idle, "MiB", target="< 30 MiB")
    table.row("get", "RSS peak during 8 x GET", rss_mib(arca.proc.pid, "VmHWM"), "MiB", target="< 100 MiB")


def versus_axum(table, args, work, group, name, url, method, headers, target):
    """`name` at 32 connections (median req/s and p99) against the bare axum handler answering the
    same bytes (`bench/baseline`), one after the other in the same run."""
    host, path = url.split("//", 1)[1].split("/", 1)
    req = urllib.request.Request(url, method=method, headers=headers)
    with urllib.request.urlopen(req) as resp:
        body = resp.read()
    with open(f"{work}/body", "wb") as f:
        f.write(body)
    base = subprocess.Popen([args.baseline, f"{work}/body"], stdout=subprocess.PIPE, text=True)
    try:
        base_url = re.search(r"http://\S+", base.stdout.readline()).group(0)
        a = [wrk(url, headers, 32, method=method, latency=True) for _ in range(args.runs)]
        b = [wrk(f"{base_url}/{path}", {}, 32, method=method, latency=True) for _ in range(args.runs)]
    finally:
        stop(base)
    table.row(group, f"{name} req/s, 32 connections", [r[0] for r in a], "req/s", [r[0] for r in b], "axum", target)
    table.row(group, f"{name} p99, 32 connections", [r[1]["99"] for r in a], "ms", [r[1]["99"] for r in b], "axum")


def api_rows(table, args, work, arca):
    for i in range(100):
        body = os.urandom(64)
        ok(arca.request("POST", "/v1/package/version/publish?" + q(**dict(COORDS, package="many"), version=f"1.{i}",
                                                                   asset="a.bin"), body,
                        hashlib.sha256(body).hexdigest()), "publish")
    for name, method, path, target in (
            ("DescribePackageVersion", "GET", "/v1/package/version?" + q(**COORDS, version="1.0"), ">= 0.4x axum"),
            ("ListPackageVersionAssets", "POST", "/v1/package/version/assets?" + q(**COORDS, version="1.0"),
             ">= 0.3x axum"),
            ("ListPackageVersions, 100 versions", "POST",
             "/v1/package/versions?" + q(**dict(COORDS, package="many"), **{"max-results": 100}), ">= 0.15x axum")):
        url = arca.url + path
        versus_axum(table, args, work, "api", name, url, method, sign(method, url), target)


def sqlite_rows(table, args, work, groups):
    """get, api and publish share one SQLite server; version 1.0 (1 KiB) is what Describe/List read."""
    arca = Arca(args.arca, f"{work}/data")
    try:
        time.sleep(0.5)
        idle = rss_mib(arca.proc.pid)
        arca.create("bench", "repo")
        small = f"{work}/small.bin"
        with open(small, "wb") as f:
            f.write(os.urandom(1024))
        publish_file(arca, small, "1.0", "small.bin")
        if "get" in groups:
            get_rows(table, args, work, arca, idle)
        if "api" in groups:
            api_rows(table, args, work, arca)
        if "publish" in groups:
            runs = [publish_load(args.publish_load, [arca.url], 8, args.publish_seconds, namespace=f"load{i}")
                    for i in range(args.runs)]
            table.row("publish", PUBLISH_ROW, [r["per_second"] for r in runs], "ver/s", target=">= 1500/s (SQLite)")
    finally:
        arca.stop()


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


def new_data_dir(binary, data, versions):
    arca = Arca(binary, data)
    arca.create("bench", "repo")
    arca.stop()
    if versions:
        bulk_load(f"{data}/arca.db", versions)


def startup_ms(binary, data_dir):
    """Process start to the first successful signed ListDomains."""
    t0 = time.monotonic()
    arca = Arca(binary, data_dir)
    try:
        while arca.request("POST", "/v1/domains", b"{}")[0] != 200:
            time.sleep(0.002)
        return (time.monotonic() - t0) * 1000
    finally:
        arca.stop()


def startup_rows(table, args, work):
    empty = f"{work}/startup-empty"
    os.makedirs(empty)
    table.row("startup", "start-up, empty data dir", [startup_ms(args.arca, empty) for _ in range(args.runs)], "ms",
              target="< 200 ms")
    loaded = f"{work}/startup-100k"
    new_data_dir(args.arca, loaded, 100_000)
    table.row("startup", "start-up, 100k versions", [startup_ms(args.arca, loaded) for _ in range(args.runs)], "ms",
              target="< 200 ms")


def scale_rows(table, args, work):
    """p50/p99 of DescribePackageVersion with 1k vs N versions in one repository."""
    lat = {}
    for versions in (1000, args.scale_versions):
        data = f"{work}/scale-{versions}"
        new_data_dir(args.arca, data, versions)
        arca = Arca(args.arca, data)
        try:
            path = arca.url + "/v1/package/version?" + q(domain="bench", repository="repo", format="generic",
                                                         namespace="bench", package="scale", version=f"1.{versions // 2}")
            ok(arca.request("GET", path[len(arca.url):]), "describe scale")
            lat[versions] = [wrk(path, sign("GET", path), 4, 5, latency=True)[1] for _ in range(args.runs)]
        finally:
            arca.stop()
        shutil.rmtree(data, ignore_errors=True)
    small, big = lat[1000], lat[args.scale_versions]
    for p in ("50", "99"):
        table.row("scale", f"Describe p{p}, {args.scale_versions} vs 1k versions", [r[p] for r in big], "ms",
                  [r[p] for r in small], "1k", "p99 grows < 2x" if p == "99" else "")
