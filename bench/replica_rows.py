"""PostgreSQL + S3 (issue 5): DescribePackageVersion requests/s and 1 KiB publishes/s with one
replica and with two (load split across both, summed), as docs/deploy.md sets replicas up: one
fresh schema on the local PostgreSQL, one bucket on a local S3-protocol server, shared secrets. The
SQLite + filesystem figures of the same run (or of the previous results) are the reference.

The S3 stand-in (`--s3`): `s3s-fs` (default; a Rust S3 server over a directory, crates.io
`s3s-fs` 0.14.1, installed on first use with `cargo install` under ~/.cache/arca-bench) or `moto`
(moto_server from the venv: one Python process, which bounds the publish figure)."""
import hashlib
import http.client
import os
import subprocess
import sys
import uuid
from concurrent.futures import ThreadPoolExecutor

from api_rows import DESCRIBE_ROW, PUBLISH_ROW
from common import CACHE, TOKEN_SECRET, Arca, free_port, ok, publish_load, q, sign, stop, wait_http, wrk

S3S_FS = "0.14.1"  # the newest that builds with Rust 1.95


def psql(server, sql):
    env = dict(os.environ, PGOPTIONS="-c client_min_messages=warning")
    subprocess.run(["psql", server, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql], check=True, env=env,
                   stdout=subprocess.DEVNULL)


def start_moto(work):
    port = free_port()
    moto = os.path.join(os.path.dirname(sys.executable), "moto_server")
    log = open(f"{work}/moto.log", "w")
    proc = subprocess.Popen([moto, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, proc=proc)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("PUT", "/arca-bench")  # moto does not check signatures: a plain CreateBucket
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"moto: CreateBucket answered {resp.status}")
    except BaseException:
        stop(proc)
        raise
    return proc, url


def ensure_s3s_fs():
    root = f"{CACHE}/s3s-fs-{S3S_FS}"
    binary = f"{root}/bin/s3s-fs"
    if not os.path.exists(binary):
        subprocess.run(["cargo", "install", "s3s-fs", "--version", S3S_FS, "--locked", "--features", "binary",
                        "--root", root], check=True)
    return binary


def start_s3s_fs(work):
    """s3s-fs over a fresh directory with the bucket `arca-bench` (a bucket is a directory)."""
    binary = ensure_s3s_fs()
    os.makedirs(f"{work}/s3/arca-bench")
    port = free_port()
    log = open(f"{work}/s3s.log", "w")
    proc = subprocess.Popen([binary, "--host", "127.0.0.1", "--port", str(port), "--access-key", "testing",
                             "--secret-key", "testing", f"{work}/s3"], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, proc=proc)
    except BaseException:
        stop(proc)
        raise
    return proc, url


def replica_rows(table, args, work, previous):
    schema = f"arca_bench_{uuid.uuid4().hex[:12]}"
    psql(args.postgres_url, f"CREATE SCHEMA {schema}")
    moto, s3 = None, None
    replicas = []
    try:
        moto, s3 = start_s3s_fs(work) if args.s3 == "s3s-fs" else start_moto(work)
        sep = "&" if "?" in args.postgres_url else "?"
        env = dict(ARCA_DATABASE_URL=f"{args.postgres_url}{sep}options=-c%20search_path%3D{schema}",
                   ARCA_BLOB_STORE="s3://arca-bench/arca", ARCA_S3_ENDPOINT=s3, ARCA_S3_REGION="us-east-1",
                   ARCA_S3_ACCESS_KEY_ID="testing", ARCA_S3_SECRET_ACCESS_KEY="testing",
                   ARCA_TOKEN_SECRET=TOKEN_SECRET)
        for i in range(2):
            replicas.append(Arca(args.arca, f"{work}/replica-{i}", env=env))
        first = replicas[0]
        first.create("bench", "repo")
        body = os.urandom(1024)
        path = "/v1/package/version/publish?" + q(domain="bench", repository="repo", format="generic",
                                                  namespace="bench", package="big", version="1.0", asset="a.bin")
        ok(first.request("POST", path, body, hashlib.sha256(body).hexdigest()), "publish 1.0")
        describe = "/v1/package/version?" + q(domain="bench", repository="repo", format="generic", namespace="bench",
                                              package="big", version="1.0")
        for r in replicas:  # each replica reads what the first wrote
            ok(r.request("GET", describe), "describe through a replica")
        sqlite_describe, sqlite_publish = table.find(DESCRIBE_ROW, previous), table.find(PUBLISH_ROW, previous)

        for n in (1, 2):
            used = replicas[:n]

            def one_wrk(r):  # 32 connections in all, split across the replicas
                url = r.url + describe
                return wrk(url, sign("GET", url), 32 // n, threads=2 // n)[0]
            rps = []
            for _ in range(args.runs):
                with ThreadPoolExecutor(n) as pool:
                    rps.append(sum(pool.map(one_wrk, used)))
            table.row("replicas", f"Describe req/s, PostgreSQL+S3 ({args.s3}), {n} replica{'s' * (n > 1)}", rps, "req/s",
                      sqlite_describe, "SQLite", "")
            runs = [publish_load(args.publish_load, [r.url for r in used], 8, args.publish_seconds,
                                 namespace=f"load{n}x{i}")["per_second"] for i in range(args.runs)]
            table.row("replicas", f"Publish 1 KiB/s, PostgreSQL+S3 ({args.s3}), {n} replica{'s' * (n > 1)}", runs, "ver/s",
                      sqlite_publish, "SQLite", "")
    except Exception:
        for i, r in enumerate(replicas):
            print(f"  replica {i}, last log lines:\n    " + "    ".join(r.log), flush=True)
        raise
    finally:
        for r in replicas:
            r.stop()
        if moto:
            stop(moto)
        psql(args.postgres_url, f"DROP SCHEMA IF EXISTS {schema} CASCADE")
