#!/usr/bin/env bash
# End-to-end check of permissions with the real npm: two users added with `arca principal add`,
# each logged in with `aws codeartifact login --tool npm` under its own key.
# - A read-only consumer (Describe*, List*, ReadFromRepository): `npm install` works, `npm publish`
#   gets 403 and stores nothing.
# - A CI key allowed PublishPackageVersion only on `…:package/acme/releases/npm/acme/*`: publishes
#   `@acme/x`, gets 403 for `@other/y`, which is not stored.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; NPM (default: npm on PATH).
set -euo pipefail

E2E_NAME=npm-permissions
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

NPM=${NPM:-$(command -v npm)} || fail "npm not found on PATH"
command -v node >/dev/null || fail "node not found on PATH"

start_server
isolate_npm
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
ROOT_KEY=$AWS_ACCESS_KEY_ID ROOT_SECRET=$AWS_SECRET_ACCESS_KEY

# --- the root's repository and package -------------------------------------------------------------
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases >/dev/null
export npm_config_userconfig="$TMP/root.npmrc"
aws "${E[@]}" codeartifact login --tool npm --domain acme --repository releases >/dev/null
# pkg DIR NAME VERSION: a package directory with a package.json and index.js.
pkg() {
    mkdir -p "$1"
    printf '{"name": "%s", "version": "%s", "main": "index.js", "license": "MIT"}\n' "$2" "$3" >"$1/package.json"
    printf 'module.exports = "%s@%s";\n' "$2" "$3" >"$1/index.js"
}
pkg "$TMP/base" @acme/base 1.0.0
(cd "$TMP/base" && "$NPM" publish >"$TMP/publish-base.out" 2>&1) || { cat "$TMP/publish-base.out" >&2; fail "root: npm publish @acme/base"; }
say "the root published @acme/base@1.0.0"

# --- two users -------------------------------------------------------------------------------------
LOGIN='{"Effect": "Allow", "Action": ["codeartifact:GetAuthorizationToken", "codeartifact:GetRepositoryEndpoint", "sts:GetServiceBearerToken"], "Resource": "*"}'
cat >"$TMP/consumer.json" <<EOF
{"Version": "2012-10-17", "Statement": [$LOGIN,
 {"Effect": "Allow", "Action": ["codeartifact:Describe*", "codeartifact:List*", "codeartifact:ReadFromRepository"], "Resource": "*"}]}
EOF
cat >"$TMP/ci.json" <<EOF
{"Version": "2012-10-17", "Statement": [$LOGIN,
 {"Effect": "Allow", "Action": "codeartifact:ReadFromRepository", "Resource": "*"},
 {"Effect": "Allow", "Action": "codeartifact:PublishPackageVersion",
  "Resource": "arn:aws:codeartifact:*:$ACCOUNT:package/acme/releases/npm/acme/*"}]}
EOF
# add_user NAME: `arca principal add` on the server's data directory; sets KEY_<NAME> and SECRET_<NAME>.
add_user() {
    local out
    out=$(ARCA_LOG=warn "$ARCA_BIN" principal add "arn:aws:iam::$ACCOUNT:user/$1" --policy-file "$TMP/$1.json" \
        --data-dir "$TMP/data" 2>"$TMP/add-$1.err") || { cat "$TMP/add-$1.err" >&2; fail "arca principal add $1"; }
    local key secret
    key=$(sed -n 's/.*AWS_ACCESS_KEY_ID=\([A-Za-z0-9]*\).*/\1/p' <<<"$out" | head -n1)
    secret=$(sed -n 's/.*AWS_SECRET_ACCESS_KEY=\([A-Za-z0-9/+=]*\).*/\1/p' <<<"$out" | head -n1)
    [[ -n $key && -n $secret ]] || { echo "$out" >&2; fail "arca principal add $1 printed no key"; }
    printf -v "KEY_$1" '%s' "$key"
    printf -v "SECRET_$1" '%s' "$secret"
}
add_user consumer
add_user ci
# as NAME CMD...: runs CMD with NAME's key and npm configuration (~/.npmrc of its own).
as() {
    local who=$1 key secret
    shift
    key="KEY_$who" secret="SECRET_$who"
    AWS_ACCESS_KEY_ID=${!key} AWS_SECRET_ACCESS_KEY=${!secret} npm_config_userconfig="$TMP/$who.npmrc" "$@"
}
for who in consumer ci; do
    as "$who" "$REAL_AWS" "${E[@]}" codeartifact login --tool npm --domain acme --repository releases >"$TMP/login-$who.out" ||
        { cat "$TMP/login-$who.out" >&2; fail "$who: aws codeartifact login"; }
done
say "arca principal add consumer, ci; each logged in with its own key"

# published NAMESPACE NAME: the versions the API lists (the root asks), or "none".
published() {
    AWS_ACCESS_KEY_ID=$ROOT_KEY AWS_SECRET_ACCESS_KEY=$ROOT_SECRET aws "${E[@]}" codeartifact list-package-versions \
        --domain acme --repository releases --format npm --namespace "$1" --package "$2" \
        --query 'versions[].version' --output text 2>/dev/null || echo none
}

# --- the consumer installs and cannot publish ------------------------------------------------------
mkdir -p "$TMP/app"
echo '{"name": "app", "version": "0.0.0", "private": true}' >"$TMP/app/package.json"
(cd "$TMP/app" && as consumer "$NPM" install @acme/base --cache "$TMP/consumer-cache" >"$TMP/install.out" 2>&1) ||
    { cat "$TMP/install.out" >&2; fail "consumer: npm install @acme/base"; }
[[ $(cd "$TMP/app" && node -e 'console.log(require("@acme/base"))') == "@acme/base@1.0.0" ]] ||
    fail "consumer: the installed @acme/base does not run"
pkg "$TMP/x" @acme/x 1.0.0
if (cd "$TMP/x" && as consumer "$NPM" publish >"$TMP/consumer-publish.out" 2>&1); then
    fail "consumer: npm publish @acme/x succeeded"
fi
grep -q "403" "$TMP/consumer-publish.out" || { cat "$TMP/consumer-publish.out" >&2; fail "consumer: npm publish did not get 403"; }
[[ $(published acme x) == none ]] || fail "consumer: @acme/x was stored: $(published acme x)"
say "consumer: npm install @acme/base works; npm publish @acme/x gets 403 and stores nothing"

# --- the CI key publishes @acme/* only -------------------------------------------------------------
(cd "$TMP/x" && as ci "$NPM" publish >"$TMP/ci-publish.out" 2>&1) || { cat "$TMP/ci-publish.out" >&2; fail "ci: npm publish @acme/x"; }
[[ $(published acme x) == 1.0.0 ]] || fail "ci: @acme/x 1.0.0 not listed: $(published acme x)"
pkg "$TMP/y" @other/y 1.0.0
if (cd "$TMP/y" && as ci "$NPM" publish >"$TMP/ci-other.out" 2>&1); then
    fail "ci: npm publish @other/y succeeded"
fi
grep -q "403" "$TMP/ci-other.out" || { cat "$TMP/ci-other.out" >&2; fail "ci: npm publish @other/y did not get 403"; }
[[ $(published other y) == none ]] || fail "ci: @other/y was stored: $(published other y)"
say "ci: npm publish @acme/x works; @other/y gets 403 and stores nothing"

stop_server
say "PASS"
