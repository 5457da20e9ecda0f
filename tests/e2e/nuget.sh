#!/usr/bin/env bash
# End-to-end check of the real NuGet.exe (5.8, under Debian's mono) against Arca's NuGet v3 endpoint,
# set up the way the README says: `aws codeartifact login --tool nuget` with a `nuget` wrapper on PATH
# (it runs `nuget sources add` with user `aws` and the token as password).
#
#  1. Installs what is missing, failing loudly if it cannot: mono (apt-get install mono-complete, as
#     root) and NuGet.exe (npm install nuget-exe into a cache directory).
#  2. The 401 challenge NuGet needs (WWW-Authenticate: Basic on a request without credentials).
#  3. `nuget pack` builds Kit.Core 1.0.0, Kit.App 2.0.0 (depending on Kit.Core [1.0.0, )),
#     Kit.Pre 1.0.0-beta (prerelease) and Kit.Sem 1.0.0-rc.1+build.5 (SemVer 2.0); `nuget push`
#     sends each; a second push of Kit.Core is refused (409).
#  4. `nuget install Kit.App -Version 2.0.0` into an empty folder, in a fresh package cache,
#     resolves Kit.Core through Arca; the prerelease and the SemVer 2.0 version install too.
#  5. The flat container's index.json and .nuspec, a source added by hand with
#     `nuget sources add -Username -Password` instead of the login, and `nuget search`.
#  6. `nuget delete` unlists (status Unlisted, `listed: false`), and the version still installs.
#  7. The API trio shows every pushed package.
#  8. releases has an upstream, nuget-store, whose `public:nuget-org` points at a stand-in feed
#     (python3 -m http.server over a static tree: service index, flat container, a registration
#     whose catalog document has the packageHash): `nuget install Pub.Lib` restores the package
#     only the stand-in has, verified and retained in releases and nuget-store (EXTERNAL), then
#     found by `nuget search`; pushing the same version is a 409.
#
# Nothing is fetched from nuget.org. Everything lives in a temporary directory.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; NUGET_EXE (a nuget-5.8.0.exe),
# ARCA_E2E_CACHE (where NuGet.exe is installed; default ${XDG_CACHE_HOME:-~/.cache}/arca-e2e).
set -euo pipefail

E2E_NAME=nuget
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# --- 1. the client: mono and NuGet.exe (before start_server points HOME elsewhere) -----------------
if ! command -v mono >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing mono-complete (apt-get)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q mono-complete >"$TMP/apt.log" 2>&1 ||
            { tail -20 "$TMP/apt.log" >&2; fail "apt-get install mono-complete failed"; }
    else
        fail "mono is missing: run 'apt-get install -y mono-complete' as root"
    fi
fi
CACHE=$(abs "${ARCA_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/arca-e2e}")
NUGET_EXE=${NUGET_EXE:-$CACHE/nuget-exe/node_modules/nuget-exe/nuget-5.8.0.exe}
if [[ ! -f $NUGET_EXE ]]; then
    command -v npm >/dev/null || fail "npm is missing: it installs NuGet.exe (npm install nuget-exe)"
    say "installing NuGet.exe (npm install --prefix $CACHE/nuget-exe nuget-exe)"
    mkdir -p "$CACHE/nuget-exe"
    npm install --prefix "$CACHE/nuget-exe" nuget-exe >"$TMP/npm.log" 2>&1 ||
        { tail -20 "$TMP/npm.log" >&2; fail "npm install nuget-exe failed"; }
    [[ -f $NUGET_EXE ]] || fail "npm's nuget-exe has no $NUGET_EXE"
fi
# The README's two-line wrapper: `aws codeartifact login --tool nuget` runs `nuget` from PATH.
mkdir -p "$TMP/bin"
printf '#!/bin/sh\nexec mono "%s" "$@"\n' "$NUGET_EXE" >"$TMP/bin/nuget"
chmod +x "$TMP/bin/nuget"
export PATH="$TMP/bin:$PATH"

# spec DIR ID VERSION [DEPENDENCIES-XML]: `nuget pack` of a .nuspec with one content file, into $TMP/pkgs.
spec() {
    mkdir -p "$1/content"
    echo "$2 $3" >"$1/content/$2.txt"
    cat >"$1/$2.nuspec" <<EOF
<?xml version="1.0"?>
<package>
  <metadata>
    <id>$2</id>
    <version>$3</version>
    <authors>Acme</authors>
    <description>$2 does things</description>
    <license type="expression">MIT</license>
    <projectUrl>https://acme.test/$2</projectUrl>
    <dependencies>${4:-}</dependencies>
  </metadata>
  <files><file src="content/$2.txt" target="content/$2.txt" /></files>
</package>
EOF
    (cd "$1" && nuget pack "$2.nuspec" -OutputDirectory "$TMP/pkgs" -NonInteractive >"$TMP/pack-$2.out" 2>&1) ||
        { cat "$TMP/pack-$2.out" >&2; fail "nuget pack $2 $3"; }
}

# --- a stand-in nuget.org: a static feed (python3 -m http.server) with one package -----------------
# As nuget.org lays it out: the service index names the flat container and the registrations; the
# registration's catalog entry links to the catalog document that carries the packageHash.
# (HOME: NuGet.exe writes its config below it; start_server gives the later steps their own.)
HOME="$TMP/pack-home" spec "$TMP/src/pub" Pub.Lib 1.0.0
PUB="$TMP/public"
mkdir -p "$PUB/v3" "$PUB/flat/pub.lib/1.0.0" "$PUB/reg/pub.lib" "$PUB/catalog"
cp "$TMP/pkgs/Pub.Lib.1.0.0.nupkg" "$PUB/flat/pub.lib/1.0.0/pub.lib.1.0.0.nupkg"
pick_public_port
"$PY" - "$PUB" "http://127.0.0.1:$PUB_PORT/" <<'EOF'
import base64, hashlib, json, sys
root, url = sys.argv[1], sys.argv[2]
def put(path, doc):
    with open(f"{root}/{path}", "w") as f:
        json.dump(doc, f)
nupkg = open(f"{root}/flat/pub.lib/1.0.0/pub.lib.1.0.0.nupkg", "rb").read()
put("v3/index.json", {"version": "3.0.0", "resources": [
    {"@id": f"{url}flat/", "@type": "PackageBaseAddress/3.0.0"},
    {"@id": f"{url}reg/", "@type": "RegistrationsBaseUrl/3.6.0"}]})
put("flat/pub.lib/index.json", {"versions": ["1.0.0"]})
entry = {"@id": f"{url}catalog/pub.lib.1.0.0.json", "@type": "PackageDetails", "id": "Pub.Lib",
         "version": "1.0.0", "authors": "Pub", "description": "Pub.Lib does things", "listed": True,
         "published": "2020-01-01T00:00:00+00:00", "dependencyGroups": [],
         "packageContent": f"{url}flat/pub.lib/1.0.0/pub.lib.1.0.0.nupkg"}
put("catalog/pub.lib.1.0.0.json", dict(entry, packageHash=base64.b64encode(hashlib.sha512(nupkg).digest()).decode(),
                                       packageHashAlgorithm="SHA512"))
put("reg/pub.lib/index.json", {"@id": f"{url}reg/pub.lib/index.json", "count": 1, "items": [
    {"@id": f"{url}reg/pub.lib/index.json#page/1.0.0/1.0.0", "count": 1, "lower": "1.0.0", "upper": "1.0.0",
     "items": [{"@id": f"{url}reg/pub.lib/1.0.0.json", "catalogEntry": entry,
                "packageContent": entry["packageContent"]}]}]})
EOF
start_public "$PUB" v3/index.json

start_server --external-connection "public:nuget-org=$PUBLIC/v3/"
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
# The README's typical setup: one repository holds the connection, releases uses it as an upstream.
aws "${E[@]}" codeartifact create-repository --domain acme --repository nuget-store >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository nuget-store \
    --external-connection public:nuget-org >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases \
    --upstreams repositoryName=nuget-store >/dev/null
ENDPOINT=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository releases \
    --format nuget --query repositoryEndpoint --output text)
[[ $ENDPOINT == "$URL/nuget/d/acme-$ACCOUNT/releases/" ]] || fail "unexpected endpoint $ENDPOINT"
SOURCE="${ENDPOINT}v3/index.json"
# NuGet keeps its config, caches and packages below HOME (start_server's, inside $TMP).
export NUGET_PACKAGES="$TMP/nuget-packages" NUGET_HTTP_CACHE_PATH="$TMP/nuget-http-cache"

# --- 2. the challenge ---------------------------------------------------------------------------
code=$(curl -s -o /dev/null -D "$TMP/401.h" -w '%{http_code}' "$SOURCE")
[[ $code == 401 ]] || fail "the service index without credentials answered $code, not 401"
grep -qi '^www-authenticate: Basic' "$TMP/401.h" || { cat "$TMP/401.h" >&2; fail "no WWW-Authenticate: Basic"; }

aws "${E[@]}" codeartifact login --tool nuget --domain acme --repository releases >"$TMP/login.out" 2>&1 ||
    { cat "$TMP/login.out" >&2; fail "aws codeartifact login --tool nuget failed"; }
nuget sources list -NonInteractive >"$TMP/sources.out" 2>&1 || { cat "$TMP/sources.out" >&2; fail "nuget sources list"; }
grep -qF "$SOURCE" "$TMP/sources.out" || { cat "$TMP/sources.out" >&2; fail "login did not add $SOURCE"; }
say "aws codeartifact login --tool nuget added the source acme/releases"

# --- 3. pack and push -----------------------------------------------------------------------------
spec "$TMP/src/core" Kit.Core 1.0.0
spec "$TMP/src/app" Kit.App 2.0.0 '<group targetFramework="netstandard2.0"><dependency id="Kit.Core" version="1.0.0" /></group>'
spec "$TMP/src/pre" Kit.Pre 1.0.0-beta
spec "$TMP/src/sem" Kit.Sem 1.0.0-rc.1+build.5
for f in Kit.Core.1.0.0 Kit.App.2.0.0 Kit.Pre.1.0.0-beta Kit.Sem.1.0.0-rc.1; do
    nuget push "$TMP/pkgs/$f.nupkg" -Source acme/releases -NonInteractive >"$TMP/push-$f.out" 2>&1 ||
        { cat "$TMP/push-$f.out" >&2; fail "nuget push $f"; }
    grep -q 'Created' "$TMP/push-$f.out" || { cat "$TMP/push-$f.out" >&2; fail "nuget push $f: no 201"; }
done
say "nuget push: Kit.Core, Kit.App (depends on Kit.Core), Kit.Pre (prerelease), Kit.Sem (SemVer 2.0)"
if nuget push "$TMP/pkgs/Kit.Core.1.0.0.nupkg" -Source acme/releases -NonInteractive >"$TMP/push-again.out" 2>&1; then
    cat "$TMP/push-again.out" >&2
    fail "a second push of Kit.Core 1.0.0 succeeded"
fi
grep -q 'Conflict' "$TMP/push-again.out" || { cat "$TMP/push-again.out" >&2; fail "the second push was not a 409"; }
say "a second push of Kit.Core 1.0.0 is refused (409 Conflict)"

# --- 4. install into empty folders ------------------------------------------------------------------
install() { # install DIR ID VERSION [ARGS...]
    local dir=$1 id=$2 version=$3
    shift 3
    mkdir -p "$dir"
    nuget install "$id" -Version "$version" -Source acme/releases -OutputDirectory "$dir" -NonInteractive "$@" \
        >"$dir.out" 2>&1 || { cat "$dir.out" >&2; fail "nuget install $id $version"; }
}
install "$TMP/out-app" Kit.App 2.0.0
[[ -f $TMP/out-app/Kit.App.2.0.0/content/Kit.App.txt && -f $TMP/out-app/Kit.Core.1.0.0/content/Kit.Core.txt ]] ||
    { ls -R "$TMP/out-app" >&2; fail "Kit.App and its dependency Kit.Core were not installed"; }
grep -q 'Kit.App 2.0.0' "$TMP/out-app/Kit.App.2.0.0/content/Kit.App.txt" || fail "Kit.App's content differs"
say "nuget install Kit.App 2.0.0: Kit.Core 1.0.0 resolved through Arca"
install "$TMP/out-pre" Kit.Pre 1.0.0-beta -Prerelease
[[ -d $TMP/out-pre/Kit.Pre.1.0.0-beta ]] || { ls -R "$TMP/out-pre" >&2; fail "Kit.Pre 1.0.0-beta not installed"; }
install "$TMP/out-sem" Kit.Sem 1.0.0-rc.1 -Prerelease
[[ -d $TMP/out-sem/Kit.Sem.1.0.0-rc.1 ]] || { ls -R "$TMP/out-sem" >&2; fail "Kit.Sem 1.0.0-rc.1 not installed"; }
say "nuget install of a prerelease and of a SemVer 2.0 version"

# --- 5. the flat container, and a source added by hand ------------------------------------------------
TOKEN=$(aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text)
get() { curl -sf -u "aws:$TOKEN" "$ENDPOINT$1" -o "$2" || fail "GET $1"; }
get v3/package/kit.core/index.json "$TMP/flat.json"
json_check "$TMP/flat.json" 'd == {"versions": ["1.0.0"]}'
get v3/package/kit.sem/index.json "$TMP/flat-sem.json"
json_check "$TMP/flat-sem.json" 'd == {"versions": ["1.0.0-rc.1"]}'
get v3/package/kit.app/2.0.0/kit.app.nuspec "$TMP/kit.app.nuspec"
grep -q '<id>Kit.App</id>' "$TMP/kit.app.nuspec" && grep -q 'id="Kit.Core"' "$TMP/kit.app.nuspec" ||
    { cat "$TMP/kit.app.nuspec" >&2; fail "the .nuspec is not the packed one"; }
get v3/package/kit.app/2.0.0/kit.app.2.0.0.nupkg "$TMP/got.nupkg"
cmp -s "$TMP/got.nupkg" "$TMP/pkgs/Kit.App.2.0.0.nupkg" || fail "the downloaded .nupkg differs from the pushed one"
# The same source once more, by hand (as the README's first block): the login's entry makes way.
nuget sources remove -Name acme/releases -NonInteractive >/dev/null || fail "nuget sources remove"
nuget sources add -Name byhand -Source "$SOURCE" -Username aws -Password "$TOKEN" -StorePasswordInClearText \
    -NonInteractive >"$TMP/byhand.out" 2>&1 || { cat "$TMP/byhand.out" >&2; fail "nuget sources add"; }
rm -rf "$NUGET_PACKAGES" "$NUGET_HTTP_CACHE_PATH"
mkdir -p "$TMP/out-byhand"
nuget install Kit.App -Version 2.0.0 -Source byhand -OutputDirectory "$TMP/out-byhand" -NonInteractive \
    >"$TMP/out-byhand.out" 2>&1 || { cat "$TMP/out-byhand.out" >&2; fail "nuget install through a source added by hand"; }
[[ -d $TMP/out-byhand/Kit.Core.1.0.0 ]] || fail "the source added by hand did not resolve Kit.Core"
say "flat container (index.json, .nuspec, .nupkg) and a source added with -Username/-Password"

# nuget search: listed stable versions by default, prereleases with -PreRelease.
nuget search Kit -Source byhand -NonInteractive >"$TMP/search.out" 2>&1 || { cat "$TMP/search.out" >&2; fail "nuget search"; }
grep -q '^> Kit.App | 2.0.0' "$TMP/search.out" && grep -q '^> Kit.Core | 1.0.0' "$TMP/search.out" &&
    ! grep -q 'Kit.Pre' "$TMP/search.out" || { cat "$TMP/search.out" >&2; fail "nuget search Kit: unexpected hits"; }
nuget search Kit.Pre -PreRelease -Source byhand -NonInteractive >"$TMP/search-pre.out" 2>&1 ||
    { cat "$TMP/search-pre.out" >&2; fail "nuget search -PreRelease"; }
grep -q '^> Kit.Pre | 1.0.0-beta' "$TMP/search-pre.out" || { cat "$TMP/search-pre.out" >&2; fail "nuget search -PreRelease found no Kit.Pre"; }
say "nuget search: stable hits, and the prerelease with -PreRelease"

# --- 6. nuget delete unlists (still restorable); relist is the API's Published again ----------------------
nuget delete Kit.Pre 1.0.0-beta -Source byhand -NonInteractive >"$TMP/delete.out" 2>&1 ||
    { cat "$TMP/delete.out" >&2; fail "nuget delete Kit.Pre 1.0.0-beta"; }
get v3/registration/kit.pre/index.json "$TMP/reg-pre.json"
json_check "$TMP/reg-pre.json" 'd["items"][0]["items"][0]["catalogEntry"]["listed"] is False'
get v3/package/kit.pre/index.json "$TMP/flat-pre.json"
json_check "$TMP/flat-pre.json" 'd == {"versions": ["1.0.0-beta"]}'
aws "${E[@]}" codeartifact describe-package-version --domain acme --repository releases --format nuget \
    --package kit.pre --package-version 1.0.0-beta >"$TMP/describe-pre.json"
json_check "$TMP/describe-pre.json" 'd["packageVersion"]["status"] == "Unlisted"'
rm -rf "$NUGET_PACKAGES" "$NUGET_HTTP_CACHE_PATH"
mkdir -p "$TMP/out-unlisted"
nuget install Kit.Pre -Version 1.0.0-beta -Prerelease -Source byhand -OutputDirectory "$TMP/out-unlisted" \
    -NonInteractive >"$TMP/out-unlisted.out" 2>&1 || { cat "$TMP/out-unlisted.out" >&2; fail "installing an unlisted version"; }
[[ -d $TMP/out-unlisted/Kit.Pre.1.0.0-beta ]] || fail "the unlisted Kit.Pre 1.0.0-beta did not install"
aws "${E[@]}" codeartifact update-package-versions-status --domain acme --repository releases --format nuget \
    --package kit.pre --versions 1.0.0-beta --target-status Published >/dev/null
say "nuget delete: Kit.Pre 1.0.0-beta Unlisted (listed: false), still installs with -Version; Published again"

# --- 7. the API trio -----------------------------------------------------------------------------------
aws "${E[@]}" codeartifact list-packages --domain acme --repository releases --format nuget >"$TMP/packages.json"
json_check "$TMP/packages.json" 'sorted(p["package"] for p in d["packages"]) == ["kit.app", "kit.core", "kit.pre", "kit.sem"] and all(p["format"] == "nuget" and "namespace" not in p for p in d["packages"])'
for p in kit.app:2.0.0 kit.core:1.0.0 kit.pre:1.0.0-beta kit.sem:1.0.0-rc.1; do
    aws "${E[@]}" codeartifact list-package-versions --domain acme --repository releases --format nuget \
        --package "${p%%:*}" >"$TMP/versions.json"
    json_check "$TMP/versions.json" "[v['version'] for v in d['versions']] == ['${p#*:}'] and d['versions'][0]['status'] == 'Published'"
done
aws "${E[@]}" codeartifact describe-package-version --domain acme --repository releases --format nuget \
    --package kit.app --package-version 2.0.0 >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["displayName"] == "Kit.App" and d["packageVersion"]["summary"] == "Kit.App does things" and d["packageVersion"]["licenses"][0]["name"] == "MIT"'
aws "${E[@]}" codeartifact list-package-version-assets --domain acme --repository releases --format nuget \
    --package kit.sem --package-version 1.0.0-rc.1 >"$TMP/assets.json"
json_check "$TMP/assets.json" '[a["name"] for a in d["assets"]] == ["kit.sem.1.0.0-rc.1.nupkg"]'
aws "${E[@]}" codeartifact list-package-version-dependencies --domain acme --repository releases --format nuget \
    --package kit.app --package-version 2.0.0 >"$TMP/deps.json"
json_check "$TMP/deps.json" '[(x["package"], x["versionRequirement"]) for x in d["dependencies"]] == [("kit.core", "1.0.0")]'
say "the API trio shows every pushed package"

# --- 8. a package only the stand-in nuget.org has: releases → nuget-store → public:nuget-org ----------
rm -rf "$NUGET_PACKAGES" "$NUGET_HTTP_CACHE_PATH"
mkdir -p "$TMP/out-pub"
nuget install Pub.Lib -Version 1.0.0 -Source byhand -OutputDirectory "$TMP/out-pub" -NonInteractive \
    >"$TMP/out-pub.out" 2>&1 || { cat "$TMP/out-pub.out" >&2; fail "nuget install Pub.Lib through public:nuget-org"; }
cmp -s "$TMP/out-pub/Pub.Lib.1.0.0/Pub.Lib.1.0.0.nupkg" "$TMP/pkgs/Pub.Lib.1.0.0.nupkg" ||
    { ls -R "$TMP/out-pub" >&2; fail "Pub.Lib 1.0.0 did not restore as the stand-in has it"; }
for repo in releases nuget-store; do
    aws "${E[@]}" codeartifact describe-package-version --domain acme --repository $repo --format nuget \
        --package pub.lib --package-version 1.0.0 >"$TMP/pub-$repo.json"
    json_check "$TMP/pub-$repo.json" 'd["packageVersion"]["origin"]["originType"] == "EXTERNAL" and d["packageVersion"]["origin"]["domainEntryPoint"]["externalConnectionName"] == "public:nuget-org" and d["packageVersion"]["displayName"] == "Pub.Lib"'
done
nuget search Pub -Source byhand -NonInteractive >"$TMP/search-pub.out" 2>&1 || { cat "$TMP/search-pub.out" >&2; fail "nuget search Pub"; }
grep -q '^> Pub.Lib | 1.0.0' "$TMP/search-pub.out" || { cat "$TMP/search-pub.out" >&2; fail "nuget search did not find the retained Pub.Lib"; }
if nuget push "$TMP/pkgs/Pub.Lib.1.0.0.nupkg" -Source byhand -NonInteractive >"$TMP/push-pub.out" 2>&1; then
    cat "$TMP/push-pub.out" >&2
    fail "pushing Pub.Lib 1.0.0, which public:nuget-org has, succeeded"
fi
grep -q 'Conflict' "$TMP/push-pub.out" || { cat "$TMP/push-pub.out" >&2; fail "pushing Pub.Lib 1.0.0 was not a 409"; }
say "nuget install Pub.Lib 1.0.0 through public:nuget-org (verified against the catalog's packageHash), retained in releases and nuget-store (EXTERNAL), found by nuget search; pushing it is a 409"
say "PASS"
