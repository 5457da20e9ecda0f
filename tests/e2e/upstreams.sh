#!/usr/bin/env bash
# End-to-end check of upstreams and external connections with real clients, nothing beyond
# 127.0.0.1. A stand-in "public" registry is `python3 -m http.server` over a static tree written here:
# a PEP 503 simple index of hand-built wheels (relative links with #sha256=, PEP 658 `.metadata`
# files, a yanked release, a release for another Python) and, when mvn and Debian's Maven plugins
# are there, a Maven 2 layout with `.sha1` files. Arca's `public:pypi` and `public:maven-central`
# point at it (TOML config, a 1 s metadata TTL).
#
# pip: `app → team → store(public:pypi)`. kit-app (private, twine-uploaded into app) requires
# pub-app, which requires pub-core. `aws codeartifact login --tool pip` into app, then
# `pip install kit-app` in a fresh venv resolves everything through Arca's merged pages: pub-core
# 1.0.0 (1.1.0 is yanked, 1.2.0 needs Python < 3). The AWS CLI then shows the wheels retained in app
# and store with origin EXTERNAL/public:pypi, nothing in team, nothing for versions never fetched.
# Then the stand-in stops: the page is served stale with a `Warning: 110` header, and a new
# `pip install kit-app` still succeeds from what was retained.
#
# mvn (skipped with a message when mvn or the plugins are missing): `japp → jstore(public:maven-central)`;
# `mvn dependency:get` of org.pub:pub-app (which depends on org.pub:pub-core) into an empty local
# repository through japp, then the API shows both retained with their POM metadata.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; TWINE, MVN.
set -euo pipefail

E2E_NAME=upstreams
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TWINE=${TWINE:-$VENV/bin/twine}
[[ -x $TWINE ]] || fail "twine not found at $TWINE (pinned in tests/e2e/requirements.txt; run scripts/test to create the venv)"
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -E '^(PIP_|TWINE_)' || true)

# --- 1. the stand-in public registry ---------------------------------------------------------------
PUB="$TMP/public"
"$PY" - "$PUB" <<'EOF'
import base64, hashlib, html, os, re, sys, zipfile
root = sys.argv[1]
files = os.path.join(root, "files")
os.makedirs(files, exist_ok=True)
sha = lambda b: hashlib.sha256(b).hexdigest()

def wheel(name, version, module, code, requires=(), requires_python=None):
    dist = re.sub(r"[-_.]+", "_", name).lower()
    info = f"{dist}-{version}.dist-info"
    meta = [f"Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: public {name}",
            "License: MIT"]
    if requires_python:
        meta.append(f"Requires-Python: {requires_python}")
    meta += [f"Requires-Dist: {r}" for r in requires]
    metadata = ("\n".join(meta) + "\n\n").encode()
    content = {
        f"{module}/__init__.py": code.encode(),
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: arca-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(
        f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
        for p, d in content.items()) + f"{info}/RECORD,,\n"
    content[f"{info}/RECORD"] = record.encode()
    filename = f"{dist}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(files, filename), "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in content.items():
            z.writestr(p, d)
    with open(os.path.join(files, filename + ".metadata"), "wb") as f:
        f.write(metadata)
    data = open(os.path.join(files, filename), "rb").read()
    return filename, data, metadata, requires_python

def page(project, entries):
    os.makedirs(os.path.join(root, "simple", project), exist_ok=True)
    links = []
    for (filename, data, metadata, requires_python), yanked in entries:
        attrs = f' data-core-metadata="sha256={sha(metadata)}"'
        if requires_python:
            attrs += f' data-requires-python="{html.escape(requires_python)}"'
        if yanked:
            attrs += f' data-yanked="{html.escape(yanked)}"'
        links.append(f'<a href="../../files/{filename}#sha256={sha(data)}"{attrs}>{filename}</a><br/>')
    with open(os.path.join(root, "simple", project, "index.html"), "w") as f:
        f.write("<!DOCTYPE html><html><body>\n" + "\n".join(links) + "\n</body></html>\n")

core = 'def hello():\n    return "pub-core"\n'
page("pub-core", [
    (wheel("pub-core", "1.0.0", "pub_core", core), None),
    (wheel("pub-core", "1.1.0", "pub_core", 'raise ImportError("yanked")\n'), "broken release"),
    (wheel("pub-core", "1.2.0", "pub_core", 'raise ImportError("py2")\n', requires_python="<3"), None),
])
page("pub-app", [(wheel("pub-app", "2.0.0", "pub_app",
                        'import pub_core\n\ndef main():\n    return "pub-app+" + pub_core.hello()\n',
                        requires=["pub-core>=1.0"]), None)])
EOF

# The Maven part of the tree: org.pub:pub-core 1.0 and org.pub:pub-app 1.0 (depends on pub-core).
maven_file() { # PATH (below maven2/): writes the file from stdin and its .sha1
    mkdir -p "$(dirname "$PUB/maven2/$1")"
    cat >"$PUB/maven2/$1"
    sha1sum "$PUB/maven2/$1" | cut -c1-40 >"$PUB/maven2/$1.sha1"
}
for a in pub-core pub-app; do
    dep=""
    [[ $a == pub-app ]] &&
        dep="<dependencies><dependency><groupId>org.pub</groupId><artifactId>pub-core</artifactId><version>1.0</version></dependency></dependencies>"
    maven_file "org/pub/$a/1.0/$a-1.0.pom" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>org.pub</groupId>
  <artifactId>$a</artifactId>
  <version>1.0</version>
  <description>The public $a</description>
  $dep
</project>
EOF
    "$PY" -c 'import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n")
    z.writestr("hello.txt", sys.argv[2] + "\n")' "$TMP/$a-1.0.jar" "$a"
    maven_file "org/pub/$a/1.0/$a-1.0.jar" <"$TMP/$a-1.0.jar"
    maven_file "org/pub/$a/maven-metadata.xml" <<EOF
<metadata><groupId>org.pub</groupId><artifactId>$a</artifactId><versioning><latest>1.0</latest><release>1.0</release>
<versions><version>1.0</version></versions><lastUpdated>20250101120000</lastUpdated></versioning></metadata>
EOF
done

start_public "$PUB" simple/pub-core/
say "stand-in public registry at $PUBLIC (pid $PUB_PID): pub-core 1.0.0/1.1.0 (yanked)/1.2.0 (Python < 3), pub-app 2.0.0; org.pub:pub-core and pub-app 1.0"
public_hits() { grep -c "\"GET $1 HTTP" "$TMP/public.log" || true; }

cat >"$TMP/arca.toml" <<EOF
[external_connections."public:pypi"]
url = "$PUBLIC/simple/"
metadata_ttl = "1s"
timeout = "5s"

[external_connections."public:maven-central"]
url = "$PUBLIC/maven2/"
metadata_ttl = "1s"
timeout = "5s"
EOF
start_server --config "$TMP/arca.toml"
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }

# --- 2. the chain app → team → store(public:pypi) ----------------------------------------------------
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository store >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository store \
    --external-connection public:pypi >"$TMP/associate.json"
json_check "$TMP/associate.json" 'd["repository"]["externalConnections"][0]["externalConnectionName"] == "public:pypi"'
aws "${E[@]}" codeartifact create-repository --domain acme --repository team --upstreams repositoryName=store >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository app --upstreams repositoryName=team >/dev/null

# kit-app, private, uploaded into app with twine.
"$PY" - "$TMP/dist" <<'EOF'
import base64, hashlib, os, sys, zipfile
out = sys.argv[1]
os.makedirs(out, exist_ok=True)
info = "kit_app-3.0.0.dist-info"
content = {
    "kit_app/__init__.py": b'import pub_app\n\ndef main():\n    return "kit-app+" + pub_app.main()\n',
    f"{info}/METADATA": b"Metadata-Version: 2.1\nName: kit-app\nVersion: 3.0.0\nSummary: private\nRequires-Dist: pub-app>=2\n\n",
    f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: arca-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = "".join(
    f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(d).digest()).rstrip(b'=').decode()},{len(d)}\n"
    for p, d in content.items()) + f"{info}/RECORD,,\n"
content[f"{info}/RECORD"] = record.encode()
with zipfile.ZipFile(f"{out}/kit_app-3.0.0-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
    for p, d in content.items():
        z.writestr(p, d)
EOF
aws "${E[@]}" codeartifact login --tool twine --domain acme --repository app >/dev/null
"$TWINE" upload --repository codeartifact --non-interactive --disable-progress-bar "$TMP"/dist/* >"$TMP/twine.out" 2>&1 ||
    { cat "$TMP/twine.out" >&2; fail "twine upload of kit-app failed"; }

# --- 3. pip install through app ------------------------------------------------------------------------
"$PY" -m venv "$TMP/venv1" || fail "python -m venv failed"
export PATH="$TMP/venv1/bin:$PATH" XDG_CONFIG_HOME="$HOME/.config" PIP_DISABLE_PIP_VERSION_CHECK=1
aws "${E[@]}" codeartifact login --tool pip --domain acme --repository app >/dev/null
INDEX_URL=$("$TMP/venv1/bin/pip" config list | sed -n "s/^global.index-url='\(.*\)'$/\1/p")
[[ $INDEX_URL == http://aws:*@127.0.0.1:*/pypi/d/acme-$ACCOUNT/app/simple/ ]] || fail "pip's index-url is $INDEX_URL"
"$TMP/venv1/bin/pip" install --no-cache-dir --only-binary :all: kit-app >"$TMP/pip1.out" 2>&1 ||
    { cat "$TMP/pip1.out" >&2; fail "pip install kit-app through app failed"; }
grep -Eq "Successfully installed kit[-_]app-3.0.0 pub[-_]app-2.0.0 pub[-_]core-1.0.0" "$TMP/pip1.out" ||
    { cat "$TMP/pip1.out" >&2; fail "pip did not install kit-app 3.0.0, pub-app 2.0.0 and pub-core 1.0.0"; }
[[ $("$TMP/venv1/bin/python" -c 'import kit_app; print(kit_app.main())') == "kit-app+pub-app+pub-core" ]] ||
    fail "the installed code does not run"
[[ $(public_hits /files/pub_core-1.0.0-py3-none-any.whl) == 1 ]] || fail "pub-core's wheel was not fetched exactly once"
[[ $(public_hits /files/pub_core-1.1.0-py3-none-any.whl) == 0 ]] || fail "the yanked pub-core 1.1.0 was fetched"
# pip resolved with the PEP 658 metadata of files Arca did not hold yet: fetched from the source once.
grep -q "pub_core-1.0.0-py3-none-any.whl.metadata" "$TMP/pip1.out" || fail "pip did not use pub-core's core metadata"
[[ $(public_hits /files/pub_core-1.0.0-py3-none-any.whl.metadata) == 1 ]] ||
    fail "pub-core's core metadata was not fetched from the source exactly once"
say "pip install kit-app through app: kit-app (private) with pub-app and pub-core from the public index via Arca; the yanked 1.1.0 and the Python<3 1.2.0 were passed over"

# The merged page: Arca's own relative URLs, the source's fields passed through.
"$PY" - "$INDEX_URL" >"$TMP/page.out" <<'EOF'
import base64, json, sys, urllib.parse, urllib.request
u = urllib.parse.urlsplit(sys.argv[1])
auth = "Basic " + base64.b64encode(f"{u.username}:{u.password}".encode()).decode()
base = urllib.parse.urlunsplit((u.scheme, u.netloc.split("@")[1], u.path, "", ""))
req = urllib.request.Request(base + "pub-core/", headers={"Authorization": auth, "Accept": "application/vnd.pypi.simple.v1+json"})
page = json.load(urllib.request.urlopen(req))
f = {x["filename"]: x for x in page["files"]}
assert page["versions"] == ["1.0.0", "1.1.0", "1.2.0"], page["versions"]
assert all(not x["url"].startswith("http") for x in page["files"]), page
assert f["pub_core-1.1.0-py3-none-any.whl"]["yanked"] == "broken release", f
assert f["pub_core-1.2.0-py3-none-any.whl"]["requires-python"] == "<3", f
assert "sha256" in f["pub_core-1.2.0-py3-none-any.whl"]["core-metadata"], f
print("ok")
EOF
say "the merged pub-core page links Arca's URLs and passes yanked, requires-python and core-metadata through"

# --- 4. what the API shows ----------------------------------------------------------------------------
P=(--domain acme --format pypi --package pub-core --package-version 1.0.0)
for repo in app store; do
    aws "${E[@]}" codeartifact describe-package-version --repository "$repo" "${P[@]}" >"$TMP/describe-$repo.json"
    json_check "$TMP/describe-$repo.json" 'd["packageVersion"]["origin"]["originType"] == "EXTERNAL"
        and d["packageVersion"]["origin"]["domainEntryPoint"]["externalConnectionName"] == "public:pypi"
        and d["packageVersion"]["status"] == "Published" and d["packageVersion"]["summary"] == "public pub-core"'
    aws "${E[@]}" codeartifact list-package-version-assets --repository "$repo" "${P[@]}" >"$TMP/assets-$repo.json"
    json_check "$TMP/assets-$repo.json" '[a["name"] for a in d["assets"]] == ["pub_core-1.0.0-py3-none-any.whl"]'
done
if aws "${E[@]}" codeartifact describe-package-version --repository team "${P[@]}" >"$TMP/team.out" 2>&1; then
    fail "pub-core 1.0.0 was retained in team, between app and store"
fi
grep -q ResourceNotFoundException "$TMP/team.out" || { cat "$TMP/team.out" >&2; fail "team: no ResourceNotFoundException"; }
aws "${E[@]}" codeartifact list-package-versions --domain acme --repository app --format pypi --package pub-core >"$TMP/versions.json"
json_check "$TMP/versions.json" '[v["version"] for v in d["versions"]] == ["1.0.0"]'
say "API: pub-core 1.0.0 retained in app and store (origin EXTERNAL, public:pypi), not in team; the versions pip only looked at are not retained"

# --- 5. the source goes down ----------------------------------------------------------------------------
stop_public
sleep 1.2 # past the 1 s metadata TTL: the next page must ask the source
"$PY" - "$INDEX_URL" <<'EOF' || fail "the page with the source down is not a stale 200 with a Warning"
import base64, sys, urllib.parse, urllib.request
u = urllib.parse.urlsplit(sys.argv[1])
auth = "Basic " + base64.b64encode(f"{u.username}:{u.password}".encode()).decode()
base = urllib.parse.urlunsplit((u.scheme, u.netloc.split("@")[1], u.path, "", ""))
r = urllib.request.urlopen(urllib.request.Request(base + "pub-core/", headers={"Authorization": auth}))
assert r.status == 200 and r.headers["Warning"].startswith("110 "), dict(r.headers)
EOF
"$PY" -m venv "$TMP/venv2" || fail "python -m venv failed"
"$TMP/venv2/bin/pip" install --no-cache-dir --only-binary :all: kit-app >"$TMP/pip2.out" 2>&1 ||
    { cat "$TMP/pip2.out" >&2; fail "pip install kit-app with the source down failed"; }
grep -Eq "Successfully installed kit[-_]app-3.0.0 pub[-_]app-2.0.0 pub[-_]core-1.0.0" "$TMP/pip2.out" ||
    { cat "$TMP/pip2.out" >&2; fail "pip with the source down did not install the same versions"; }
say "with the source down: the page is served stale (Warning: 110) and pip installs kit-app from what Arca retained"

# --- 6. mvn dependency:get through japp → jstore(public:maven-central) ------------------------------------
MVN=${MVN:-$(command -v mvn || true)}
PLUGINS=/usr/share/maven-repo
DEPENDENCY_PLUGIN=org.apache.maven.plugins:maven-dependency-plugin:3.5.0
if [[ -z $MVN || ! -d $PLUGINS/org/apache/maven/plugins/maven-dependency-plugin/3.5.0 || ! -d $PLUGINS/junit/junit ]]; then
    say "SKIPPED the Maven part: needs mvn and Debian's libmaven-dependency-plugin-java and junit4"
    stop_server
    say "PASS (pip)"
    exit 0
fi
# The registry again (the pip part stopped it).
start_public "$PUB" maven2/org/pub/pub-app/maven-metadata.xml
aws "${E[@]}" codeartifact create-repository --domain acme --repository jstore >/dev/null
aws "${E[@]}" codeartifact associate-external-connection --domain acme --repository jstore \
    --external-connection public:maven-central >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository japp --upstreams repositoryName=jstore >/dev/null
ENDPOINT=$(aws "${E[@]}" codeartifact get-repository-endpoint --domain acme --repository japp --format maven \
    --query repositoryEndpoint --output text)
export CODEARTIFACT_AUTH_TOKEN
CODEARTIFACT_AUTH_TOKEN=$(aws "${E[@]}" codeartifact get-authorization-token --domain acme --query authorizationToken --output text)
unset MAVEN_OPTS MAVEN_ARGS M2_HOME
mkdir -p "$TMP/work"
cat >"$TMP/settings.xml" <<EOF
<settings>
  <localRepository>$TMP/m2</localRepository>
  <servers>
    <server><id>codeartifact</id><username>aws</username><password>\${env.CODEARTIFACT_AUTH_TOKEN}</password></server>
  </servers>
  <mirrors>
    <mirror><id>debian</id><mirrorOf>central</mirrorOf><url>file://$PLUGINS</url></mirror>
  </mirrors>
  <profiles>
    <profile>
      <id>codeartifact</id>
      <repositories>
        <repository><id>codeartifact</id><url>$ENDPOINT</url></repository>
      </repositories>
    </profile>
  </profiles>
  <activeProfiles><activeProfile>codeartifact</activeProfile></activeProfiles>
</settings>
EOF
(cd "$TMP/work" && "$MVN" -B -e -s "$TMP/settings.xml" "$DEPENDENCY_PLUGIN:get" -Dartifact=org.pub:pub-app:1.0 \
    -Dtransitive=true) >"$TMP/mvn.out" 2>&1 || { tail -n 60 "$TMP/mvn.out" >&2; fail "mvn dependency:get org.pub:pub-app:1.0 failed"; }
for a in pub-app pub-core; do
    cmp -s "$TMP/m2/org/pub/$a/1.0/$a-1.0.jar" "$TMP/$a-1.0.jar" || fail "$a-1.0.jar from Arca differs from the public one"
done
grep -q "Downloaded from codeartifact: $ENDPOINT" "$TMP/mvn.out" || fail "mvn did not download from Arca"
M=(--domain acme --format maven --namespace org.pub --package-version 1.0)
for repo in japp jstore; do
    aws "${E[@]}" codeartifact describe-package-version --repository "$repo" "${M[@]}" --package pub-core >"$TMP/m-$repo.json"
    json_check "$TMP/m-$repo.json" 'd["packageVersion"]["origin"]["domainEntryPoint"]["externalConnectionName"] == "public:maven-central"
        and d["packageVersion"]["summary"] == "The public pub-core"'
    aws "${E[@]}" codeartifact list-package-version-assets --repository "$repo" "${M[@]}" --package pub-core >"$TMP/ma-$repo.json"
    json_check "$TMP/ma-$repo.json" 'sorted(a["name"] for a in d["assets"]) == ["pub-core-1.0.jar", "pub-core-1.0.pom"]'
done
say "mvn dependency:get org.pub:pub-app:1.0 through japp: both artifacts from the public repository via Arca, retained in japp and jstore with their POM metadata"

stop_server
say "PASS"
