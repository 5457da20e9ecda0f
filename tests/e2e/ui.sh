#!/usr/bin/env bash
# The web UI in a real browser: Debian's chromium (apt-get installed when missing and root) driven by
# playwright-core (pinned, npm-installed under ~/.cache/arca-e2e, never into the repository) through
# tests/e2e/ui_browser.js. Seeds a server with the AWS CLI (a domain, a repository with an upstream,
# a generic asset) and an npm publish whose readme tries XSS, then clicks from sign-in to the asset's
# download and checks the bytes, the XSS readme, a cross-site POST, and sign-out. Screenshots of the
# main pages go to ARCA_E2E_UI_OUT (default target/e2e-ui/).
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; ARCA_E2E_CACHE (default
# ${XDG_CACHE_HOME:-~/.cache}/arca-e2e); CHROMIUM (default /usr/bin/chromium).
set -euo pipefail

E2E_NAME=ui
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PLAYWRIGHT_VERSION=1.65.1
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
OUT=$(abs "${ARCA_E2E_UI_OUT:-$ROOT/target/e2e-ui}")

# --- 1. the browser and its driver (before start_server points HOME elsewhere) ----------------------
if [[ ! -x $CHROMIUM ]]; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing chromium (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >"$TMP/apt.log" 2>&1 ||
            { tail -20 "$TMP/apt.log" >&2; fail "apt-get install chromium failed"; }
    else
        fail "chromium is missing: run 'apt-get install -y chromium' as root"
    fi
fi
command -v node >/dev/null || fail "node is missing: it runs the browser script"
CACHE=$(abs "${ARCA_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/arca-e2e}")
PW_DIR="$CACHE/playwright-core-$PLAYWRIGHT_VERSION"
PLAYWRIGHT_CORE="$PW_DIR/node_modules/playwright-core"
if [[ ! -f $PLAYWRIGHT_CORE/package.json ]]; then
    command -v npm >/dev/null || fail "npm is missing: it installs playwright-core"
    say "installing playwright-core@$PLAYWRIGHT_VERSION (npm install --prefix $PW_DIR)"
    mkdir -p "$PW_DIR"
    npm install --no-audit --no-fund --prefix "$PW_DIR" "playwright-core@$PLAYWRIGHT_VERSION" >"$TMP/npm.log" 2>&1 ||
        { tail -20 "$TMP/npm.log" >&2; fail "npm install playwright-core failed"; }
fi
say "browser: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"), playwright-core $PLAYWRIGHT_VERSION"

# --- 2. the server, which prints the UI's address ----------------------------------------------------
start_server
UI_URL=$(sed -n 's|^Web UI: \(http://.*/ui/\)$|\1|p' "$TMP/server.out" | head -n1)
[[ $UI_URL == "$URL/ui/" ]] || { cat "$TMP/server.out" >&2; fail "the server did not print 'Web UI: $URL/ui/'"; }

# --- 3. content: acme/base <- acme/releases, generic kit 1.0.0, npm xss with a hostile readme ------------
aws_ca() { "$REAL_AWS" --endpoint-url "$URL" codeartifact "$@" >>"$TMP/aws.log"; }
aws_ca create-domain --domain acme
aws_ca create-repository --domain acme --repository base
aws_ca create-repository --domain acme --repository releases --upstreams repositoryName=base
head -c 3000 /dev/urandom >"$TMP/kit.bin"
SHA=$(sha256sum "$TMP/kit.bin" | cut -d' ' -f1)
aws_ca publish-package-version --domain acme --repository releases --format generic --namespace tools \
    --package kit --package-version 1.0.0 --asset-name kit.bin --asset-content "$TMP/kit.bin" --asset-sha256 "$SHA"
TOKEN=$("$REAL_AWS" --endpoint-url "$URL" codeartifact get-authorization-token --domain acme \
    --query authorizationToken --output text)
"$PY" - "$URL/npm/d/acme-$ACCOUNT/releases/xss" "$TOKEN" <<'PYEOF' || fail "npm publish of the XSS package failed"
import base64, hashlib, io, json, sys, tarfile, urllib.request
url, token = sys.argv[1:]
manifest = {"name": "xss", "version": "1.0.0", "description": "<img src=x onerror=alert('description')>"}
readme = ("# Hello\n\n<script>window.__xss = 1; alert('script')</script>\n\n"
          "[click me](javascript:alert('link'))\n\n<img src=x onerror=\"window.__xss=2;alert('img')\">\n\n"
          "<a href=\"javascript:alert('raw')\" onclick=\"alert('click')\">raw link</a>\n")
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz") as t:
    for name, data in [("package/package.json", json.dumps(manifest)), ("package/README.md", readme)]:
        b = data.encode()
        info = tarfile.TarInfo(name); info.size = len(b)
        t.addfile(info, io.BytesIO(b))
tgz = buf.getvalue()
v = dict(manifest, _id="xss@1.0.0", dist={
    "integrity": "sha512-" + base64.b64encode(hashlib.sha512(tgz).digest()).decode(),
    "shasum": hashlib.sha1(tgz).hexdigest(), "tarball": url + "/-/xss-1.0.0.tgz"})
doc = {"_id": "xss", "name": "xss", "dist-tags": {"latest": "1.0.0"}, "versions": {"1.0.0": v},
       "_attachments": {"xss-1.0.0.tgz": {"content_type": "application/octet-stream",
                        "data": base64.b64encode(tgz).decode(), "length": len(tgz)}}}
req = urllib.request.Request(url, data=json.dumps(doc).encode(), method="PUT",
    headers={"Content-Type": "application/json", "Authorization": "Bearer " + token})
urllib.request.urlopen(req).read()
PYEOF
say "seeded acme/releases (kit 1.0.0, xss 1.0.0)"

# --- 4. the browser --------------------------------------------------------------------------------
rm -rf "$OUT"
mkdir -p "$OUT"
UI_URL=$UI_URL OUT=$OUT ACCOUNT=$ACCOUNT ASSET_FILE="$TMP/kit.bin" ASSET_SHA256=$SHA \
    PLAYWRIGHT_CORE=$PLAYWRIGHT_CORE CHROMIUM=$CHROMIUM \
    node "$ROOT/tests/e2e/ui_browser.js" || fail "the browser checks failed"
say "screenshots in $OUT: $(cd "$OUT" && echo *.png)"
say "PASS"
