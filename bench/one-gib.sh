#!/usr/bin/env bash
# Publishes and downloads one large generic asset against a release build with `curl --aws-sigv4`,
# printing throughput and the server's peak RSS. Usage: bench/one-gib.sh [SIZE_MIB]  (default 1024)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE_MIB=${1:-1024}
BIN=${CARGO_TARGET_DIR:-target}/release/arca
PY=${ARCA_VENV:-.venv}/bin/python; [ -x "$PY" ] || PY=python3   # needs botocore (./scripts/test installs it)
[ -x "$BIN" ] || cargo build --release -p arca
WORK=$(mktemp -d); trap 'kill $PID 2>/dev/null || true; rm -rf "$WORK"' EXIT
export ARCA_ACCESS_KEY_ID=AKIABENCH ARCA_SECRET_ACCESS_KEY=benchsecret ARCA_ACCOUNT_ID=111122223333
"$BIN" serve --listen 127.0.0.1:0 --data-dir "$WORK/data" > "$WORK/server.log" 2>&1 & PID=$!
for _ in $(seq 50); do grep -q 'listening on' "$WORK/server.log" && break; sleep 0.1; done
URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$WORK/server.log" | head -1)
SIG=(--aws-sigv4 "aws:amz:us-east-1:codeartifact" --user "$ARCA_ACCESS_KEY_ID:$ARCA_SECRET_ACCESS_KEY")
rss() { awk '/VmHWM/{print $2/1024 " MiB"}' /proc/$PID/status; }
curl -sf "${SIG[@]}" -X POST "$URL/v1/domain?domain=bench" -o /dev/null
curl -sf "${SIG[@]}" -X POST "$URL/v1/repository?domain=bench&repository=big" -o /dev/null
echo "idle peak RSS: $(rss)"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom > "$WORK/big.bin"
SHA=$(sha256sum "$WORK/big.bin" | cut -c1-64)
Q="domain=bench&repository=big&format=generic&namespace=bench&package=big&version=1.0"
T0=$(date +%s.%N)
# curl's own --aws-sigv4 hashes an empty body for -T uploads, so sign like the AWS CLI does (the signed
# x-amz-content-sha256 is the payload hash) and let curl stream the file.
PUB="$URL/v1/package/version/publish?$Q&asset=big.bin"
mapfile -t HDRS < <("$PY" bench/sign.py POST "$PUB" "$SHA")
curl -sf "${HDRS[@]/#/-H}" -X POST -H "Content-Type: application/octet-stream" -T "$WORK/big.bin" "$PUB" -o /dev/null
T1=$(date +%s.%N)
echo "upload  ${SIZE_MIB} MiB: $(echo "$SIZE_MIB / ($T1 - $T0)" | bc -l | cut -c1-6) MiB/s; peak RSS so far $(rss)"
T0=$(date +%s.%N)
# curl 7.88's --aws-sigv4 does not sort multi-parameter query strings, so botocore signs here too.
GET="$URL/v1/package/version/asset?$Q&asset=big.bin"
mapfile -t HDRS < <("$PY" bench/sign.py GET "$GET")
curl -sS --fail-with-body "${HDRS[@]/#/-H}" "$GET" -o "$WORK/down.bin" || { cat "$WORK/down.bin"; exit 1; }
T1=$(date +%s.%N)
echo "download ${SIZE_MIB} MiB: $(echo "$SIZE_MIB / ($T1 - $T0)" | bc -l | cut -c1-6) MiB/s; peak RSS so far $(rss)"
cmp "$WORK/big.bin" "$WORK/down.bin" && echo "bytes identical"
