#!/usr/bin/env bash
# End-to-end check of twine and pip against Arca, set up the way the README says: `aws codeartifact
# login --tool twine` (the pinned, unmodified AWS CLI) writes ~/.pypirc, the real twine uploads two
# projects (a wheel and an sdist each; kit-app depends on Kit_Core), then `aws codeartifact login
# --tool pip` sets pip's index-url and the real pip installs kit-app into a fresh virtual environment
# with no cache, resolving Kit_Core from Arca only. The AWS CLI then checks what the API shows:
# DescribePackageVersion (format pypi, normalized name, Published, metadata) and
# ListPackageVersionAssets/GetPackageVersionAsset (the uploaded files, byte-identical).
#
# The wheels and sdists are written by hand (zip with a correct RECORD, tar.gz with PKG-INFO), so
# nothing is fetched from PyPI. Everything (server data, HOME, .pypirc, pip.conf) lives in a
# temporary directory.
#
# Environment: ARCA_BIN, ARCA_VENV, KEEP_TMP=1 as for walkthrough.sh; TWINE (default: the venv's).
set -euo pipefail

E2E_NAME=pypi
# shellcheck source=tests/e2e/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TWINE=${TWINE:-$VENV/bin/twine}
[[ -x $TWINE ]] || fail "twine not found at $TWINE (pinned in tests/e2e/requirements.txt; run scripts/test to create the venv)"

start_server
# pip and twine read their settings from the environment too: keep only ours.
while IFS='=' read -r name _; do unset "$name"; done < <(env | grep -E '^(PIP_|TWINE_)' || true)
E=(--endpoint-url "$URL")
aws() { "$REAL_AWS" "$@"; }

# A fresh environment for pip: login runs `pip config set` with the pip it finds on PATH, which
# writes the configuration file of that environment (kept under $TMP, like $HOME).
"$PY" -m venv "$TMP/app-venv" || fail "python -m venv failed"
export PATH="$TMP/app-venv/bin:$PATH" XDG_CONFIG_HOME="$HOME/.config" PIP_DISABLE_PIP_VERSION_CHECK=1

# --- 1. build two projects: Kit_Core and kit-app (which requires kit-core) --------------------------
"$PY" - "$TMP/dist" <<'EOF'
import base64, hashlib, io, os, re, sys, tarfile, zipfile
out = sys.argv[1]
os.makedirs(out, exist_ok=True)

def metadata(name, version, summary, requires):
    lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {version}", f"Summary: {summary}",
             "Home-page: https://acme.test/" + name, "License: MIT", "Requires-Python: >=3.8"]
    lines += [f"Requires-Dist: {r}" for r in requires]
    return "\n".join(lines) + "\n\n"

def record_line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"

def build(name, version, module, code, summary, requires):
    dist = re.sub(r"[-_.]+", "_", name).lower()  # file names use the normalized name
    info = f"{dist}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": code.encode(),
        f"{info}/METADATA": metadata(name, version, summary, requires).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: arca-e2e\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": (module + "\n").encode(),
    }
    record = "\n".join(record_line(p, d) for p, d in files.items()) + f"\n{info}/RECORD,,\n"
    files[f"{info}/RECORD"] = record.encode()
    with zipfile.ZipFile(f"{out}/{dist}-{version}-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as z:
        for p, d in files.items():
            z.writestr(p, d)
    top = f"{dist}-{version}"
    sdist = {
        f"{top}/PKG-INFO": metadata(name, version, summary, requires).encode(),
        f"{top}/{module}/__init__.py": code.encode(),
        f"{top}/pyproject.toml": b'[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n',
    }
    with tarfile.open(f"{out}/{top}.tar.gz", "w:gz") as t:
        for p, d in sdist.items():
            ti = tarfile.TarInfo(p)
            ti.size = len(d)
            t.addfile(ti, io.BytesIO(d))

build("Kit_Core", "1.0.0", "kit_core", 'def hello():\n    return "kit-core"\n', "The Acme kit core", [])
build("kit-app", "2.0.0", "kit_app",
      'import kit_core\n\ndef main():\n    return "kit-app+" + kit_core.hello()\n', "The Acme kit app", ["kit-core>=1.0"])
EOF
say "built: $(ls "$TMP/dist" | tr '\n' ' ')"

# --- 2. login --tool twine, twine upload ------------------------------------------------------------
aws "${E[@]}" codeartifact create-domain --domain acme >/dev/null
aws "${E[@]}" codeartifact create-repository --domain acme --repository releases >/dev/null
ENDPOINT="$URL/pypi/d/acme-$ACCOUNT/releases/"
aws "${E[@]}" codeartifact login --tool twine --domain acme --repository releases | tee "$TMP/login-twine.out"
grep -q "Successfully configured twine to use AWS CodeArtifact repository $ENDPOINT" "$TMP/login-twine.out" ||
    fail "login --tool twine did not report the endpoint $ENDPOINT"
grep -qx "repository = $ENDPOINT" "$HOME/.pypirc" || { cat "$HOME/.pypirc" >&2; fail "~/.pypirc has no repository = $ENDPOINT"; }
twine_upload() { "$TWINE" upload --repository codeartifact --non-interactive --disable-progress-bar "$@"; }
twine_upload "$TMP"/dist/kit_core-* >"$TMP/twine-core.out" 2>&1 ||
    { cat "$TMP/twine-core.out" >&2; fail "twine upload of Kit_Core failed"; }
twine_upload "$TMP"/dist/kit_app-* >"$TMP/twine-app.out" 2>&1 ||
    { cat "$TMP/twine-app.out" >&2; fail "twine upload of kit-app failed"; }
say "twine uploaded a wheel and an sdist of Kit_Core 1.0.0 and of kit-app 2.0.0"

# --- 3. login --tool pip, pip install in a fresh venv with no cache ---------------------------------
aws "${E[@]}" codeartifact login --tool pip --domain acme --repository releases | tee "$TMP/login-pip.out"
grep -q "Successfully configured pip to use AWS CodeArtifact repository $ENDPOINT" "$TMP/login-pip.out" ||
    fail "login --tool pip did not report the endpoint $ENDPOINT"
PIP="$TMP/app-venv/bin/pip"
"$PIP" config list >"$TMP/pip-config.out"
grep -Eq "^global.index-url='http://aws:[A-Za-z0-9._-]+@${ENDPOINT#http://}simple/'$" "$TMP/pip-config.out" ||
    { cat "$TMP/pip-config.out" >&2; fail "pip's configuration has no index-url with the token for ${ENDPOINT}simple/"; }
! grep -q "extra-index-url" "$TMP/pip-config.out" || fail "pip has an extra index: it could fall back to another one"
"$PIP" install --no-cache-dir --only-binary :all: kit-app >"$TMP/pip.out" 2>&1 ||
    { cat "$TMP/pip.out" >&2; fail "pip install kit-app failed"; }
grep -Eq "Successfully installed kit[-_]app-2.0.0 kit[-_]core-1.0.0" "$TMP/pip.out" ||
    { cat "$TMP/pip.out" >&2; fail "pip did not install kit-app 2.0.0 and kit-core 1.0.0"; }
[[ $("$TMP/app-venv/bin/python" -c 'import kit_app; print(kit_app.main())') == "kit-app+kit-core" ]] ||
    fail "the installed code does not run"
# The sdist the way pip finds it (pip would build it to read its metadata): the index's PEP 691
# page, then the link it gives, both with the index URL's credentials; and the wheel's PEP 658 file.
INDEX_URL=$(sed -n "s/^global.index-url='\(.*\)'$/\1/p" "$TMP/pip-config.out")
"$PY" - "$INDEX_URL" "$TMP/sdist.tar.gz" <<'EOF'
import base64, hashlib, json, sys, urllib.parse, urllib.request
index, out = sys.argv[1], sys.argv[2]
u = urllib.parse.urlsplit(index)
auth = "Basic " + base64.b64encode(f"{u.username}:{u.password}".encode()).decode()
base = urllib.parse.urlunsplit((u.scheme, u.netloc.split("@")[1], u.path, "", ""))
def get(url, accept="*/*"):
    req = urllib.request.Request(url, headers={"Authorization": auth, "Accept": accept})
    with urllib.request.urlopen(req) as r:
        return r.url, r.read()
page, body = get(base + "Kit.Core/", "application/vnd.pypi.simple.v1+json")
assert page.endswith("/kit-core/"), page
f = {f["filename"]: f for f in json.loads(body)["files"]}["kit_core-1.0.0.tar.gz"]
_, data = get(urllib.parse.urljoin(page, f["url"]))
assert hashlib.sha256(data).hexdigest() == f["hashes"]["sha256"]
assert f.get("requires-python") == ">=3.8", f  # the sdist's, as twine sent it with the upload
open(out, "wb").write(data)
# The wheel's core metadata (PEP 658/714) and Requires-Python, as in its METADATA.
import io, zipfile
w = {f["filename"]: f for f in json.loads(body)["files"]}["kit_core-1.0.0-py3-none-any.whl"]
assert w.get("requires-python") == ">=3.8", w
_, wheel = get(urllib.parse.urljoin(page, w["url"]))
_, meta = get(urllib.parse.urljoin(page, w["url"]) + ".metadata")
assert meta == zipfile.ZipFile(io.BytesIO(wheel)).read("kit_core-1.0.0.dist-info/METADATA")
assert hashlib.sha256(meta).hexdigest() == w["core-metadata"]["sha256"] == w["dist-info-metadata"]["sha256"]
EOF
cmp -s "$TMP/dist/kit_core-1.0.0.tar.gz" "$TMP/sdist.tar.gz" || fail "the sdist from the simple page differs"
say "pip install kit-app: kit-app and its private dependency kit-core came from Arca and run; Kit.Core redirects to kit-core, whose JSON page links the sdist and the wheel with its core metadata and Requires-Python"

# A bad token is refused (401), and pip says so.
if PIP_CONFIG_FILE=/dev/null "$PIP" download --no-cache-dir --no-deps -d "$TMP/bad" \
    --index-url "http://aws:not-a-token@${ENDPOINT#http://}simple/" kit-core >"$TMP/bad.out" 2>&1; then
    fail "pip with a bad token succeeded"
fi
grep -q "401" "$TMP/bad.out" || { cat "$TMP/bad.out" >&2; fail "pip with a bad token: no 401"; }
say "a bad token gets 401"

# --- 4. what the API shows -------------------------------------------------------------------------
# displayName is the name as twine sent it: twine turns the metadata's Kit_Core into Kit-Core.
CORE=(--domain acme --repository releases --format pypi --package Kit.Core --package-version 1.0.0)
aws "${E[@]}" codeartifact describe-package-version "${CORE[@]}" >"$TMP/describe.json"
json_check "$TMP/describe.json" 'd["packageVersion"]["format"] == "pypi" and "namespace" not in d["packageVersion"]
    and d["packageVersion"]["packageName"] == "kit-core" and d["packageVersion"]["status"] == "Published"
    and d["packageVersion"]["displayName"] == "Kit-Core" and d["packageVersion"]["summary"] == "The Acme kit core"
    and d["packageVersion"]["homePage"] == "https://acme.test/Kit_Core"
    and d["packageVersion"]["licenses"] == [{"name": "MIT"}]
    and d["packageVersion"]["origin"]["originType"] == "INTERNAL"'
aws "${E[@]}" codeartifact list-package-version-assets "${CORE[@]}" >"$TMP/assets.json"
json_check "$TMP/assets.json" '[a["name"] for a in d["assets"]] == ["kit_core-1.0.0-py3-none-any.whl", "kit_core-1.0.0.tar.gz"]'
for f in kit_core-1.0.0-py3-none-any.whl kit_core-1.0.0.tar.gz; do
    aws "${E[@]}" codeartifact get-package-version-asset "${CORE[@]}" --asset "$f" "$TMP/downloaded" >/dev/null
    cmp -s "$TMP/dist/$f" "$TMP/downloaded" || fail "$f differs from what twine uploaded"
done
APP=(--domain acme --repository releases --format pypi --package kit-app --package-version 2.0.0)
aws "${E[@]}" codeartifact list-package-version-dependencies "${APP[@]}" >"$TMP/deps.json"
json_check "$TMP/deps.json" 'd["dependencies"] == [{"package": "kit-core", "dependencyType": "Requires-Dist", "versionRequirement": ">=1.0"}]'
say "API: pypi kit-core 1.0.0 Published, displayName Kit-Core, metadata from the upload; both files byte-identical; kit-app's Requires-Dist listed"

# Other bytes under an existing file name are refused.
mkdir -p "$TMP/changed"
{ cat "$TMP/dist/kit_core-1.0.0.tar.gz"; echo; } >"$TMP/changed/kit_core-1.0.0.tar.gz"
if twine_upload "$TMP/changed/kit_core-1.0.0.tar.gz" >"$TMP/twine-again.out" 2>&1; then
    fail "twine upload of changed bytes under an existing file name succeeded"
fi
grep -q "409" "$TMP/twine-again.out" || { cat "$TMP/twine-again.out" >&2; fail "re-upload: no 409"; }
say "changed bytes under an existing file name: 409"

stop_server
say "PASS"
