#!/usr/bin/env python3
"""Write Arca's embedded copy of the CodeArtifact service model.

Reads botocore's `codeartifact/2018-09-22/service-2.json(.gz)`, removes every
`documentation` field (at any depth) and writes

    crates/arca-api-codeartifact/model/codeartifact-2018-09-22.json
    crates/arca-api-codeartifact/model/NOTICE

Everything else (metadata, operations with http/input/output/errors, shapes
with members, location, locationName, required, min/max, pattern, enum,
streaming, payload, type, ...) is kept unchanged and in the original order.

Usage:
    tools/strip-model.py                      # uses the installed botocore
    tools/strip-model.py --source PATH [--botocore-version X.Y.Z]
"""

import argparse
import gzip
import json
import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT_DIR = os.path.join(REPO, "crates", "arca-api-codeartifact", "model")
OUT_MODEL = os.path.join(OUT_DIR, "codeartifact-2018-09-22.json")
OUT_NOTICE = os.path.join(OUT_DIR, "NOTICE")
REL = os.path.join("codeartifact", "2018-09-22", "service-2.json")


def find_installed():
    import botocore  # noqa: PLC0415

    base = os.path.join(os.path.dirname(botocore.__file__), "data", REL)
    for cand in (base, base + ".gz"):
        if os.path.exists(cand):
            return cand, botocore.__version__
    sys.exit(f"cannot find {REL}(.gz) in the installed botocore")


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)


def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k != "documentation"}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


NOTICE = """\
codeartifact-2018-09-22.json

This file is derived from the AWS CodeArtifact service model shipped with
botocore {version} (file botocore/data/codeartifact/2018-09-22/service-2.json.gz),
https://github.com/boto/botocore.

botocore is Copyright Amazon.com, Inc. or its affiliates, and is licensed
under the Apache License, Version 2.0
(http://www.apache.org/licenses/LICENSE-2.0).

Modification: every "documentation" field was removed by tools/strip-model.py;
all other content (metadata, operations, shapes and their constraints) is
unchanged.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", help="path to service-2.json or service-2.json.gz")
    ap.add_argument("--botocore-version", help="botocore version of --source")
    args = ap.parse_args()

    if args.source:
        src, version = args.source, args.botocore_version or "unknown"
    else:
        src, version = find_installed()

    model = strip(load(src))
    ops = model.get("operations", {})
    if len(ops) != 48:
        print(f"warning: expected 48 operations, found {len(ops)}", file=sys.stderr)

    os.makedirs(OUT_DIR, exist_ok=True)
    with open(OUT_MODEL, "w", encoding="utf-8") as f:
        json.dump(model, f, indent=1, ensure_ascii=False)
        f.write("\n")
    with open(OUT_NOTICE, "w", encoding="utf-8") as f:
        f.write(NOTICE.format(version=version))
    print(f"wrote {OUT_MODEL} ({len(ops)} operations, {len(model.get('shapes', {}))} shapes)")
    print(f"wrote {OUT_NOTICE} (botocore {version})")


if __name__ == "__main__":
    main()
