#!/usr/bin/env bash
# End-to-end check of the README walk-through with the unmodified AWS CLI.
#
# Starts `arca serve` on a free port in a temporary directory, exports the credentials it prints,
# extracts the ```sh block that follows `<!-- walkthrough -->` in README.md, points it at the real
# address (127.0.0.1:8080 -> 127.0.0.1:PORT) and runs it verbatim with `set -e` in a fresh work
# directory. Then checks what the commands printed, and runs a few more CLI commands a user would
# type (an error case, list-package-versions, archive then download -> ConflictException).
#
# Environment:
#   ARCA_BIN   the server binary (default: ${CARGO_TARGET_DIR:-target}/debug/arca)
#   ARCA_VENV  virtual environment holding the pinned awscli (default: .venv); falls back to the
#              `aws` on PATH when the venv has none
#   KEEP_TMP=1 keep the temporary directory (server log, recorded CLI outputs)
set -euo pipefail

E2E_NAME=walkthrough
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
README=$(abs "${ARCA_README:-$ROOT/README.md}") # ARCA_README: only to test this script itself
cd "$ROOT"

# --- 1. the README block ---------------------------------------------------------------------------
[[ -f $README ]] || fail "README.md not found"
grep -qx '<!-- walkthrough -->' "$README" || fail "README.md has no '<!-- walkthrough -->' marker line"
# The fenced ```sh block right after the marker (blank lines between them are allowed).
awk '
    state == 0 && $0 == "<!-- walkthrough -->" { state = 1; next }
    state == 1 && /^[[:space:]]*$/ { next }
    state == 1 && $0 == "```sh" { state = 2; next }
    state == 1 { exit 3 }
    state == 2 && /^```[[:space:]]*$/ { state = 3; exit }
    state == 2 { print }
    END { if (state != 3) exit 3 }
' "$README" >"$TMP/block.sh" || fail "README.md: the line after '<!-- walkthrough -->' must open a \`\`\`sh block that is closed with \`\`\`"
[[ -s $TMP/block.sh ]] || fail "README.md: the walk-through block is empty"
grep -q '127\.0\.0\.1:8080' "$TMP/block.sh" || fail "README.md: the walk-through no longer uses http://127.0.0.1:8080; update tests/e2e/walkthrough.sh"
if grep -Eq 'amazonaws\.com|https://' "$TMP/block.sh"; then
    fail "README.md: the walk-through names a real AWS endpoint; it must only talk to 127.0.0.1:8080"
fi
for cmd in create-domain create-repository publish-package-version describe-package-version \
    list-package-version-assets get-package-version-asset; do
    grep -q "codeartifact $cmd" "$TMP/block.sh" || fail "README.md: the walk-through no longer runs 'aws codeartifact $cmd'"
done
say "README walk-through block: $(wc -l <"$TMP/block.sh") lines"

# --- 2. the server ---------------------------------------------------------------------------------
mkdir -p "$TMP/work" "$TMP/bin" "$TMP/out"
start_server

# `aws` first on PATH: a thin recorder around the venv's CLI. It refuses any call that does not go
# to this server, and keeps each command's stdout in out/NN-<subcommand>.json for the checks below.
cat >"$TMP/bin/aws" <<EOF
#!/usr/bin/env bash
set -u
n=\$(( \$(cat "$TMP/out/.count" 2>/dev/null || echo 0) + 1 ))
echo "\$n" >"$TMP/out/.count"
prev= sub=unknown endpoint=
for a in "\$@"; do
    [[ \$prev == codeartifact ]] && sub=\$a
    [[ \$prev == --endpoint-url ]] && endpoint=\$a
    prev=\$a
done
if [[ \$endpoint != "$URL" ]]; then
    echo "walkthrough recorder: refusing 'aws \$*': --endpoint-url must be $URL" >&2
    exit 99
fi
f=\$(printf '%s/out/%02d-%s.json' "$TMP" "\$n" "\$sub")
"$REAL_AWS" "\$@" >"\$f"
rc=\$?
cat "\$f"
exit \$rc
EOF
chmod +x "$TMP/bin/aws"
export PATH="$TMP/bin:$VENV/bin:$PATH"

sed "s/127\.0\.0\.1:8080/$ADDR/g" "$TMP/block.sh" >"$TMP/work/walkthrough.sh"
say "running the README walk-through against $URL with $("$REAL_AWS" --version 2>&1 | cut -d' ' -f1)"
echo "----- walk-through output -----"
set +e
(cd "$TMP/work" && bash -e -o pipefail ./walkthrough.sh) 2>&1 | tee "$TMP/walkthrough.out"
rc=${PIPESTATUS[0]}
set -e
echo "-------------------------------"
((rc == 0)) || fail "the README walk-through failed (exit $rc)"

# --- 3. what it printed ----------------------------------------------------------------------------
grep -qx identical "$TMP/walkthrough.out" || fail "the walk-through did not print 'identical'"
W="$TMP/work/widget.tar.gz"
[[ -f $W && -f $TMP/work/out.tar.gz ]] || fail "widget.tar.gz or out.tar.gz missing from the work directory"
cmp -s "$W" "$TMP/work/out.tar.gz" || fail "out.tar.gz differs from widget.tar.gz"
MD5=$(md5sum "$W" | cut -d' ' -f1) SHA1=$(sha1sum "$W" | cut -d' ' -f1) \
    SHA256=$(sha256sum "$W" | cut -d' ' -f1) SHA512=$(sha512sum "$W" | cut -d' ' -f1) \
    SIZE=$(stat -c %s "$W") ACCOUNT=$ACCOUNT \
    "$PY" - "$TMP/out" <<'EOF' || fail "the walk-through's outputs are not what the README promises"
import glob, json, os, re, sys

out = sys.argv[1]
env = os.environ
problems = []

def check(cond, msg):
    if not cond:
        problems.append(msg)

def last(sub):
    files = sorted(glob.glob(os.path.join(out, f"*-{sub}.json")))
    if not files:
        problems.append(f"'aws codeartifact {sub}' was not run")
        return None
    text = open(files[-1], encoding="utf-8").read()
    try:
        return json.loads(text)
    except ValueError as e:
        problems.append(f"{sub}: output is not JSON ({e}): {text[:200]!r}")
        return None

REV = re.compile(r"^[A-Za-z0-9+/]{43}=$")
hashes = {"MD5": env["MD5"], "SHA-1": env["SHA1"], "SHA-256": env["SHA256"], "SHA-512": env["SHA512"]}
size = int(env["SIZE"])

d = last("create-domain")
if d:
    dom = d.get("domain", {})
    check(dom.get("name") == "acme", f"create-domain: name {dom.get('name')!r}")
    check(dom.get("owner") == env["ACCOUNT"], f"create-domain: owner {dom.get('owner')!r} != {env['ACCOUNT']}")
    check(dom.get("status") == "Active", f"create-domain: status {dom.get('status')!r}")
    check(str(dom.get("arn", "")).endswith(":domain/acme"), f"create-domain: arn {dom.get('arn')!r}")
r = last("create-repository")
if r:
    repo = r.get("repository", {})
    check(repo.get("name") == "releases" and repo.get("domainName") == "acme", f"create-repository: {repo}")
p = last("publish-package-version")
if p:
    check(p.get("status") == "Published", f"publish: status {p.get('status')!r}")
    check((p.get("format"), p.get("namespace"), p.get("package"), p.get("version")) == ("generic", "tools", "widget", "1.2.3"),
          f"publish: coordinates {p}")
    check(REV.match(str(p.get("versionRevision", ""))), f"publish: versionRevision {p.get('versionRevision')!r}")
    a = p.get("asset", {})
    check(a.get("name") == "widget.tar.gz" and a.get("size") == size, f"publish: asset {a.get('name')!r} size {a.get('size')!r}")
    check(a.get("hashes") == hashes, f"publish: hashes {a.get('hashes')} != {hashes}")
dv = last("describe-package-version")
rev = None
if dv:
    v = dv.get("packageVersion", {})
    rev = v.get("revision")
    check(v.get("status") == "Published", f"describe: status {v.get('status')!r}")
    check(v.get("origin") == {"domainEntryPoint": {"repositoryName": "releases"}, "originType": "INTERNAL"},
          f"describe: origin {v.get('origin')}")
    check(isinstance(rev, str) and len(rev) == 44 and REV.match(rev), f"describe: revision {rev!r} is not 44 base64 characters")
    check((v.get("format"), v.get("namespace"), v.get("packageName"), v.get("version")) == ("generic", "tools", "widget", "1.2.3"),
          f"describe: coordinates {v}")
    check(isinstance(v.get("publishedTime"), (int, float)), f"describe: publishedTime {v.get('publishedTime')!r}")
    if p:
        check(p.get("versionRevision") == rev, "describe: revision differs from the one publish returned")
la = last("list-package-version-assets")
if la:
    assets = la.get("assets", [])
    check(len(assets) == 1, f"list assets: {len(assets)} assets")
    if assets:
        check(assets[0].get("name") == "widget.tar.gz", f"list assets: name {assets[0].get('name')!r}")
        check(assets[0].get("size") == size, f"list assets: size {assets[0].get('size')!r} != {size}")
        check(assets[0].get("hashes") == hashes, f"list assets: hashes {assets[0].get('hashes')} != {hashes}")
    check(la.get("versionRevision") == rev, "list assets: versionRevision differs from describe's revision")
    check("nextToken" not in la, "list assets: unexpected nextToken")
g = last("get-package-version-asset")
if g:
    check(g.get("assetName") == "widget.tar.gz", f"get asset: assetName {g.get('assetName')!r}")
    check(g.get("packageVersion") == "1.2.3", f"get asset: packageVersion {g.get('packageVersion')!r}")
    check(g.get("packageVersionRevision") == rev, f"get asset: packageVersionRevision {g.get('packageVersionRevision')!r}")

for m in problems:
    print(f"  - {m}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
say "walk-through outputs OK (status, origin, revision, sizes, 4 hashes, identical bytes)"

# --- 4. more commands a user would type ------------------------------------------------------------
cd "$TMP/work"
E=(--endpoint-url "$URL")
PV=(--domain acme --repository releases --format generic --namespace tools --package widget)

expect_error() { # expect_error CODE -- aws args...
    local code=$1
    shift 2
    local rc=0
    aws "$@" >"$TMP/err.stdout" 2>"$TMP/err.stderr" || rc=$?
    if ((rc != 254 && rc != 255)); then
        cat "$TMP/err.stdout" "$TMP/err.stderr" >&2
        fail "'aws ${*:3}' exited $rc, expected 254/255 ($code)"
    fi
    grep -q "$code" "$TMP/err.stderr" || {
        cat "$TMP/err.stderr" >&2
        fail "'aws ${*:3}' did not report $code"
    }
    say "as expected: ${*:3:2} -> exit $rc, $(head -c 160 "$TMP/err.stderr" | tr -s '\n' ' ')"
}

expect_error ResourceNotFoundException -- "${E[@]}" codeartifact describe-package-version "${PV[@]}" --package-version 9.9.9

aws "${E[@]}" codeartifact list-package-versions "${PV[@]}" >"$TMP/lpv.json"
json_check "$TMP/lpv.json" '[(v["version"], v["status"]) for v in d["versions"]] == [("1.2.3", "Published")] and d["package"] == "widget"'
say "list-package-versions: 1.2.3 Published"

aws "${E[@]}" codeartifact list-domains >"$TMP/ld.json"
json_check "$TMP/ld.json" '[x["name"] for x in d["domains"]] == ["acme"]'

aws "${E[@]}" codeartifact update-package-versions-status "${PV[@]}" --versions 1.2.3 --target-status Archived >"$TMP/ups.json"
json_check "$TMP/ups.json" 'd["successfulVersions"]["1.2.3"]["status"] == "Archived" and not d.get("failedVersions")'
say "update-package-versions-status: 1.2.3 Archived"

expect_error ConflictException -- "${E[@]}" codeartifact get-package-version-asset "${PV[@]}" --package-version 1.2.3 \
    --asset widget.tar.gz "$TMP/archived.bin"

aws "${E[@]}" codeartifact describe-package-version "${PV[@]}" --package-version 1.2.3 >"$TMP/dpv.json"
json_check "$TMP/dpv.json" 'd["packageVersion"]["status"] == "Archived"'

expect_error ValidationException -- "${E[@]}" codeartifact describe-package-version --domain acme --repository releases \
    --format generic --namespace tools --package 'p/q' --package-version 1.2.3

AWS_SECRET_ACCESS_KEY=wrong-secret expect_error InvalidSignatureException -- "${E[@]}" codeartifact list-domains

# --- 5. graceful stop -------------------------------------------------------------------------------
kill -TERM "$SERVER_PID"
stopped=
for _ in $(seq 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || { stopped=1; break; }
    sleep 0.1
done
[[ -n $stopped ]] || fail "the server did not stop within 10 s of SIGTERM"
src=0
wait "$SERVER_PID" || src=$?
SERVER_PID=
((src == 0)) || fail "the server exited with status $src after SIGTERM"
say "server stopped on SIGTERM (exit 0)"
say "PASS"
