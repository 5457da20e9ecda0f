#!/usr/bin/env bash
# End-to-end check of npm against Arca, set up the way the README says: `aws codeartifact login
# --tool npm` (the pinned, unmodified AWS CLI) writes ~/.npmrc, then the real npm publishes an
# unscoped package and a scoped one depending on it, installs the scoped one into a fresh project
# with an empty cache, and `npm view`s them. The AWS CLI then checks what the API shows:
# DescribePackageVersion (format npm, namespace acme, Published, metadata from package.json) and
# ListPackageVersionAssets/GetPackageVersionAsset (package.tgz, byte-identical to `npm pack`).
# Then dist-tags, unpublish of a version and of the whole package (both under the packument's
# `_rev`) and deprecate.
#
# Everything (server data, HOME, .npmrc, npm caches) lives in a temporary directory.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; NPM (default: npm on PATH).
set -euo pipefail

E2E_NAME=npm
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPM=${NPM:-$(command -v npm)} || fail "npm not found on PATH"
command -v node >/dev/null || fail "node not found on PATH"

start_server
isolate_npm
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }

# --- 1. login --------------------------------------------------------------------------------------
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases >/dev/null
aws "${E[@]}" codeartifact login --tool npm --domain acme --repository releases | tee "$TMP/login.out"
ENDPOINT="$URL/npm/d/acme-$ACCOUNT/releases/"
grep -q "Successfully configured npm to use AWS CodeArtifact repository $ENDPOINT" "$TMP/login.out" ||
    fail "login did not report the endpoint $ENDPOINT"
NPMRC="$HOME/.npmrc"
grep -qx "registry=$ENDPOINT" "$NPMRC" || { cat "$NPMRC" >&2; fail "~/.npmrc has no registry=$ENDPOINT"; }
grep -Eq "^//${ENDPOINT#http://}:_authToken=[A-Za-z0-9._-]+$" "$NPMRC" ||
    { cat "$NPMRC" >&2; fail "~/.npmrc has no _authToken line for the endpoint"; }
say "login wrote registry and _authToken for $ENDPOINT into $NPMRC"
"$NPM" ping >/dev/null 2>&1 || fail "npm ping failed"

# --- 2. publish ------------------------------------------------------------------------------------
mkdir -p "$TMP/widget" "$TMP/kit" "$TMP/packed" "$TMP/app"
cat >"$TMP/widget/package.json" <<'EOF'
{"name": "widget", "version": "1.0.0", "description": "A widget", "main": "index.js", "license": "MIT",
 "homepage": "https://widget.acme.test", "repository": {"type": "git", "url": "git+https://git.acme.test/widget.git"}}
EOF
echo 'module.exports = () => "widget";' >"$TMP/widget/index.js"
cat >"$TMP/kit/package.json" <<'EOF'
{"name": "@acme/kit", "version": "2.0.0", "description": "The Acme kit", "main": "index.js", "license": "Apache-2.0",
 "bin": {"acme-kit": "cli.js"}, "dependencies": {"widget": "^1.0.0"}}
EOF
echo 'module.exports = () => "kit+" + require("widget")();' >"$TMP/kit/index.js"
printf '#!/usr/bin/env node\nconsole.log(require("./index.js")());\n' >"$TMP/kit/cli.js"
printf '# Acme kit\n\nEverything Acme needs.\n' >"$TMP/kit/README.md"
for pkg in widget kit; do
    (cd "$TMP/$pkg" && "$NPM" pack --pack-destination "$TMP/packed" >/dev/null && "$NPM" publish >"$TMP/publish-$pkg.out" 2>&1) ||
        { cat "$TMP/publish-$pkg.out" >&2; fail "npm publish of $pkg failed"; }
done
WIDGET_TGZ="$TMP/packed/widget-1.0.0.tgz" KIT_TGZ="$TMP/packed/acme-kit-2.0.0.tgz"
[[ -f $WIDGET_TGZ && -f $KIT_TGZ ]] || fail "npm pack did not produce the expected tarballs: $(ls "$TMP/packed")"
say "published widget@1.0.0 and @acme/kit@2.0.0"
if (cd "$TMP/widget" && "$NPM" publish >"$TMP/republish.out" 2>&1); then
    fail "publishing widget@1.0.0 twice succeeded"
fi
grep -q "1.0.0" "$TMP/republish.out" || { cat "$TMP/republish.out" >&2; fail "republish: unexpected message"; }

# --- 3. install in a fresh project with an empty cache ---------------------------------------------
echo '{"name": "app", "version": "0.0.0", "private": true}' >"$TMP/app/package.json"
(cd "$TMP/app" && "$NPM" install @acme/kit --cache "$TMP/empty-cache" >"$TMP/install.out" 2>&1) ||
    { cat "$TMP/install.out" >&2; fail "npm install @acme/kit failed"; }
cmp -s "$TMP/kit/index.js" "$TMP/app/node_modules/@acme/kit/index.js" || fail "installed @acme/kit/index.js differs"
cmp -s "$TMP/widget/index.js" "$TMP/app/node_modules/widget/index.js" || fail "installed widget/index.js differs"
[[ $(cd "$TMP/app" && node -e 'console.log(require("@acme/kit")())') == "kit+widget" ]] || fail "the installed code does not run"
[[ $("$TMP/app/node_modules/.bin/acme-kit") == "kit+widget" ]] || fail "the installed bin does not run"
grep -q "\"resolved\": \"${ENDPOINT}@acme/kit/-/kit-2.0.0.tgz\"" "$TMP/app/package-lock.json" ||
    fail "package-lock.json does not resolve @acme/kit at $ENDPOINT"
grep -q "\"resolved\": \"${ENDPOINT}widget/-/widget-1.0.0.tgz\"" "$TMP/app/package-lock.json" ||
    fail "package-lock.json does not resolve widget at $ENDPOINT"
say "npm install @acme/kit: both packages installed, code and bin run, lockfile points at Arca"

# --- 4. npm view -----------------------------------------------------------------------------------
[[ $("$NPM" view @acme/kit version) == 2.0.0 ]] || fail "npm view @acme/kit version"
[[ $("$NPM" view @acme/kit dependencies.widget) == "^1.0.0" ]] || fail "npm view @acme/kit dependencies"
[[ $("$NPM" view widget dist.shasum) == "$(sha1sum "$WIDGET_TGZ" | cut -c1-40)" ]] || fail "npm view widget dist.shasum"
[[ $("$NPM" view widget description) == "A widget" ]] || fail "npm view widget description"
[[ $("$NPM" view widget dist-tags.latest) == 1.0.0 ]] || fail "npm view widget dist-tags.latest"
say "npm view: versions, dependencies, shasum, description, dist-tags"

# A bad token is refused (401), and npm says so.
echo "//${ENDPOINT#http://}:_authToken=not-a-token" >"$TMP/bad.npmrc"
echo "registry=$ENDPOINT" >>"$TMP/bad.npmrc"
if npm_config_userconfig="$TMP/bad.npmrc" "$NPM" view widget >"$TMP/bad.out" 2>&1; then
    fail "npm view with a bad token succeeded"
fi
grep -q "401" "$TMP/bad.out" || { cat "$TMP/bad.out" >&2; fail "npm view with a bad token: no 401"; }
say "a bad token gets 401"

# --- 5. what the API shows -------------------------------------------------------------------------
KIT=(--domain acme --repository releases --format npm --namespace acme --package kit --package-version 2.0.0)
aws "${E[@]}" codeartifact describe-package-version "${KIT[@]}" >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["format"] == "npm" and d["packageVersion"]["namespace"] == "acme"
    and d["packageVersion"]["packageName"] == "kit" and d["packageVersion"]["status"] == "Published"
    and d["packageVersion"]["displayName"] == "@acme/kit" and d["packageVersion"]["summary"] == "The Acme kit"
    and d["packageVersion"]["licenses"] == [{"name": "Apache-2.0"}]
    and d["packageVersion"]["origin"]["originType"] == "INTERNAL"'
WIDGET=(--domain acme --repository releases --format npm --package widget --package-version 1.0.0)
aws "${E[@]}" codeartifact describe-package-version "${WIDGET[@]}" >"$TMP/describe-widget.json"
json_check "$TMP/describe-widget.json" '"namespace" not in d["packageVersion"]
    and d["packageVersion"]["homePage"] == "https://widget.acme.test"
    and d["packageVersion"]["sourceCodeRepository"] == "git+https://git.acme.test/widget.git"'
for which in KIT WIDGET; do
    declare -n coords=$which
    tgz=$([[ $which == KIT ]] && echo "$KIT_TGZ" || echo "$WIDGET_TGZ")
    aws "${E[@]}" codeartifact list-package-version-assets "${coords[@]}" >"$TMP/assets.json"
    SHA256=$(sha256sum "$tgz" | cut -c1-64) json_check "$TMP/assets.json" \
        '[a["name"] for a in d["assets"]] == ["package.tgz"] and d["assets"][0]["hashes"]["SHA-256"] == __import__("os").environ["SHA256"]'
    aws "${E[@]}" codeartifact get-package-version-asset "${coords[@]}" --asset package.tgz "$TMP/downloaded.tgz" >/dev/null
    cmp -s "$tgz" "$TMP/downloaded.tgz" || fail "$which: package.tgz differs from the npm pack output"
    unset -n coords
done
aws "${E[@]}" codeartifact list-package-version-dependencies "${KIT[@]}" >"$TMP/deps.json"
json_check "$TMP/deps.json" 'd["dependencies"] == [{"package": "widget", "dependencyType": "regular", "versionRequirement": "^1.0.0"}]
    and d["namespace"] == "acme" and d["package"] == "kit" and "nextToken" not in d'
aws "${E[@]}" codeartifact get-package-version-readme "${KIT[@]}" >"$TMP/readme.json"
json_check "$TMP/readme.json" 'd["readme"].startswith("# Acme kit") and d["version"] == "2.0.0"'
say "API: npm/acme/kit 2.0.0 Published with package.json metadata, dependencies and README; package.tgz byte-identical to npm pack"

# --- 6. dist-tag ls, unpublish ----------------------------------------------------------------------
[[ $("$NPM" dist-tag ls widget) == "latest: 1.0.0" ]] || fail "npm dist-tag ls widget"
sed -i 's/"version": "1.0.0"/"version": "1.0.1"/' "$TMP/widget/package.json"
(cd "$TMP/widget" && "$NPM" publish >"$TMP/publish-101.out" 2>&1) || { cat "$TMP/publish-101.out" >&2; fail "npm publish widget@1.0.1"; }
[[ $("$NPM" view widget dist-tags.latest) == 1.0.1 ]] || fail "latest did not move to 1.0.1"
"$NPM" unpublish widget@1.0.1 >"$TMP/unpublish.out" 2>&1 || { cat "$TMP/unpublish.out" >&2; fail "npm unpublish widget@1.0.1"; }
versions=$("$NPM" view widget versions --json | "$PY" -c 'import json, sys; v = json.load(sys.stdin); print(" ".join(v if isinstance(v, list) else [v]))')
[[ $versions == 1.0.0 ]] || fail "npm view widget versions after unpublish: $versions"
if aws "${E[@]}" codeartifact describe-package-version "${WIDGET[@]:0:8}" --package-version 1.0.1 >/dev/null 2>"$TMP/gone.err"; then
    fail "widget 1.0.1 still exists after npm unpublish"
fi
grep -q ResourceNotFoundException "$TMP/gone.err" || { cat "$TMP/gone.err" >&2; fail "describe after unpublish: not a 404"; }
say "npm dist-tag ls; npm unpublish widget@1.0.1 deletes the version (the API agrees)"

# --- 7. dist-tags and deprecate ---------------------------------------------------------------------
sed -i 's/"version": "1.0.1"/"version": "2.0.0-beta.1"/' "$TMP/widget/package.json"
(cd "$TMP/widget" && "$NPM" publish --tag beta >"$TMP/publish-beta.out" 2>&1) ||
    { cat "$TMP/publish-beta.out" >&2; fail "npm publish --tag beta"; }
[[ $("$NPM" view widget dist-tags.beta) == 2.0.0-beta.1 ]] || fail "npm publish --tag beta did not tag 2.0.0-beta.1"
[[ $("$NPM" view widget dist-tags.latest) == 1.0.0 ]] || fail "npm publish --tag beta moved latest"
"$NPM" dist-tag add widget@1.0.0 stable >"$TMP/tag-add.out" 2>&1 || { cat "$TMP/tag-add.out" >&2; fail "npm dist-tag add"; }
[[ $("$NPM" dist-tag ls widget) == $'beta: 2.0.0-beta.1\nlatest: 1.0.0\nstable: 1.0.0' ]] ||
    fail "npm dist-tag ls after add: $("$NPM" dist-tag ls widget)"
"$NPM" dist-tag rm widget stable >"$TMP/tag-rm.out" 2>&1 || { cat "$TMP/tag-rm.out" >&2; fail "npm dist-tag rm"; }
[[ $("$NPM" dist-tag ls widget) == $'beta: 2.0.0-beta.1\nlatest: 1.0.0' ]] ||
    fail "npm dist-tag ls after rm: $("$NPM" dist-tag ls widget)"
# A fresh install follows `latest`, not the newer beta.
(cd "$TMP/app" && "$NPM" install widget --cache "$TMP/empty-cache2" >"$TMP/install-latest.out" 2>&1) ||
    { cat "$TMP/install-latest.out" >&2; fail "npm install widget"; }
grep -q '"version": "1.0.0"' "$TMP/app/node_modules/widget/package.json" || fail "npm install widget did not pick latest"
say "npm publish --tag beta, npm dist-tag add/ls/rm; install follows latest"

"$NPM" deprecate widget@1.0.0 "use widget 2" >"$TMP/deprecate.out" 2>&1 || { cat "$TMP/deprecate.out" >&2; fail "npm deprecate"; }
[[ $("$NPM" view widget@1.0.0 deprecated) == "use widget 2" ]] || fail "npm view deprecated after npm deprecate"
[[ -z $("$NPM" view widget@2.0.0-beta.1 deprecated) ]] || fail "npm deprecate widget@1.0.0 deprecated the beta too"
mkdir -p "$TMP/app2" && echo '{"name": "app2", "version": "0.0.0", "private": true}' >"$TMP/app2/package.json"
(cd "$TMP/app2" && "$NPM" install widget@1.0.0 --cache "$TMP/empty-cache3" >"$TMP/install-deprecated.out" 2>&1) ||
    { cat "$TMP/install-deprecated.out" >&2; fail "npm install of a deprecated version"; }
grep -q "use widget 2" "$TMP/install-deprecated.out" || { cat "$TMP/install-deprecated.out" >&2; fail "npm install did not warn about the deprecation"; }
"$NPM" deprecate widget@1.0.0 "" >"$TMP/undeprecate.out" 2>&1 || { cat "$TMP/undeprecate.out" >&2; fail "npm deprecate ''"; }
[[ -z $("$NPM" view widget@1.0.0 deprecated) ]] || fail "npm deprecate '' did not un-deprecate"
say "npm deprecate sets, shows (view and install warning) and clears the message"

# --- 8. unpublish the whole package -----------------------------------------------------------------
# npm sends back the `_rev` it read (a stale or missing one would be a 409).
"$NPM" unpublish @acme/kit --force >"$TMP/unpublish-all.out" 2>&1 || { cat "$TMP/unpublish-all.out" >&2; fail "npm unpublish @acme/kit --force"; }
if "$NPM" view @acme/kit >"$TMP/view-gone.out" 2>&1; then
    fail "npm view @acme/kit succeeded after npm unpublish --force"
fi
grep -q "E404" "$TMP/view-gone.out" || { cat "$TMP/view-gone.out" >&2; fail "npm view after unpublish --force: no 404"; }
[[ $("$NPM" view widget dist-tags.latest) == 1.0.0 ]] || fail "unpublishing @acme/kit touched widget"
say "npm unpublish @acme/kit --force deletes the package (under its current _rev)"

stop_server
say "PASS"
