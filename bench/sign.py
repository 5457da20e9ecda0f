#!/usr/bin/env python3
"""Prints curl -H arguments (one per line) signing a request with botocore's SigV4 signer.

Usage: sign.py METHOD URL [x-amz-content-sha256]. With a content hash, botocore uses it as the payload
hash (what the AWS CLI does for PublishPackageVersion); curl then streams the body with -T.
"""
import os
import sys

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

method, url = sys.argv[1], sys.argv[2]
headers = {"x-amz-content-sha256": sys.argv[3]} if len(sys.argv) > 3 else {}
req = AWSRequest(method=method, url=url, headers=headers, data=b"")
creds = Credentials(os.environ["ARCA_ACCESS_KEY_ID"], os.environ["ARCA_SECRET_ACCESS_KEY"])
SigV4Auth(creds, "codeartifact", os.environ.get("AWS_DEFAULT_REGION", "us-east-1")).add_auth(req)
for k in ("Authorization", "X-Amz-Date", "x-amz-content-sha256"):
    if k in req.headers:
        print(f"{k}: {req.headers[k]}")
