#!/usr/bin/env bash
# End-to-end check of npm through upstreams, as the README sets it up: a second `arca serve` on
# 127.0.0.1 plays the public registry (the real npm publishes `left-pad` into it); Arca's
# `public:npmjs` points at it (TOML, with a token, as for a private registry). In Arca, `npm-store`
# holds the connection, `team` lists it as upstream and `app` lists `team`. The real npm publishes the
# private `@acme/kit` (depending on left-pad) into `app` and installs it into a fresh project with an
# empty cache: left-pad comes through app → team → npm-store → the stand-in. The AWS CLI then shows
# the retained version in `app` and `npm-store` (origin EXTERNAL, public:npmjs) and not in `team`.
# Then the README's two package-group commands lock @acme: npm publish of an @acme package into app
# is refused (into releases accepted), and an @acme package of the public registry does not install.
# With the stand-in stopped, a second fresh install still works.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; NPM (default: npm on PATH).
set -euo pipefail

E2E_NAME=npm-upstreams
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPM=${NPM:-$(command -v npm)} || fail "npm not found on PATH"
command -v node >/dev/null || fail "node not found on PATH"
REAL_HOME=$HOME

# --- 0. the stand-in public registry: another Arca, with fixed credentials -------------------------
PUB_KEY=AKIAPUBLICREGISTRY01 PUB_SECRET=stand-in-public-registry-secret PUB_ACCOUNT=111111111111
mkdir -p "$TMP/pub"
: >"$TMP/pub.out" # before the job starts: the loop below reads it at once (see start_server)
(
    cd "$TMP/pub"
    unset ARCA_CONFIG ARCA_LISTEN ARCA_DATA_DIR ARCA_PUBLIC_URL ARCA_EXTERNAL_CONNECTIONS
    exec "$ARCA_BIN" serve --listen 127.0.0.1:0 --data-dir "$TMP/pub/data" --access-key-id "$PUB_KEY" \
        --secret-access-key "$PUB_SECRET" --account-id "$PUB_ACCOUNT"
) >"$TMP/pub.out" 2>&1 &
PUB_PID=$!
stop_pub() { kill -TERM "$PUB_PID" 2>/dev/null || true; wait "$PUB_PID" 2>/dev/null || true; }
trap 'stop_pub; e2e_cleanup' EXIT
PUB_URL=
for _ in $(seq 300); do
    PUB_URL=$(sed -n 's|^Arca is listening on \(http://127\.0\.0\.1:[0-9][0-9]*\)$|\1|p' "$TMP/pub.out" | head -n1)
    [[ -n $PUB_URL ]] && break
    kill -0 "$PUB_PID" 2>/dev/null || { cat "$TMP/pub.out" >&2; fail "the stand-in exited"; }
    sleep 0.1
done
[[ -n $PUB_URL ]] || fail "the stand-in did not start"
pub_aws() {
    AWS_ACCESS_KEY_ID=$PUB_KEY AWS_SECRET_ACCESS_KEY=$PUB_SECRET AWS_DEFAULT_REGION=us-east-1 \
        AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null HOME="$TMP/pub" \
        "$REAL_AWS" --endpoint-url "$PUB_URL" "$@"
}
pub_aws codeartifact create-domain --domain pub >/dev/null
pub_aws codeartifact create-repository --domain pub --repository public >/dev/null
PUB_TOKEN=$(pub_aws codeartifact get-authorization-token --domain pub --query authorizationToken --output text)
PUB_REGISTRY="$PUB_URL/npm/d/pub-$PUB_ACCOUNT/public/"

while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -i '^npm_config_' || true)
export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false \
    npm_config_cache="$TMP/npm-cache" npm_config_loglevel=warn
printf 'registry=%s\n//%s:_authToken=%s\n' "$PUB_REGISTRY" "${PUB_REGISTRY#http://}" "$PUB_TOKEN" >"$TMP/pub.npmrc"
mkdir -p "$TMP/left-pad" "$TMP/kit" "$TMP/app" "$TMP/app2"
echo '{"name": "left-pad", "version": "1.3.0", "main": "index.js", "license": "WTFPL"}' >"$TMP/left-pad/package.json"
echo 'module.exports = (s, n) => String(s).padStart(n);' >"$TMP/left-pad/index.js"
(cd "$TMP/left-pad" && "$NPM" publish --userconfig "$TMP/pub.npmrc" >"$TMP/pub-publish.out" 2>&1) ||
    { cat "$TMP/pub-publish.out" >&2; fail "npm publish into the stand-in failed"; }
say "stand-in registry at $PUB_REGISTRY has left-pad@1.3.0"

# --- 1. Arca with public:npmjs pointing at the stand-in --------------------------------------------
cat >"$TMP/arca.toml" <<TOML
[external_connections."public:npmjs"]
url = "$PUB_REGISTRY"
token = "$PUB_TOKEN"
metadata_ttl = "0s"
TOML
start_server --config "$TMP/arca.toml"
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository npm-store >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository npm-store \
    --external-connection public:npmjs >"$TMP/assoc.json"
json_check "$TMP/assoc.json" 'd["repository"]["externalConnections"] == [{"externalConnectionName": "public:npmjs", "packageFormat": "npm", "status": "Available"}]'
aws "${E[@]}" codeartifact create-repository --domain acme --repository team --upstreams repositoryName=npm-store >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository app --upstreams repositoryName=team >/dev/null
aws "${E[@]}" codeartifact login --tool npm --domain acme --repository app >/dev/null
ENDPOINT="$URL/npm/d/acme-$ACCOUNT/app/"

# --- 2. a private package on top, installed with its public dependency ------------------------------
echo '{"name": "@acme/kit", "version": "1.0.0", "main": "index.js", "dependencies": {"left-pad": "^1.0.0"}}' >"$TMP/kit/package.json"
echo 'module.exports = () => require("left-pad")("kit", 5);' >"$TMP/kit/index.js"
(cd "$TMP/kit" && "$NPM" publish >"$TMP/publish.out" 2>&1) || { cat "$TMP/publish.out" >&2; fail "npm publish @acme/kit failed"; }
install() { # install DIR: a fresh project, an empty cache
    echo '{"name": "app", "version": "0.0.0", "private": true}' >"$1/package.json"
    (cd "$1" && "$NPM" install @acme/kit --cache "$1/.cache" >"$1/install.out" 2>&1) ||
        { cat "$1/install.out" >&2; fail "npm install @acme/kit in $1 failed"; }
    [[ $(cd "$1" && node -e 'console.log(JSON.stringify(require("@acme/kit")()))') == '"  kit"' ]] ||
        fail "the installed code does not run in $1"
    cmp -s "$TMP/left-pad/index.js" "$1/node_modules/left-pad/index.js" || fail "installed left-pad differs"
    grep -q "\"resolved\": \"${ENDPOINT}left-pad/-/left-pad-1.3.0.tgz\"" "$1/package-lock.json" ||
        fail "package-lock.json does not resolve left-pad at Arca's $ENDPOINT"
}
install "$TMP/app"
say "npm install @acme/kit pulled left-pad@1.3.0 through app → team → npm-store → the stand-in"

# --- 3. what the API shows: retained in app and npm-store, not in team -----------------------------
for repo in app npm-store; do
    aws "${E[@]}" codeartifact describe-package-version --domain acme --repository "$repo" --format npm \
        --package left-pad --package-version 1.3.0 >"$TMP/describe-$repo.json"
    json_check "$TMP/describe-$repo.json" 'd["packageVersion"]["origin"] == {"domainEntryPoint": {"externalConnectionName": "public:npmjs"}, "originType": "EXTERNAL"} and d["packageVersion"]["status"] == "Published"'
done
if aws "${E[@]}" codeartifact describe-package-version --domain acme --repository team --format npm \
    --package left-pad --package-version 1.3.0 >/dev/null 2>&1; then
    fail "left-pad was retained in the middle repository"
fi
aws "${E[@]}" codeartifact describe-package --domain acme --repository app --format npm --package left-pad >"$TMP/pkg.json"
json_check "$TMP/pkg.json" 'd["package"]["originConfiguration"]["restrictions"] == {"publish": "BLOCK", "upstream": "ALLOW"}'
say "retained in app and npm-store with origin EXTERNAL public:npmjs, not in team"

# --- 3b. a package group locks the @acme namespace (the README's two commands) ---------------------
# The public registry also has an @acme package: with EXTERNAL_UPSTREAM BLOCK it must not come in.
mkdir -p "$TMP/typo" "$TMP/other" "$TMP/app3"
echo '{"name": "@acme/typo", "version": "1.0.0", "main": "index.js"}' >"$TMP/typo/package.json"
echo 'module.exports = "public";' >"$TMP/typo/index.js"
(cd "$TMP/typo" && "$NPM" publish --userconfig "$TMP/pub.npmrc" >"$TMP/pub-typo.out" 2>&1) ||
    { cat "$TMP/pub-typo.out" >&2; fail "npm publish @acme/typo into the stand-in failed"; }
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases >/dev/null
aws "${E[@]}" codeartifact create-package-group --domain acme --package-group '/npm/acme/*' >/dev/null
aws "${E[@]}" codeartifact update-package-group-origin-configuration --domain acme --package-group '/npm/acme/*' \
    --restrictions PUBLISH=ALLOW_SPECIFIC_REPOSITORIES,EXTERNAL_UPSTREAM=BLOCK \
    --add-allowed-repositories repositoryName=releases,originRestrictionType=PUBLISH >"$TMP/lock.json"
json_check "$TMP/lock.json" 'd["allowedRepositoryUpdates"] == {"PUBLISH": {"ADDED": ["releases"]}}
    and d["packageGroup"]["originConfiguration"]["restrictions"]["EXTERNAL_UPSTREAM"]["effectiveMode"] == "BLOCK"'
echo '{"name": "@acme/other", "version": "1.0.0", "main": "index.js"}' >"$TMP/other/package.json"
echo 'module.exports = 1;' >"$TMP/other/index.js"
if (cd "$TMP/other" && "$NPM" publish >"$TMP/publish-other.out" 2>&1); then
    fail "npm publish of @acme/other into app succeeded although only releases may publish @acme"
fi
grep -q '/npm/acme/\*' "$TMP/publish-other.out" || { cat "$TMP/publish-other.out" >&2; fail "the refusal does not name the group"; }
(cd "$TMP/other" && "$NPM" publish --registry "$URL/npm/d/acme-$ACCOUNT/releases/" \
    "--//${URL#http://}/npm/d/acme-$ACCOUNT/releases/:_authToken=$(aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text)" \
    >"$TMP/publish-releases.out" 2>&1) || { cat "$TMP/publish-releases.out" >&2; fail "npm publish @acme/other into releases failed"; }
say "npm publish of @acme/other: refused in app (the message names /npm/acme/*), accepted in releases"
echo '{"name": "app3", "version": "0.0.0", "private": true}' >"$TMP/app3/package.json"
if (cd "$TMP/app3" && "$NPM" install @acme/typo --cache "$TMP/app3/.cache" >"$TMP/app3/install.out" 2>&1); then
    fail "npm install @acme/typo came from the public registry although EXTERNAL_UPSTREAM is BLOCK"
fi
grep -q "404" "$TMP/app3/install.out" || { cat "$TMP/app3/install.out" >&2; fail "npm install @acme/typo: no 404"; }
if aws "${E[@]}" codeartifact describe-package-version --domain acme --repository npm-store --format npm \
    --namespace acme --package typo --package-version 1.0.0 >/dev/null 2>&1; then
    fail "@acme/typo was retained from the public registry"
fi
aws "${E[@]}" codeartifact get-associated-package-group --domain acme --format npm --namespace acme \
    --package typo >"$TMP/assoc-group.json"
json_check "$TMP/assoc-group.json" 'd["packageGroup"]["pattern"] == "/npm/acme/*" and d["associationType"] == "STRONG"'
say "npm install @acme/typo gets nothing from the public registry (EXTERNAL_UPSTREAM BLOCK)"

# --- 4. the stand-in goes away: what was kept still installs ---------------------------------------
stop_pub
install "$TMP/app2"
say "with the stand-in stopped, a fresh install still works"
HOME=$REAL_HOME
