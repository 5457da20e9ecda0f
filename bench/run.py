#!/usr/bin/env python3
"""Arca's bench: one run, side by side with reference servers, one table of medians and ratios.

Started by bench/run (which builds the release binaries). Every figure is printed next to its target;
nothing here passes or fails. Writes the table as JSON (--json); with --only, the other groups' rows
of the previous file are kept. Only ever talks to 127.0.0.1 (and the local PostgreSQL).

Groups (--only, comma-separated; default all, in this order):
  get       GetPackageVersionAsset of one large asset, 1 and 8 streams, vs nginx sendfile; RSS idle/peak
  api       DescribePackageVersion and ListPackageVersionAssets req/s at 32 connections vs bare axum
  publish   1 KiB PublishPackageVersion versions/s, 8 publishers (the Rust client publish_load)
  startup   process start to first signed request, empty and 100k-version data dir
  scale     DescribePackageVersion latency p50/p99 with 1k vs --scale-versions versions
  npm       npm install of --packages private packages vs Verdaccio, cold and warm
  pip       pip install --target of --packages wheels vs pypiserver, cold and warm
  reads     an npm packument and a PyPI simple page of --native-versions versions, 32 connections,
            vs bare axum answering the same bytes
  replicas  Describe req/s and publishes/s on PostgreSQL + S3 (--s3: s3s-fs or moto), 1 and 2
            replicas, vs SQLite
  upstream  npm and pip install of --packages through a proxy of a stand-in registry (nginx), cold and
            warm: Arca vs Verdaccio (uplink) / devpi-server (mirror) vs straight from the stand-in,
            and the requests each made to the stand-in
"""
import argparse
import os
import shutil
import sys
import tempfile

from api_rows import scale_rows, sqlite_rows, startup_rows
from common import Table, load_previous
from native_rows import native_read_rows, npm_rows, pip_rows
from replica_rows import replica_rows
from upstream_rows import upstream_rows

GROUPS = ["get", "api", "publish", "startup", "scale", "npm", "pip", "reads", "replicas", "upstream"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--arca", required=True)
    ap.add_argument("--baseline", required=True)
    ap.add_argument("--publish-load", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", default=",".join(GROUPS), help="comma-separated groups: " + ",".join(GROUPS))
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--scale-versions", type=int, default=1_000_000)
    ap.add_argument("--publish-seconds", type=float, default=10)
    ap.add_argument("--packages", type=int, default=50)
    ap.add_argument("--native-versions", type=int, default=200)
    ap.add_argument("--postgres-url", default=os.environ.get("ARCA_TEST_POSTGRES_URL",
                                                             "postgres://root@127.0.0.1:5432/test"))
    ap.add_argument("--s3", choices=["s3s-fs", "moto"], default="s3s-fs",
                    help="the S3-protocol stand-in of the replicas group")
    ap.add_argument("--json", default="bench/results.json")
    args = ap.parse_args()
    groups = [g.strip() for g in args.only.split(",") if g.strip()]
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        ap.error(f"unknown group(s) {', '.join(unknown)}; known: {', '.join(GROUPS)}")
    groups = [g for g in GROUPS if g in groups]

    previous = load_previous(args.json)
    table = Table(args.runs)
    print(f"machine: {os.cpu_count()} cores; median (min-max) of {args.runs} runs; groups: {','.join(groups)}")
    work = tempfile.mkdtemp(prefix="arca-bench-")
    os.chmod(work, 0o755)  # nginx workers run as an unprivileged user and serve a file from under it
    steps = [("sqlite", lambda w: sqlite_rows(table, args, w, groups))] if {"get", "api", "publish"} & set(groups) else []
    steps += [(name, lambda w, rows=rows: rows(table, args, w))
              for name, rows in (("startup", startup_rows), ("scale", scale_rows), ("npm", npm_rows), ("pip", pip_rows),
                                 ("reads", native_read_rows))
              if name in groups]
    if "replicas" in groups:
        steps.append(("replicas", lambda w: replica_rows(table, args, w, previous)))
    if "upstream" in groups:
        steps.append(("upstream", lambda w: upstream_rows(table, args, w)))
    failed = []
    try:
        for name, step in steps:
            os.makedirs(f"{work}/{name}")
            try:
                step(f"{work}/{name}")
            except Exception as e:  # a broken group is reported, and the others still run
                print(f"  {name}: FAILED: {e}", flush=True)
                failed += [g for g in groups if g == name or (name == "sqlite" and g in ("get", "api", "publish"))]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # A failed group keeps its previous rows; its partial new ones are dropped.
    table.rows = [r for r in table.rows if r["group"] not in failed]
    table.save(args.json, [g for g in groups if g not in failed], previous,
               dict(cores=os.cpu_count(), size_mib=args.size_mib, packages=args.packages))
    sys.exit(1 if failed else 0)

if __name__ == "__main__":
    main()
