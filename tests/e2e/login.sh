#!/usr/bin/env bash
# End-to-end check of `arca login`: each tool's configuration is written into a temporary HOME by
# `arca login --tool T --domain acme --repository releases`, merged into files that exist already,
# and then used by the real tool against a real `arca serve`:
#
#  1. npm, two scopes in one run (--namespace acme --namespace tools), signed with a profile of
#     ~/.aws/credentials (--profile): npm publish of @acme/kit and @tools/util, npm install of both;
#     the previous ~/.npmrc is kept as ~/.npmrc.arca.bak and its other settings stay. --dry-run
#     changes nothing and prints no token.
#  2. twine, then pip with --extra-index: the user's index-url (a stand-in registry on 127.0.0.1)
#     stays, Arca is added as extra-index-url; twine upload, pip install through the extra index.
#  3. Maven: settings.xml (a local repository and a mirror of central to Debian's plugins) merged
#     with a server, a mirror and a profile; mvn deploy:deploy-file with the written server id, then
#     mvn dependency:get into an empty local repository.
#  4. cargo: a registry and its token in a fresh CARGO_HOME; cargo publish, cargo build of a crate
#     depending on the published one.
#  5. gem and Bundler: ~/.gemrc sources and ~/.gem/credentials, ~/.bundle/config; gem push --host E,
#     gem install, bundle install.
#  6. uv (pinned in requirements.txt, or on PATH): an index in uv.toml, uv pip install through it.
#
# Nothing is fetched from a public registry. Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for
# walkthrough.sh.
set -euo pipefail

E2E_NAME=login
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The toolchain's own cargo and rustc (rustup's proxies look under $HOME, which changes below).
if command -v rustup >/dev/null; then
    CARGO=$(rustup which cargo)
    RUSTC=$(rustup which rustc)
else
    CARGO=$(command -v cargo) || fail "cargo not found"
    RUSTC=$(command -v rustc) || fail "rustc not found"
fi
export RUSTC
if ! command -v gem >/dev/null || ! command -v bundle >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        apt-get install -y -q ruby bundler >/dev/null || fail "apt-get install ruby bundler failed"
    fi
fi
for tool in npm mvn gem bundle; do
    command -v "$tool" >/dev/null || fail "$tool is not installed"
done
PLUGINS=/usr/share/maven-repo
DEPLOY_PLUGIN=org.apache.maven.plugins:maven-deploy-plugin:3.0.0
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.5.0
[[ -d $PLUGINS/org/apache/maven/plugins/maven-deploy-plugin/3.0.0 ]] ||
    fail "no Debian Maven plugins (apt-get install libmaven-deploy-plugin-java libmaven-dependency-plugin-java junit4)"

# Only our settings for every tool.
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -iE '^(npm_config_|PIP_|TWINE_|CARGO_|BUNDLE_|GEM_|UV_)' || true)
unset MAVEN_OPTS MAVEN_ARGS M2_HOME

start_server
aws() { "$REAL_AWS" --endpoint-url "$URL" "$@"; }
aws codeartifact create-domain --domain acme >/dev/null
aws codeartifact create-repository --domain acme --repository releases >/dev/null

# The temporary HOME every tool reads its configuration from.
export HOME="$TMP/home" XDG_CONFIG_HOME="$TMP/home/.config"
mkdir -p "$HOME"
# login ARGS...: `arca login` for acme/releases against this server, its output in $TMP/login.out.
login() {
    "$ARCA_BIN" login --domain acme --repository releases --endpoint-url "$URL" "$@" >"$TMP/login.out" 2>&1 ||
        { cat "$TMP/login.out" >&2; fail "arca login $* failed"; }
    grep -q "^Successfully configured .* to use Arca repository $URL/" "$TMP/login.out" ||
        { cat "$TMP/login.out" >&2; fail "arca login $* did not report success"; }
}
endpoint() { echo "$URL/$1/d/acme-$ACCOUNT/releases/"; }

# --- 1. npm: two scopes, a profile, a backup, a dry run --------------------------------------------
export npm_config_update_notifier=false npm_config_audit=false npm_config_fund=false \
    npm_config_cache="$TMP/npm-cache" npm_config_loglevel=warn
printf 'save-exact=true\n' >"$HOME/.npmrc"
# The keys under a profile; the environment's keys are ignored once --profile is given.
printf '[arca]\naws_access_key_id = %s\naws_secret_access_key = %s\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" \
    >"$AWS_SHARED_CREDENTIALS_FILE"
AWS_ACCESS_KEY_ID=AKIAWRONGWRONGWRONG1 login --tool npm --namespace acme --namespace @tools --profile arca
[[ $(cat "$HOME/.npmrc.arca.bak") == save-exact=true ]] || fail "the previous ~/.npmrc was not kept"
NPM_E=$(endpoint npm)
for want in "save-exact=true" "@acme:registry=$NPM_E" "@tools:registry=$NPM_E"; do
    grep -qxF "$want" "$HOME/.npmrc" || { cat "$HOME/.npmrc" >&2; fail "~/.npmrc lacks $want"; }
done
grep -q "^//${NPM_E#http://}:_authToken=" "$HOME/.npmrc" || fail "~/.npmrc has no token for the endpoint"
for pkg in @acme/kit @tools/util; do
    dir="$TMP/src/${pkg//\//-}"
    mkdir -p "$dir"
    printf '{"name": "%s", "version": "1.0.0", "main": "index.js"}\n' "$pkg" >"$dir/package.json"
    printf 'module.exports = "%s";\n' "$pkg" >"$dir/index.js"
    (cd "$dir" && npm publish >"$TMP/npm-publish.out" 2>&1) || { cat "$TMP/npm-publish.out" >&2; fail "npm publish $pkg failed"; }
done
mkdir -p "$TMP/npm-app"
printf '{"name": "app", "version": "1.0.0", "dependencies": {"@acme/kit": "1.0.0", "@tools/util": "1.0.0"}}\n' \
    >"$TMP/npm-app/package.json"
(cd "$TMP/npm-app" && npm install >"$TMP/npm-install.out" 2>&1) || { cat "$TMP/npm-install.out" >&2; fail "npm install failed"; }
[[ $(cd "$TMP/npm-app" && node -p 'require("@acme/kit") + " " + require("@tools/util")') == "@acme/kit @tools/util" ]] ||
    fail "the installed packages are not the published ones"
before=$(sha256sum "$HOME/.npmrc")
"$ARCA_BIN" login --tool npm --domain acme --repository releases --endpoint-url "$URL" --dry-run >"$TMP/dry.out" 2>&1 ||
    { cat "$TMP/dry.out" >&2; fail "arca login --dry-run failed"; }
[[ $(sha256sum "$HOME/.npmrc") == "$before" ]] || fail "--dry-run changed ~/.npmrc"
grep -q "_authToken=\*\*\*\*" "$TMP/dry.out" || { cat "$TMP/dry.out" >&2; fail "--dry-run did not show the masked token line"; }
grep -q "Dry run: nothing was changed." "$TMP/dry.out" || fail "--dry-run did not say so"
if grep -qE "_authToken=[^*]" "$TMP/dry.out"; then fail "--dry-run printed a token"; fi
say "npm: two scopes in one login (profile keys), publish and install of @acme/kit and @tools/util; backup kept; dry run"

# --- 2. twine, then pip --extra-index ------------------------------------------------------------------
"$PY" -m venv "$TMP/py" || fail "python -m venv failed"
export PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$TMP/public/simple" "$TMP/dist"
start_public "$TMP/public" simple/
mkdir -p "$XDG_CONFIG_HOME/pip"
printf '[global]\nindex-url = %s/simple/\ntimeout = 30\n' "$PUBLIC" >"$XDG_CONFIG_HOME/pip/pip.conf"
"$PY" - "$TMP/dist" <<'EOF'
import base64, hashlib, sys, zipfile
files = {"login_kit/__init__.py": b"NAME = 'login-kit'\n",
         "login_kit-1.0.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: login-kit\nVersion: 1.0.0\n\n",
         "login_kit-1.0.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
def line(p, d):
    return "%s,sha256=%s,%d" % (p, base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b"=").decode(), len(d))
files["login_kit-1.0.0.dist-info/RECORD"] = ("\n".join(line(p, d) for p, d in files.items())
                                           + "\nlogin_kit-1.0.0.dist-info/RECORD,,\n").encode()
with zipfile.ZipFile(sys.argv[1] + "/login_kit-1.0.0-py3-none-any.whl", "w") as z:
    for p, d in files.items():
        z.writestr(p, d)
EOF
login --tool twine
"$VENV/bin/twine" upload --repository codeartifact --non-interactive --disable-progress-bar "$TMP"/dist/*.whl \
    >"$TMP/twine.out" 2>&1 || { cat "$TMP/twine.out" >&2; fail "twine upload failed"; }
login --tool pip --extra-index
grep -qxF "index-url = $PUBLIC/simple/" "$XDG_CONFIG_HOME/pip/pip.conf" || fail "pip's own index-url was replaced"
"$TMP/py/bin/pip" config list >"$TMP/pip-config.out"
grep -q "^global.extra-index-url='http://aws:.*@${ADDR}/pypi/d/acme-$ACCOUNT/releases/simple/'" "$TMP/pip-config.out" ||
    { cat "$TMP/pip-config.out" >&2; fail "pip does not see Arca as an extra index"; }
"$TMP/py/bin/pip" install --no-cache-dir login-kit >"$TMP/pip.out" 2>&1 || { cat "$TMP/pip.out" >&2; fail "pip install failed"; }
[[ $("$TMP/py/bin/python" -c 'import login_kit; print(login_kit.NAME)') == login-kit ]] || fail "login-kit did not install"
grep -q "GET /simple/login-kit/ " "$TMP/public.log" || fail "pip did not ask the user's own index first"
say "twine upload, then pip install through Arca as an extra index beside the user's own"

# --- 3. Maven --------------------------------------------------------------------------------------------
mkdir -p "$HOME/.m2" "$TMP/mvn-work"
cat >"$HOME/.m2/settings.xml" <<EOF
<settings>
  <!-- the user's own -->
  <localRepository>$TMP/m2-deploy</localRepository>
  <mirrors>
    <mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file://$PLUGINS</url></mirror>
  </mirrors>
</settings>
EOF
login --tool maven
grep -q "<!-- the user's own -->" "$HOME/.m2/settings.xml" || fail "settings.xml lost the user's content"
mkdir -p "$TMP/jar"
printf 'hello\n' >"$TMP/jar/hello.txt"
(cd "$TMP/jar" && "$PY" -c 'import zipfile; z = zipfile.ZipFile("../login-lib-1.0.jar", "w"); z.write("hello.txt")')
cat >"$TMP/login-lib-1.0.pom" <<'EOF'
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>com.acme</groupId><artifactId>login-lib</artifactId><version>1.0</version></project>
EOF
# Java takes the home directory from the password database, not $HOME: name the file.
mvn_run() { (cd "$TMP/mvn-work" && mvn -B -e -s "$HOME/.m2/settings.xml" "$@") >"$TMP/mvn.out" 2>&1 || { tail -n 60 "$TMP/mvn.out" >&2; fail "mvn $1 failed"; }; }
mvn_run "$DEPLOY_PLUGIN:deploy-file" -Dfile="$TMP/login-lib-1.0.jar" -DpomFile="$TMP/login-lib-1.0.pom" \
    -DrepositoryId=acme-releases -Durl="$(endpoint maven)"
mvn_run "$DEPENDENCY_PLUGIN:get" -Dartifact=com.acme:login-lib:1.0 -Dmaven.repo.local="$TMP/m2-get"
cmp "$TMP/login-lib-1.0.jar" "$TMP/m2-get/com/acme/login-lib/1.0/login-lib-1.0.jar" || fail "mvn resolved other bytes"
say "mvn deploy-file with the written server, dependency:get through the written mirror and profile"

# --- 4. cargo ----------------------------------------------------------------------------------------------
export CARGO_HOME="$TMP/cargo-home" CARGO_TARGET_DIR="$TMP/cargo-target" CARGO_TERM_COLOR=never CARGO_NET_RETRY=0
login --tool cargo
mkdir -p "$TMP/login-core/src" "$TMP/login-app/src"
printf '[package]\nname = "login-core"\nversion = "0.1.0"\nedition = "2021"\ndescription = "x"\nlicense = "MIT"\n' \
    >"$TMP/login-core/Cargo.toml"
echo 'pub fn hello() -> &'"'"'static str { "login-core" }' >"$TMP/login-core/src/lib.rs"
(cd "$TMP/login-core" && "$CARGO" publish --registry acme-releases) >"$TMP/cargo.out" 2>&1 ||
    { cat "$TMP/cargo.out" >&2; fail "cargo publish failed"; }
printf '[package]\nname = "login-app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nlogin-core = { version = "0.1", registry = "acme-releases" }\n' \
    >"$TMP/login-app/Cargo.toml"
echo 'fn main() { println!("{}", login_core::hello()); }' >"$TMP/login-app/src/main.rs"
[[ $(cd "$TMP/login-app" && "$CARGO" run -q 2>"$TMP/cargo-run.err") == login-core ]] ||
    { cat "$TMP/cargo-run.err" >&2; fail "cargo run of a crate depending on login-core failed"; }
say "cargo publish and a build through the written registry and token"

# --- 5. gem and Bundler -----------------------------------------------------------------------------------
export GEM_HOME="$TMP/gem-home" GEM_PATH="$TMP/gem-home" GEM_SPEC_CACHE="$TMP/gem-spec-cache"
export PATH="$GEM_HOME/bin:$PATH"
mkdir -p "$TMP/gem/lib"
printf 'module LoginGem; NAME = "login-gem"; end\n' >"$TMP/gem/lib/login_gem.rb"
echo 'Gem::Specification.new { |s| s.name, s.version, s.summary, s.authors, s.files, s.license = "login-gem", "1.0.0", "x", ["Acme"], ["lib/login_gem.rb"], "MIT" }' \
    >"$TMP/gem/login-gem.gemspec"
(cd "$TMP/gem" && gem build -q login-gem.gemspec >/dev/null 2>&1) || fail "gem build failed"
login --tool gem
RUBY_E=$(endpoint ruby)
gem push --host "${RUBY_E%/}" "$TMP/gem/login-gem-1.0.0.gem" >"$TMP/gem.out" 2>&1 || { cat "$TMP/gem.out" >&2; fail "gem push failed"; }
gem install login-gem >"$TMP/gem.out" 2>&1 || { cat "$TMP/gem.out" >&2; fail "gem install failed"; }
[[ $(ruby -e 'require "login_gem"; puts LoginGem::NAME') == login-gem ]] || fail "login-gem did not install"
gem uninstall -a -x login-gem >/dev/null 2>&1
login --tool bundler
mkdir -p "$TMP/bundle-app"
printf 'source "%s"\ngem "login-gem"\n' "$RUBY_E" >"$TMP/bundle-app/Gemfile"
(cd "$TMP/bundle-app" && bundle install >"$TMP/bundle.out" 2>&1) || { cat "$TMP/bundle.out" >&2; fail "bundle install failed"; }
grep -q "login-gem (1.0.0)" "$TMP/bundle-app/Gemfile.lock" || fail "Gemfile.lock has no login-gem"
if grep -q "aws:" "$TMP/bundle-app/Gemfile.lock"; then fail "Gemfile.lock holds the credentials"; fi
say "gem push --host E and gem install with the written files; bundle install with the written credentials"

# --- 6. uv -------------------------------------------------------------------------------------------------
UV=$(command -v uv || true)
[[ -z $UV && -x $VENV/bin/uv ]] && UV=$VENV/bin/uv
if [[ -n $UV ]]; then
    login --tool uv
    export UV_CACHE_DIR="$TMP/uv-cache" UV_NO_PROGRESS=1
    "$UV" venv -q --python "$TMP/py/bin/python" "$TMP/uv-venv" >"$TMP/uv.out" 2>&1 &&
        VIRTUAL_ENV="$TMP/uv-venv" "$UV" pip install --no-cache login-kit >>"$TMP/uv.out" 2>&1 ||
        { cat "$TMP/uv.out" >&2; fail "uv pip install through the written index failed"; }
    [[ $("$TMP/uv-venv/bin/python" -c 'import login_kit; print(login_kit.NAME)') == login-kit ]] ||
        fail "uv did not install login-kit"
    say "uv pip install through the written uv.toml ($("$UV" --version))"
else
    say "uv is not installed here: its writer is covered by the unit tests only"
fi
say "OK"
