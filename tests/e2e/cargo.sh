#!/usr/bin/env bash
# End-to-end check of the real cargo against Arca's sparse registry, set up the way the README says:
# a `[registries.arca]` block whose credential provider runs the (pinned, unmodified) AWS CLI's
# get-authorization-token (`cargo:token-from-stdout`), in a CARGO_HOME of its own (never ~/.cargo).
#
#  1. cargo publishes kit-core, then kit_app, which renames kit-core (`core2`), makes it optional
#     behind a `dep:` feature, has it (renamed alike) as a build dependency too, depends on a
#     crates.io crate (pubcrate, from the stand-in of 5.) and declares rust-version; the
#     index line of kit_app is compared field by field with what was published.
#  2. A consumer builds against them; a lockfile made through Arca, then `cargo build --locked` in a
#     fresh CARGO_HOME (the 401 → token path again) and a second fetch that revalidates (304).
#  3. cargo yank / yank --undo (the index marks the version; the locked build still works), cargo
#     search, cargo owner --list.
#  4. The API trio shows what cargo published (format cargo, no namespace, one .crate asset with its
#     hashes, metadata from the manifest, the dependencies).
#  5. The consumer also depends on a crates.io crate, resolved with `[source.crates-io] replace-with`
#     through Arca, an upstream repository and its `public:crates-io` connection to a stand-in sparse
#     index (`python3 -m http.server` over a static tree; its config.json `dl` points elsewhere, with
#     markers, as crates.io's does): the line passes through byte for byte and the .crate is
#     retained with origin EXTERNAL.
#
# Nothing is fetched from crates.io. Everything lives in a temporary directory.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; CARGO (default: the toolchain's).
set -euo pipefail

E2E_NAME=cargo
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The toolchain's own binaries: rustup's proxies would look for their toolchains under $HOME, which
# start_server points elsewhere.
if command -v rustup >/dev/null; then
    CARGO=${CARGO:-$(rustup which cargo)}
    RUSTC=${RUSTC:-$(rustup which rustc)}
else
    CARGO=${CARGO:-$(command -v cargo)} || fail "cargo not found on PATH"
    RUSTC=${RUSTC:-$(command -v rustc)} || fail "rustc not found on PATH"
fi
export RUSTC
# Keep cargo's settings to ours.
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -E '^CARGO_' || true)

# --- a stand-in public registry: a static sparse index (python3 -m http.server) with one crate -----
PUB="$TMP/public"
mkdir -p "$TMP/pubcrate/src" "$PUB/pu/bc" "$PUB/files/pu/bc/pubcrate"
cat >"$TMP/pubcrate/Cargo.toml" <<'EOF'
[package]
name = "pubcrate"
version = "1.0.0"
edition = "2021"
description = "A public crate"
license = "MIT"
EOF
echo 'pub fn public() -> &'"'"'static str { "public" }' >"$TMP/pubcrate/src/lib.rs"
(cd "$TMP/pubcrate" && CARGO_HOME="$TMP/pkg-home" CARGO_TARGET_DIR="$TMP/pkg-target" "$CARGO" package --no-verify -q) ||
    fail "cargo package of the public crate failed"
pubcrate=$(find "$TMP/pkg-target/package" -name pubcrate-1.0.0.crate | head -n1)
# Files elsewhere than Arca's layout, where config.json's `dl` says (as static.crates.io for crates.io).
cp "$pubcrate" "$PUB/files/pu/bc/pubcrate/pubcrate-1.0.0.crate"
PUB_LINE=$(printf '{"name":"pubcrate","vers":"1.0.0","deps":[],"cksum":"%s","features":{},"yanked":false,"links":null}' \
    "$(sha256sum <"$pubcrate" | cut -d' ' -f1)")
echo "$PUB_LINE" >"$PUB/pu/bc/pubcrate"
pick_public_port
printf '{"dl":"http://127.0.0.1:%s/files/{lowerprefix}/{crate}/{crate}-{version}.crate","api":"http://127.0.0.1:%s"}\n' \
    "$PUB_PORT" "$PUB_PORT" >"$PUB/config.json"
start_public "$PUB" pu/bc/pubcrate

start_server --external-connection "public:crates-io=$PUBLIC/"
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
# The README's typical setup: one repository holds the connection, releases uses it as an upstream.
aws "${E[@]}" codeartifact create-repository --domain acme --repository crates-store >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository crates-store \
    --external-connection public:crates-io >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases \
    --upstreams repositoryName=crates-store >/dev/null
ENDPOINT=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository releases \
    --format cargo --query repositoryEndpoint --output text)
[[ $ENDPOINT == "$URL/cargo/d/acme-$ACCOUNT/releases/" ]] || fail "unexpected endpoint $ENDPOINT"

# The README's block, with this server's URL.
cargo_home() {
    mkdir -p "$1"
    cat >"$1/config.toml" <<EOF
[registries.arca]
index = "sparse+$ENDPOINT"
credential-provider = "cargo:token-from-stdout $REAL_AWS --endpoint-url $URL codeartifact get-authorization-token --domain acme --query authorizationToken --output text"

[source.crates-io]
replace-with = "arca"
EOF
}
cargo_home "$TMP/cargo-home"
export CARGO_HOME="$TMP/cargo-home" CARGO_TARGET_DIR="$TMP/target" CARGO_TERM_COLOR=never \
    CARGO_HTTP_TIMEOUT=30 CARGO_NET_RETRY=0
c() { "$CARGO" "$@"; }
token() { aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text; }
# get PATH [CURL ARGS...]: GET below the endpoint with the token as cargo sends it (raw).
get() {
    local path=$1
    shift
    curl -sS -H "Authorization: $(token)" "$@" "$ENDPOINT$path"
}

# --- 0. the 401 cargo retries on ---------------------------------------------------------------------
code=$(curl -sS -o "$TMP/401.json" -D "$TMP/401.h" -w '%{http_code}' "${ENDPOINT}config.json")
[[ $code == 401 ]] || fail "config.json without a token answered $code, not 401"
grep -qi '^www-authenticate: Cargo login_url=' "$TMP/401.h" || { cat "$TMP/401.h" >&2; fail "no WWW-Authenticate: Cargo"; }
json_check "$TMP/401.json" '"errors" in d and d["errors"][0]["detail"]'
get config.json >"$TMP/config.json"
json_check "$TMP/config.json" "d == {'dl': '${ENDPOINT}api/v1/crates', 'api': '${ENDPOINT%/}', 'auth-required': True}"
say "config.json: 401 + WWW-Authenticate: Cargo without a token, auth-required with it"

# --- 1. publish ----------------------------------------------------------------------------------------
mkdir -p "$TMP/kit-core/src" "$TMP/kit_app/src" "$TMP/app/src"
cat >"$TMP/kit-core/Cargo.toml" <<'EOF'
[package]
name = "kit-core"
version = "0.1.0"
edition = "2021"
description = "The Acme kit core"
license = "MIT"
homepage = "https://kit.acme.test"
repository = "https://git.acme.test/kit"
readme = "README.md"

[features]
default = ["std"]
std = []
EOF
echo 'pub fn hello() -> &'"'"'static str { "kit-core" }' >"$TMP/kit-core/src/lib.rs"
printf '# kit-core\n\nThe core of the Acme kit.\n' >"$TMP/kit-core/README.md"
cat >"$TMP/kit_app/Cargo.toml" <<'EOF'
[package]
name = "kit_app"
version = "0.2.0"
edition = "2021"
rust-version = "1.70"
description = "The Acme kit app"
license = "MIT OR Apache-2.0"
build = "build.rs"

[features]
default = ["core"]
core = ["dep:core2"]

[dependencies]
core2 = { package = "kit-core", version = "0.1", registry = "arca", optional = true }
pubcrate = "1"      # a crates.io dependency (through replace-with while cargo verifies the package)

[build-dependencies]
core2 = { package = "kit-core", version = "0.1.0", registry = "arca", default-features = false }
EOF
echo 'fn main() { assert_eq!(core2::hello(), "kit-core"); }' >"$TMP/kit_app/build.rs"
cat >"$TMP/kit_app/src/lib.rs" <<'EOF'
#[cfg(feature = "core")]
pub fn app() -> String { format!("app+{}", core2::hello()) }
EOF
for crate in kit-core kit_app; do
    (cd "$TMP/$crate" && c publish --registry arca) >"$TMP/publish-$crate.log" 2>&1 ||
        { cat "$TMP/publish-$crate.log" >&2; fail "cargo publish of $crate failed"; }
    grep -q "Published $crate v" "$TMP/publish-$crate.log" ||
        { cat "$TMP/publish-$crate.log" >&2; fail "cargo did not report $crate as published"; }
done
say "cargo published kit-core 0.1.0 and kit_app 0.2.0 (each verified by building against Arca)"

# The index line of kit_app, field by field.
get ki/t_/kit_app -D "$TMP/index.h" >"$TMP/kit_app.index"
[[ $(wc -l <"$TMP/kit_app.index") == 1 ]] || { cat "$TMP/kit_app.index" >&2; fail "kit_app's index file is not one line"; }
# What cargo packaged (target/package/, or its tmp-crate/ in newer cargos).
packaged=$(find "$CARGO_TARGET_DIR/package" -name kit_app-0.2.0.crate -path '*package/kit_app-0.2.0.crate' -o -name kit_app-0.2.0.crate -path '*tmp-crate*' | head -n1)
[[ -n $packaged ]] || fail "cargo's packaged kit_app-0.2.0.crate not found"
cksum=$(sha256sum <"$packaged" | cut -d' ' -f1)
"$PY" - "$TMP/kit_app.index" "$cksum" <<'EOF' || fail "kit_app's index line is not what was published"
import json, sys
line = json.loads(open(sys.argv[1]).read())
deps = sorted(line.pop("deps"), key=lambda d: (d["kind"], d["name"]))
assert deps == [
    {"name": "core2", "req": "^0.1.0", "features": [], "optional": False, "default_features": False,
     "target": None, "kind": "build", "registry": None, "package": "kit-core"},
    {"name": "core2", "req": "^0.1", "features": [], "optional": True, "default_features": True,
     "target": None, "kind": "normal", "registry": None, "package": "kit-core"},
    {"name": "pubcrate", "req": "^1", "features": [], "optional": False, "default_features": True,
     "target": None, "kind": "normal", "registry": "https://github.com/rust-lang/crates.io-index", "package": None},
], deps
pubtime = line.pop("pubtime")
assert len(pubtime) == 20 and pubtime.endswith("Z"), pubtime
assert line == {"name": "kit_app", "vers": "0.2.0", "cksum": sys.argv[2], "features": {"default": ["core"]},
                "yanked": False, "links": None, "v": 2, "features2": {"core": ["dep:core2"]},
                "rust_version": "1.70"}, line
EOF
etag=$(sed -n 's/^[Ee][Tt][Aa][Gg]: *\(.*\)\r$/\1/p' "$TMP/index.h")
[[ -n $etag ]] || fail "the index file has no ETag"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $(token)" -H "If-None-Match: $etag" "${ENDPOINT}ki/t_/kit_app")
[[ $code == 304 ]] || fail "revalidating the index file with its ETag answered $code, not 304"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H "Authorization: $(token)" "${ENDPOINT}no/ne/nonexistent")
[[ $code == 404 ]] || fail "an unknown crate's index file answered $code, not 404"
say "index line of kit_app matches the publish (renamed, optional, build dep, a crates.io dep, features2, rust_version, cksum); ETag → 304; unknown → 404"

# --- 2. a consumer ---------------------------------------------------------------------------------------
cat >"$TMP/app/Cargo.toml" <<'EOF'
[package]
name = "app"
version = "0.0.1"
edition = "2021"
publish = false

[dependencies]
kit_app = { version = "0.2", registry = "arca" }
pubcrate = "1"      # a crates.io dependency: through Arca (replace-with) and public:crates-io
EOF
echo 'fn main() { println!("{}+{}", kit_app::app(), pubcrate::public()); }' >"$TMP/app/src/main.rs"
(cd "$TMP/app" && c generate-lockfile && c run -q) >"$TMP/app.out" 2>"$TMP/app.err" ||
    { cat "$TMP/app.err" >&2; fail "the consumer did not build"; }
[[ $(cat "$TMP/app.out") == "app+kit-core+public" ]] || fail "the consumer printed '$(cat "$TMP/app.out")'"
grep -q 'source = "registry+https://github.com/rust-lang/crates.io-index"' "$TMP/app/Cargo.lock" ||
    { cat "$TMP/app/Cargo.lock" >&2; fail "Cargo.lock does not keep crates.io as pubcrate's source"; }
[[ $(get pu/bc/pubcrate) == "$PUB_LINE" ]] || fail "the stand-in's index line did not pass through byte for byte"
aws "${E[@]}" codeartifact describe-package-version --domain acme --repository releases --format cargo \
    --package pubcrate --package-version 1.0.0 >"$TMP/pub.json"
json_check "$TMP/pub.json" 'd["packageVersion"]["origin"]["originType"] == "EXTERNAL" and d["packageVersion"]["origin"]["domainEntryPoint"]["externalConnectionName"] == "public:crates-io"'
say "pubcrate (a crates.io dependency) came through [source.crates-io] replace-with, releases → crates-store → public:crates-io: its line byte for byte, the .crate retained (EXTERNAL)"
grep -q "source = \"sparse+$ENDPOINT\"" "$TMP/app/Cargo.lock" || { cat "$TMP/app/Cargo.lock" >&2; fail "Cargo.lock does not name Arca's index"; }
# A fresh CARGO_HOME (no index cache, no downloaded crates): 401 → token again, then a locked build.
cargo_home "$TMP/cargo-home2"
rm -rf "$CARGO_TARGET_DIR"
(cd "$TMP/app" && CARGO_HOME="$TMP/cargo-home2" c build --locked -q) 2>"$TMP/locked.err" ||
    { cat "$TMP/locked.err" >&2; fail "cargo build --locked in a fresh CARGO_HOME failed"; }
count_304() { sed 's/\x1b\[[0-9;]*m//g' "$TMP/server.log" | grep -c 'kit_app status=304' || true; }
before=$(count_304)
(cd "$TMP/app" && CARGO_HOME="$TMP/cargo-home2" c update --dry-run) >/dev/null 2>"$TMP/update.err" ||
    { cat "$TMP/update.err" >&2; fail "cargo update --dry-run failed"; }
after=$(count_304)
((after > before)) || fail "the second index fetch of kit_app got no 304"
say "consumer built and ran; locked build in a fresh CARGO_HOME; the second fetch revalidated ($((after - before)) × 304)"

# --- 3. yank, search, owners -------------------------------------------------------------------------------
c yank --registry arca kit_app@0.2.0 >/dev/null 2>"$TMP/yank.err" || { cat "$TMP/yank.err" >&2; fail "cargo yank failed"; }
get ki/t_/kit_app >"$TMP/yanked.index"
json_check "$TMP/yanked.index" 'd["yanked"] is True'
rm -rf "$CARGO_TARGET_DIR"
(cd "$TMP/app" && CARGO_HOME="$TMP/cargo-home2" c build --locked -q) 2>"$TMP/locked2.err" ||
    { cat "$TMP/locked2.err" >&2; fail "a locked build of a yanked version failed"; }
c yank --undo --registry arca kit_app@0.2.0 >/dev/null 2>"$TMP/unyank.err" || { cat "$TMP/unyank.err" >&2; fail "cargo yank --undo failed"; }
get ki/t_/kit_app >"$TMP/unyanked.index"
json_check "$TMP/unyanked.index" 'd["yanked"] is False'
say "yank marks the index line (a locked build still works), yank --undo clears it"

c search --registry arca kit >"$TMP/search.out" 2>"$TMP/search.err" || { cat "$TMP/search.err" >&2; fail "cargo search failed"; }
grep -q '^kit-core = "0.1.0" *# The Acme kit core' "$TMP/search.out" || { cat "$TMP/search.out" >&2; fail "search did not find kit-core"; }
grep -q '^kit_app = "0.2.0" *# The Acme kit app' "$TMP/search.out" || { cat "$TMP/search.out" >&2; fail "search did not find kit_app"; }
# What releases retained from upstreams is the repository's too (pubcrate, fetched by the consumer's build).
c search --registry arca pubcrate >"$TMP/search-pub.out" 2>"$TMP/search.err" || { cat "$TMP/search.err" >&2; fail "cargo search failed"; }
grep -q '^pubcrate = "1.0.0" *# A public crate' "$TMP/search-pub.out" || { cat "$TMP/search-pub.out" >&2; fail "search did not find the retained pubcrate"; }
c owner --list --registry arca kit-core >"$TMP/owners.out" 2>&1 || { cat "$TMP/owners.out" >&2; fail "cargo owner --list failed"; }
grep -q "$ACCOUNT" "$TMP/owners.out" || { cat "$TMP/owners.out" >&2; fail "cargo owner --list does not name the administrator"; }
say "cargo search finds both crates with their descriptions, and pubcrate retained from public:crates-io; cargo owner --list names the administrator account"

# --- 4. the API trio -----------------------------------------------------------------------------------------
P=(--domain acme --repository releases --format cargo)
aws "${E[@]}" codeartifact describe-package-version "${P[@]}" --package kit_app --package-version 0.2.0 >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["format"] == "cargo" and "namespace" not in d["packageVersion"]'
json_check "$TMP/describe.json" 'd["packageVersion"]["displayName"] == "kit_app" and d["packageVersion"]["status"] == "Published"'
json_check "$TMP/describe.json" 'd["packageVersion"]["summary"] == "The Acme kit app" and d["packageVersion"]["licenses"] == [{"name": "MIT OR Apache-2.0"}]'
aws "${E[@]}" codeartifact describe-package-version "${P[@]}" --package kit-core --package-version 0.1.0 >"$TMP/describe-core.json"
json_check "$TMP/describe-core.json" 'd["packageVersion"]["homePage"] == "https://kit.acme.test" and d["packageVersion"]["sourceCodeRepository"] == "https://git.acme.test/kit"'
aws "${E[@]}" codeartifact list-package-version-assets "${P[@]}" --package kit_app --package-version 0.2.0 >"$TMP/assets.json"
json_check "$TMP/assets.json" "[a['name'] for a in d['assets']] == ['kit_app-0.2.0.crate'] and d['assets'][0]['hashes']['SHA-256'] == '$cksum' and sorted(d['assets'][0]['hashes']) == ['MD5', 'SHA-1', 'SHA-256', 'SHA-512']"
aws "${E[@]}" codeartifact get-package-version-asset "${P[@]}" --package kit_app --package-version 0.2.0 \
    --asset kit_app-0.2.0.crate "$TMP/asset.crate" >/dev/null
[[ $(sha256sum <"$TMP/asset.crate" | cut -d' ' -f1) == "$cksum" ]] || fail "GetPackageVersionAsset is not the published .crate"
aws "${E[@]}" codeartifact list-package-version-dependencies "${P[@]}" --package kit_app --package-version 0.2.0 >"$TMP/deps.json"
json_check "$TMP/deps.json" 'sorted((x["package"], x["dependencyType"], x["versionRequirement"]) for x in d["dependencies"]) == [("kit-core", "build", "^0.1.0"), ("kit-core", "normal", "^0.1"), ("pubcrate", "normal", "^1")]'
aws "${E[@]}" codeartifact get-package-version-readme "${P[@]}" --package kit-core --package-version 0.1.0 >"$TMP/readme.json"
json_check "$TMP/readme.json" '"The core of the Acme kit." in d["readme"]'
say "the API trio shows both crates (cargo, no namespace, one .crate with four hashes, metadata, dependencies, readme)"
say "PASS"
