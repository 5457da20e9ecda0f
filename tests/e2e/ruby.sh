#!/usr/bin/env bash
# End-to-end check of Debian's ruby 3.1 (gem 3.3.15, bundler 2.3.15) against Arca's RubyGems
# endpoint, set up the way the README says (a `Bearer` key in ~/.gem/credentials for gem push and
# gem yank, the token as URL userinfo for gem install, `bundle config E aws:TOKEN` for Bundler).
# Installed with apt-get when missing (as root); the test fails loudly when it cannot be.
#
#  1. gem build of fixtures made here: kit-core 1.0.0 (required_ruby_version) and its
#     x86_64-linux platform gem, kit-app 2.0.0 depending on kit-core; gem push of each; the same
#     gem again is a 409, a malformed one a 400 (nothing stored); HEAD E answers the probe.
#  2. gem install --clear-sources --source E kit-app: gem 3.3's path (HEAD E, info/, quick/,
#     gems/); the platform gem is the one installed.
#  3. bundle install with `source E` (compact index: versions, info), then kit-core 1.1.0 is
#     pushed and `bundle update` runs on the warm cache (Range/ETag: a 206 or 304 on versions).
#  4. Bundler through a proxy that hides `versions` (404): it falls back to the dependency API.
#  5. gem yank kit-core 1.1.0: gone from info/ and the dependency API, marked `-` in versions,
#     its file still downloads, gem install picks 1.0.0 again. The full index and quick/ specs.
#  6. The API trio for every pushed gem (format ruby, no namespace, one asset per platform,
#     byte for byte, metadata, dependencies).
#  7. Through upstreams: app → ruby-store(public:ruby-gems-org) to a stand-in compact index.
#     `gem search --remote` finds the source's pubgem in the merged full index (nothing retained),
#     bundle install retains it (EXTERNAL), gem install installs it.
#
# Everything lives in a temporary directory; nothing is fetched from the public registry.
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh.
set -euo pipefail

E2E_NAME=ruby
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if ! command -v gem >/dev/null || ! command -v bundle >/dev/null; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
        say "installing Debian's ruby and bundler"
        apt-get install -y -q ruby bundler >/dev/null || fail "apt-get install ruby bundler failed"
    fi
fi
command -v gem >/dev/null && command -v bundle >/dev/null ||
    fail "the RubyGems e2e test needs Debian's ruby and bundler: apt-get install ruby bundler"
say "$(ruby --version); gem $(gem --version); $(bundle --version)"

# Ruby's own state in the temporary directory.
export GEM_HOME="$TMP/gem-home" GEM_PATH="$TMP/gem-home" GEM_SPEC_CACHE="$TMP/spec-cache"
export BUNDLE_USER_HOME="$TMP/bundle-home" BUNDLE_APP_CONFIG="$TMP/bundle-config"
export PATH="$GEM_HOME/bin:$PATH"

# --- fixtures ----------------------------------------------------------------------------------------
# gem_fixture NAME VERSION [PLATFORM] [SPEC LINES]: builds NAME-VERSION[-PLATFORM].gem in $TMP/dist.
gem_fixture() {
    local name=$1 version=$2 platform=${3:-ruby} extra=${4:-} dir="$TMP/src/$1-$2-${3:-ruby}"
    mkdir -p "$dir/lib" "$TMP/dist"
    printf 'module Kit; %s = "%s %s %s"; end\n' "$(echo "${name//-/_}" | tr a-z A-Z)" "$name" "$version" "$platform" \
        >"$dir/lib/${name//-/_}.rb"
    cat >"$dir/$name.gemspec" <<EOF
Gem::Specification.new do |s|
  s.name = "$name"
  s.version = "$version"
  s.platform = "$platform"
  s.summary = "The Acme $name"
  s.authors = ["Acme"]
  s.files = ["lib/${name//-/_}.rb"]
  s.homepage = "https://kit.acme.test/$name"
  s.license = "MIT"
  s.metadata = { "source_code_uri" => "https://git.acme.test/$name" }
$extra
end
EOF
    (cd "$dir" && gem build -q "$name.gemspec" >/dev/null 2>"$dir/build.err") || { cat "$dir/build.err" >&2; fail "gem build $name failed"; }
    mv "$dir"/*.gem "$TMP/dist/"
}
gem_fixture kit-core 1.0.0 ruby '  s.required_ruby_version = ">= 2.7"'
gem_fixture kit-core 1.0.0 x86_64-linux '  s.required_ruby_version = ">= 2.7"'
gem_fixture kit-app 2.0.0 ruby '  s.add_dependency "kit-core", "~> 1.0"
  s.add_development_dependency "rake", ">= 12"'
gem_fixture kit-core 1.1.0 ruby '  s.required_ruby_version = ">= 2.7"'
ls "$TMP/dist" | sort | tr '\n' ' ' | grep -q '^kit-app-2.0.0.gem kit-core-1.0.0-x86_64-linux.gem kit-core-1.0.0.gem kit-core-1.1.0.gem $' ||
    fail "unexpected fixtures: $(ls "$TMP/dist")"

# --- a stand-in public registry: a static compact index (python3 -m http.server) with one gem -----------
gem_fixture pubgem 1.0.0 ruby
PUB="$TMP/public"
mkdir -p "$PUB/info" "$PUB/gems"
mv "$TMP/dist/pubgem-1.0.0.gem" "$PUB/gems/"
printf -- '---\n1.0.0 |checksum:%s\n' "$(sha256sum <"$PUB/gems/pubgem-1.0.0.gem" | cut -d' ' -f1)" >"$PUB/info/pubgem"
printf 'created_at: 2026-01-01T00:00:00Z\n---\npubgem 1.0.0 %s\n' "$(md5sum <"$PUB/info/pubgem" | cut -d' ' -f1)" >"$PUB/versions"
start_public "$PUB" versions

start_server --external-connection "public:ruby-gems-org=$PUBLIC/"
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository gems >/dev/null
ENDPOINT=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository gems \
    --format ruby --query repositoryEndpoint --output text)
[[ $ENDPOINT == "$URL/ruby/d/acme-$ACCOUNT/gems/" ]] || fail "unexpected endpoint $ENDPOINT"
TOKEN=$(aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text)
# The source with the token as userinfo, as the README's ~/.gemrc has it.
SOURCE="http://aws:$TOKEN@${ENDPOINT#http://}"

# The README's credentials file for gem push and gem yank (HOME is $TMP/aws-home since start_server).
mkdir -p "$HOME/.gem"
printf -- '---\n:codeartifact_api_key: Bearer %s\n' "$TOKEN" >"$HOME/.gem/credentials"
chmod 600 "$HOME/.gem/credentials"
export RUBYGEMS_HOST="${ENDPOINT%/}"

# requests PATH-SUFFIX STATUS: how many requests the server logged for paths ending so, with status.
requests() {
    sed 's/\x1b\[[0-9;]*m//g' "$TMP/server.log" | grep -c "http.path=[^ ]*$1 status=$2 " || true
}

# --- 1. push -------------------------------------------------------------------------------------------
push() { gem push --key codeartifact_api_key "$TMP/dist/$1" 2>&1; }
for f in kit-core-1.0.0.gem kit-core-1.0.0-x86_64-linux.gem kit-app-2.0.0.gem; do
    out=$(push "$f") || { echo "$out" >&2; fail "gem push $f failed"; }
    grep -q "Successfully registered gem: " <<<"$out" || { echo "$out" >&2; fail "gem push $f: no success message"; }
done
if out=$(push kit-core-1.0.0.gem); then fail "pushing kit-core 1.0.0 again succeeded: $out"; fi
grep -q "Repushing of gem versions is not allowed" <<<"$out" || { echo "$out" >&2; fail "no 409 message for a re-push"; }
[[ $(requests /api/v1/gems 409) == 1 ]] || fail "the re-push was not a 409"
echo "not a gem" >"$TMP/bad.gem"
code=$(curl -sS -o "$TMP/bad.out" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" --data-binary @"$TMP/bad.gem" \
    -H 'Content-Type: application/octet-stream' "${ENDPOINT}api/v1/gems")
[[ $code == 400 ]] || fail "a malformed gem answered $code, not 400"
code=$(curl -sS -o /dev/null -w '%{http_code}' -I "$SOURCE")
[[ $code == 200 ]] || fail "HEAD E answered $code"
code=$(curl -sS -o /dev/null -w '%{http_code}' -I "$ENDPOINT")
[[ $code == 401 ]] || fail "HEAD E without the token answered $code, not 401"
say "gem push: three gems (one a platform gem), 409 on a re-push, 400 on a malformed gem; HEAD E probe"

# --- 2. gem install (gem 3.3: HEAD E, info/, quick/, gems/) -------------------------------------------
gem install --clear-sources --source "$SOURCE" kit-app >"$TMP/install.out" 2>&1 ||
    { cat "$TMP/install.out" >&2; fail "gem install kit-app failed"; }
gem list kit >"$TMP/list.out"
grep -q '^kit-app (2.0.0)$' "$TMP/list.out" || { cat "$TMP/list.out" >&2; fail "kit-app 2.0.0 not installed"; }
grep -q '^kit-core (1.0.0 x86_64-linux)$' "$TMP/list.out" || { cat "$TMP/list.out" >&2; fail "the x86_64-linux kit-core was not the one installed"; }
[[ $(ruby -e 'require "kit_core"; puts Kit::KIT_CORE') == "kit-core 1.0.0 x86_64-linux" ]] || fail "the installed kit-core is not the platform gem's"
for p in /info/kit-app /info/kit-core /quick/Marshal.4.8/kit-app-2.0.0.gemspec.rz /gems/kit-app-2.0.0.gem \
    /gems/kit-core-1.0.0-x86_64-linux.gem; do
    (($(requests "$p" 200) >= 1)) || fail "gem install did not read $p"
done
say "gem install --clear-sources --source E: kit-app and the platform kit-core (HEAD, info/, quick/, gems/)"

# --- 3. bundle install (compact index), then again on a warm cache -----------------------------------
bundle config set --global "$ENDPOINT" "aws:$TOKEN" >/dev/null
mkdir -p "$TMP/app"
cat >"$TMP/app/Gemfile" <<EOF
source "$ENDPOINT"
gem "kit-app"
gem "kit-core", "~> 1.0"
EOF
bundle_in() {
    local dir=$1
    shift
    (cd "$dir" && BUNDLE_PATH="$dir/vendor" bundle "$@") >"$dir/bundle.out" 2>&1 ||
        { cat "$dir/bundle.out" >&2; fail "bundle $* in $dir failed"; }
}
bundle_in "$TMP/app" install
grep -q 'kit-core (1.0.0' "$TMP/app/Gemfile.lock" || { cat "$TMP/app/Gemfile.lock" >&2; fail "Gemfile.lock has no kit-core 1.0.0"; }
! grep -q "$TOKEN" "$TMP/app/Gemfile.lock" || fail "the token leaked into Gemfile.lock"
(($(requests /versions 200) >= 1)) || fail "bundle install did not read versions"
(($(requests /api/v1/dependencies 200) == 0)) || fail "bundle install used the dependency API, not the compact index"
out=$(push kit-core-1.1.0.gem) || { echo "$out" >&2; fail "gem push kit-core 1.1.0 failed"; }
partial_before=$(($(requests /versions 206) + $(requests /versions 304)))
bundle_in "$TMP/app" update kit-core
grep -q 'kit-core (1.1.0)' "$TMP/app/Gemfile.lock" || { cat "$TMP/app/Gemfile.lock" >&2; fail "bundle update did not move to kit-core 1.1.0"; }
(($(requests /versions 206) + $(requests /versions 304) > partial_before)) ||
    fail "the warm bundle update did not get a 206 or 304 for versions (Range/ETag)"
(($(requests /info/kit-core 206) + $(requests /info/kit-core 200) >= 2)) || fail "the warm update did not refresh info/kit-core"
say "bundle install through the compact index, then bundle update on a warm cache (206/304 on versions)"

# --- 4. the dependency API: a proxy hides versions ---------------------------------------------------
cat >"$TMP/proxy.py" <<'EOF'
import http.server, sys, urllib.request, urllib.error
upstream = sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def relay(self):
        if self.path.split("?")[0].endswith("/versions"):
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers(); return
        req = urllib.request.Request(upstream + self.path, method=self.command,
            headers={k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")})
        try:
            r = urllib.request.urlopen(req)
        except urllib.error.HTTPError as e:
            r = e
        body = r.read()
        self.send_response(r.status if hasattr(r, "status") else r.code)
        for k, v in r.headers.items():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
    do_GET = do_HEAD = relay
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
EOF
PROXY_PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PY" "$TMP/proxy.py" "$PROXY_PORT" "$URL" >"$TMP/proxy.log" 2>&1 &
PROXY_PID=$!
trap 'kill $PROXY_PID 2>/dev/null || true; e2e_cleanup' EXIT
PROXIED="http://127.0.0.1:$PROXY_PORT${ENDPOINT#"$URL"}"
for _ in $(seq 50); do curl -s -o /dev/null "$PROXIED" && break; sleep 0.1; done
bundle config set --global "$PROXIED" "aws:$TOKEN" >/dev/null
mkdir -p "$TMP/app-dep"
sed "s|$ENDPOINT|$PROXIED|" "$TMP/app/Gemfile" >"$TMP/app-dep/Gemfile"
deps_before=$(requests /api/v1/dependencies 200)
bundle_in "$TMP/app-dep" install
grep -q 'kit-core (1.1.0)' "$TMP/app-dep/Gemfile.lock" || { cat "$TMP/app-dep/Gemfile.lock" >&2; fail "the dependency API path did not resolve kit-core 1.1.0"; }
(($(requests /api/v1/dependencies 200) > deps_before + 1)) || fail "Bundler did not use the dependency API"
say "bundle install with versions hidden: Bundler falls back to the dependency API"

# --- 5. gem yank, and the full index --------------------------------------------------------------
gem yank --key codeartifact_api_key kit-core -v 1.1.0 >"$TMP/yank.out" 2>&1 || { cat "$TMP/yank.out" >&2; fail "gem yank failed"; }
grep -q "Successfully deleted gem: kit-core (1.1.0)" "$TMP/yank.out" || { cat "$TMP/yank.out" >&2; fail "no yank message"; }
get() { curl -sS -f -u "aws:$TOKEN" "$ENDPOINT$1"; }
get info/kit-core >"$TMP/info.txt"
! grep -q '^1.1.0 ' "$TMP/info.txt" || fail "info/kit-core still lists the yanked 1.1.0"
grep -q '^1.0.0-x86_64-linux |checksum:[0-9a-f]\{64\},ruby:>= 2.7$' "$TMP/info.txt" || { cat "$TMP/info.txt" >&2; fail "info/kit-core lacks the platform line"; }
get versions >"$TMP/versions.txt"
grep -q '^kit-core -1.1.0 ' "$TMP/versions.txt" || { cat "$TMP/versions.txt" >&2; fail "versions does not mark the yank"; }
[[ $(get versions | tail -n1 | cut -d' ' -f3) == "$(md5sum <"$TMP/info.txt" | cut -d' ' -f1)" ]] ||
    fail "the last versions line of kit-core does not carry the MD5 of info/kit-core"
ruby -e 'd = Marshal.load(STDIN.read); exit(d.any? { |e| e[:number] == "1.1.0" } || d.none? { |e| e[:number] == "1.0.0" && e[:platform] == "x86_64-linux" } ? 1 : 0)' \
    < <(get "api/v1/dependencies?gems=kit-core") || fail "the dependency API still lists the yanked version"
get gems/kit-core-1.1.0.gem | cmp - "$TMP/dist/kit-core-1.1.0.gem" || fail "the yanked gem no longer downloads"
gem uninstall -a -x -q kit-core kit-app >/dev/null 2>&1 || true
gem install --clear-sources --source "$SOURCE" kit-core --platform ruby >"$TMP/install2.out" 2>&1 ||
    { cat "$TMP/install2.out" >&2; fail "gem install kit-core after the yank failed"; }
gem list kit-core | grep -q '^kit-core (1.0.0)$' || { gem list kit-core >&2; fail "gem install did not fall back to 1.0.0"; }
get specs.4.8.gz | gunzip | ruby -e 'puts Marshal.load(STDIN.read).map { |n, v, p| [n, v.to_s, p].join(" ") }.sort' >"$TMP/specs.txt"
[[ $(cat "$TMP/specs.txt") == $'kit-app 2.0.0 ruby\nkit-core 1.0.0 ruby\nkit-core 1.0.0 x86_64-linux' ]] ||
    { cat "$TMP/specs.txt" >&2; fail "specs.4.8.gz is not the Published gems"; }
get quick/Marshal.4.8/kit-app-2.0.0.gemspec.rz |
    ruby -rzlib -e 's = Marshal.load(Zlib::Inflate.inflate(STDIN.read)); puts [s.full_name, s.dependencies.map(&:to_s).join(";"), s.summary].join("|")' >"$TMP/quick.txt"
[[ $(cat "$TMP/quick.txt") == "kit-app-2.0.0|kit-core (~> 1.0);rake (>= 12, development)|The Acme kit-app" ]] ||
    { cat "$TMP/quick.txt" >&2; fail "the quick spec is not kit-app's"; }
say "gem yank: out of info/ and the dependency API, '-' in versions, still downloadable; full index and quick/ specs"

# --- 6. the API trio -------------------------------------------------------------------------------
P=(--domain acme --repository gems --format ruby)
aws "${E[@]}" codeartifact list-package-versions "${P[@]}" --package kit-core >"$TMP/versions.json"
json_check "$TMP/versions.json" 'sorted((v["version"], v["status"]) for v in d["versions"]) == [("1.0.0", "Published"), ("1.1.0", "Unlisted")]'
aws "${E[@]}" codeartifact describe-package-version "${P[@]}" --package kit-app --package-version 2.0.0 >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["format"] == "ruby" and "namespace" not in d["packageVersion"] and d["packageVersion"]["displayName"] == "kit-app"'
json_check "$TMP/describe.json" 'd["packageVersion"]["summary"] == "The Acme kit-app" and d["packageVersion"]["licenses"] == [{"name": "MIT"}]'
json_check "$TMP/describe.json" 'd["packageVersion"]["homePage"] == "https://kit.acme.test/kit-app" and d["packageVersion"]["sourceCodeRepository"] == "https://git.acme.test/kit-app"'
aws "${E[@]}" codeartifact list-package-version-dependencies "${P[@]}" --package kit-app --package-version 2.0.0 >"$TMP/deps.json"
json_check "$TMP/deps.json" 'sorted((x["package"], x["dependencyType"], x["versionRequirement"]) for x in d["dependencies"]) == [("kit-core", "runtime", "~> 1.0"), ("rake", "development", ">= 12")]'
for pv in "kit-core 1.0.0 kit-core-1.0.0.gem kit-core-1.0.0-x86_64-linux.gem" "kit-core 1.1.0 kit-core-1.1.0.gem" "kit-app 2.0.0 kit-app-2.0.0.gem"; do
    read -r pkg ver files <<<"$pv"
    aws "${E[@]}" codeartifact list-package-version-assets "${P[@]}" --package "$pkg" --package-version "$ver" >"$TMP/assets.json"
    json_check "$TMP/assets.json" "sorted(a['name'] for a in d['assets']) == sorted('$files'.split())"
    for f in $files; do
        sha=$(sha256sum <"$TMP/dist/$f" | cut -d' ' -f1)
        json_check "$TMP/assets.json" "[a['hashes']['SHA-256'] for a in d['assets'] if a['name'] == '$f'] == ['$sha']"
        aws "${E[@]}" codeartifact get-package-version-asset "${P[@]}" --package "$pkg" --package-version "$ver" \
            --asset "$f" "$TMP/asset.gem" >/dev/null
        cmp "$TMP/asset.gem" "$TMP/dist/$f" || fail "GetPackageVersionAsset $f is not the pushed gem"
    done
done
say "the API trio: format ruby, no namespace, one asset per platform byte for byte, metadata, dependencies"

# --- 7. through upstreams: public:ruby-gems-org to the stand-in -------------------------------------
aws "${E[@]}" codeartifact create-repository --domain acme --repository ruby-store >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository ruby-store \
    --external-connection public:ruby-gems-org >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository app \
    --upstreams repositoryName=ruby-store >/dev/null
APP=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository app \
    --format ruby --query repositoryEndpoint --output text)
# The full index lists what only the source has (gem 3.3's `gem search --remote` reads latest_specs).
gem search --remote --clear-sources --source "http://aws:$TOKEN@${APP#http://}" pubgem >"$TMP/search-up.out" 2>&1 ||
    { cat "$TMP/search-up.out" >&2; fail "gem search --remote through the upstream failed"; }
grep -q '^pubgem (1.0.0)$' "$TMP/search-up.out" || { cat "$TMP/search-up.out" >&2; fail "the full index does not list the source's pubgem"; }
aws "${E[@]}" codeartifact list-package-versions --domain acme --repository app --format ruby --package pubgem \
    >/dev/null 2>&1 && fail "pubgem was retained by reading the full index"
say "through public:ruby-gems-org: gem search --remote finds pubgem in the merged full index (nothing retained)"
bundle config set --global "$APP" "aws:$TOKEN" >/dev/null
mkdir -p "$TMP/app-up"
printf 'source "%s"\ngem "pubgem"\n' "$APP" >"$TMP/app-up/Gemfile"
bundle_in "$TMP/app-up" install
grep -q 'pubgem (1.0.0)' "$TMP/app-up/Gemfile.lock" || { cat "$TMP/app-up/Gemfile.lock" >&2; fail "Bundler did not resolve pubgem through the upstream"; }
cmp "$TMP/app-up/vendor/ruby/"*/cache/pubgem-1.0.0.gem "$PUB/gems/pubgem-1.0.0.gem" || fail "the installed pubgem is not the source's"
for repo in app ruby-store; do
    aws "${E[@]}" codeartifact describe-package-version --domain acme --repository "$repo" --format ruby \
        --package pubgem --package-version 1.0.0 >"$TMP/pub-$repo.json"
    json_check "$TMP/pub-$repo.json" 'd["packageVersion"]["origin"]["originType"] == "EXTERNAL" and d["packageVersion"]["origin"]["domainEntryPoint"]["externalConnectionName"] == "public:ruby-gems-org"'
done
gem install --clear-sources --source "http://aws:$TOKEN@${APP#http://}" pubgem >"$TMP/install-up.out" 2>&1 ||
    { cat "$TMP/install-up.out" >&2; fail "gem install pubgem through the upstream failed"; }
gem list pubgem | grep -q '^pubgem (1.0.0)$' || fail "pubgem not installed"
say "through public:ruby-gems-org: bundle install (versions and info passed through) retains pubgem with origin EXTERNAL; gem install"
say "PASS"
