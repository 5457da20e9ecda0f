"""`npm install` vs Verdaccio and `pip install` vs pypiserver (issues 3/4): the same generated private
packages published to both with the real clients, then one install of all of them, cold and warm,
timed wall clock with the same client and flags against each server."""
import base64
import concurrent.futures
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile

from common import CACHE, Arca, free_port, stop, wait_http

VERDACCIO = "6.8.0"  # 6.9+ needs Node.js 22; the machines have 20
PYPISERVER = "2.4.2"
WAITRESS = "3.0.2"


def deps_of(i):
    """A tree, not a chain: package i needs i-1 and i/2 (when they exist and differ)."""
    return sorted({j for j in (i - 1, i // 2) if 0 <= j < i})


# --- npm -------------------------------------------------------------------------------------------

def ensure_verdaccio():
    """Verdaccio, pinned, installed once under the bench cache (never into the repository)."""
    prefix = f"{CACHE}/verdaccio-{VERDACCIO}"
    binary = f"{prefix}/node_modules/.bin/verdaccio"
    if not os.path.exists(binary):
        os.makedirs(prefix, exist_ok=True)
        # verdaccio-audit asks for node-fetch@cjs, a dist-tag some registry mirrors lack: pin what it names.
        with open(f"{prefix}/package.json", "w") as f:
            json.dump({"private": True, "dependencies": {"verdaccio": VERDACCIO},
                       "overrides": {"verdaccio-audit": {"node-fetch": "2.7.0"}}}, f)
        print(f"installing verdaccio {VERDACCIO} into {prefix}", flush=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"], cwd=prefix, check=True)
    return binary


def npm_name(i):
    return f"@bench/pkg-{i:02d}" if i % 3 == 0 else f"bench-pkg-{i:02d}"


def make_npm_packages(root, count):
    """`count` small packages (a few source files each); every third one scoped."""
    dirs = []
    for i in range(count):
        d = f"{root}/p{i:02d}"
        os.makedirs(f"{d}/lib")
        deps = {npm_name(j): "^1.0.0" for j in deps_of(i)}
        with open(f"{d}/package.json", "w") as f:
            json.dump({"name": npm_name(i), "version": "1.0.0", "description": f"bench package {i}",
                       "main": "index.js", "license": "MIT", "dependencies": deps}, f, indent=1)
        requires = "".join(f'require("{n}");\n' for n in deps)
        with open(f"{d}/index.js", "w") as f:
            f.write(f'{requires}module.exports = () => "{npm_name(i)}";\n')
        for k in range(3):
            with open(f"{d}/lib/part{k}.js", "w") as f:
                f.write(f"// part {k} of package {i}\n" + "exports.v = [%s];\n" % ",".join(str(x) for x in range(200)))
        with open(f"{d}/README.md", "w") as f:
            f.write(f"# {npm_name(i)}\n\nA generated package for the bench.\n")
        dirs.append(d)
    return dirs


def npm_env(npmrc, cache):
    env = {k: v for k, v in os.environ.items() if not k.lower().startswith("npm_config_")}
    env.update(npm_config_userconfig=npmrc, npm_config_cache=cache, npm_config_update_notifier="false",
               npm_config_audit="false", npm_config_fund="false", npm_config_loglevel="error")
    return env


def write_npmrc(path, registry, token):
    with open(path, "w") as f:
        f.write(f"registry={registry}\n//{registry.split('://', 1)[1]}:_authToken={token}\n")


def launch_verdaccio(binary, work, config):
    """Verdaccio on a free port with storage under `work` and `config` (YAML: auth, uplinks,
    packages); returns (process, URL) once it answers."""
    port = free_port()
    os.makedirs(f"{work}/storage")
    with open(f"{work}/config.yaml", "w") as f:
        f.write(f"storage: {work}/storage\n{config}web: {{enable: false}}\n"
                "log: {type: stdout, format: pretty, level: error}\n")
    proc = subprocess.Popen([binary, "--config", f"{work}/config.yaml", "--listen", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_http(url, "/-/ping", proc=proc)
    except BaseException:
        stop(proc)
        raise
    return proc, url


def start_verdaccio(binary, work):
    proc, url = launch_verdaccio(binary, work, f"""auth:
  htpasswd:
    file: {work}/htpasswd
uplinks: {{}}
packages:
  '@*/*': {{access: $all, publish: $authenticated}}
  '**': {{access: $all, publish: $authenticated}}
""")
    try:
        # npm adduser's request: creates the user and answers with its token.
        req = urllib.request.Request(f"{url}-/user/org.couchdb.user:bench", method="PUT",
                                     data=json.dumps({"name": "bench", "password": "bench-password-1"}).encode(),
                                     headers={"Content-Type": "application/json"})
        token = json.loads(urllib.request.urlopen(req, timeout=30).read())["token"]
    except BaseException:
        stop(proc)
        raise
    return proc, url, token


def npm_publish_all(dirs, env):
    def publish(d):
        r = subprocess.run(["npm", "publish"], cwd=d, env=env, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"npm publish {d}: {r.stderr[-500:]}")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        list(pool.map(publish, dirs))


def npm_install(app, env, count):
    """One timed `npm install` in `app` (no node_modules, no lockfile); checks every package landed."""
    shutil.rmtree(f"{app}/node_modules", ignore_errors=True)
    if os.path.exists(f"{app}/package-lock.json"):
        os.unlink(f"{app}/package-lock.json")
    t0 = time.monotonic()
    r = subprocess.run(["npm", "install", "--no-audit", "--no-fund"], cwd=app, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - t0
    if r.returncode:
        raise RuntimeError(f"npm install: {r.stderr[-800:]}")
    missing = [npm_name(i) for i in range(count) if not os.path.exists(f"{app}/node_modules/{npm_name(i)}/index.js")]
    if missing:
        raise RuntimeError(f"npm install left out {missing[:5]}")
    return elapsed


def npm_rows(table, args, work):
    verdaccio = ensure_verdaccio()
    count = args.packages
    dirs = make_npm_packages(f"{work}/npm-src", count)
    arca = Arca(args.arca, f"{work}/npm-arca")
    servers = {}
    ver_proc = None
    try:
        arca.create("bench", "npm")
        servers["arca"] = (arca.endpoint("npm", "bench", "npm"), arca.token("bench"))
        ver_proc, ver_url, ver_token = start_verdaccio(verdaccio, f"{work}/verdaccio")
        servers["verdaccio"] = (ver_url, ver_token)
        times = {}
        for name, (registry, token) in servers.items():
            write_npmrc(f"{work}/{name}.npmrc", registry, token)
            npm_publish_all(dirs, npm_env(f"{work}/{name}.npmrc", f"{work}/{name}-publish-cache"))
            app = f"{work}/app-{name}"
            os.makedirs(app)
            with open(f"{app}/package.json", "w") as f:
                json.dump({"name": "app", "version": "0.0.0", "private": True,
                           "dependencies": {npm_name(i): "^1.0.0" for i in range(count)}}, f)
            times[name] = {"cold": [], "warm": []}
        for _ in range(args.runs):
            for name in servers:  # interleaved, so slow phases of a shared machine hit both
                cache = f"{work}/{name}-cache"
                shutil.rmtree(cache, ignore_errors=True)
                env = npm_env(f"{work}/{name}.npmrc", cache)
                times[name]["cold"].append(npm_install(f"{work}/app-{name}", env, count))
                times[name]["warm"].append(npm_install(f"{work}/app-{name}", env, count))
        for phase in ("cold", "warm"):
            table.row("npm", f"npm install {count} packages, {phase}", times["arca"][phase], "s",
                      times["verdaccio"][phase], "Verdaccio", "")
    finally:
        arca.stop()
        if ver_proc:
            stop(ver_proc)


# --- pip -------------------------------------------------------------------------------------------

def ensure_pypiserver():
    """pypiserver, pinned, in a venv under the bench cache, with waitress (what its `--server auto` picks first)."""
    venv = f"{CACHE}/pypiserver-{PYPISERVER}"
    binary = f"{venv}/bin/pypi-server"
    if not os.path.exists(binary):
        print(f"installing pypiserver {PYPISERVER} into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([f"{venv}/bin/pip", "install", "-q", f"pypiserver=={PYPISERVER}", f"waitress=={WAITRESS}"],
                       check=True)
    return binary


def pip_name(i):
    return f"bench-pkg-{i:02d}"


def build_wheel(out, i):
    """A pure-Python wheel written byte for byte the same every time (fixed zip timestamps)."""
    name, version, module = pip_name(i), "1.0.0", f"bench_pkg_{i:02d}"
    info = f"{module}-{version}.dist-info"
    requires = "".join(f"Requires-Dist: {pip_name(j)}>=1.0\n" for j in deps_of(i))
    files = {
        f"{module}/__init__.py": "".join(f"import bench_pkg_{j:02d}\n" for j in deps_of(i))
                                 + f"VALUES = {list(range(200))}\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                            f"Summary: bench package {i}\nRequires-Python: >=3.8\n{requires}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: arca-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{info}/top_level.txt": module + "\n",
    }
    record = []
    for path, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join(record) + f"\n{info}/RECORD,,\n"
    path = f"{out}/{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for p, text in files.items():
            z.writestr(zipfile.ZipInfo(p, date_time=(2020, 1, 1, 0, 0, 0)), text)
    return path


def pip_install(index_url, target, cache, count):
    """One timed `pip install --target` of all packages; checks every one landed."""
    shutil.rmtree(target, ignore_errors=True)
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
           "--index-url", index_url, "--target", target, "--cache-dir", cache] + [pip_name(i) for i in range(count)]
    t0 = time.monotonic()
    r = subprocess.run(cmd, capture_output=True, text=True, env={k: v for k, v in os.environ.items()
                                                                 if not k.startswith("PIP_")})
    elapsed = time.monotonic() - t0
    if r.returncode:
        raise RuntimeError(f"pip install: {r.stderr[-800:]}")
    missing = [i for i in range(count) if not os.path.exists(f"{target}/bench_pkg_{i:02d}/__init__.py")]
    if missing:
        raise RuntimeError(f"pip install left out {missing[:5]}")
    return elapsed


def pip_rows(table, args, work):
    pypiserver = ensure_pypiserver()
    count = args.packages
    os.makedirs(f"{work}/wheels")
    wheels = [build_wheel(f"{work}/wheels", i) for i in range(count)]
    twine = os.path.join(os.path.dirname(sys.executable), "twine")
    arca = Arca(args.arca, f"{work}/pip-arca")
    pps = None
    try:
        arca.create("bench", "pypi")
        endpoint, token = arca.endpoint("pypi", "bench", "pypi"), arca.token("bench")
        r = subprocess.run([twine, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url",
                            endpoint, "-u", "aws", "-p", token] + wheels, capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"twine upload: {r.stdout[-500:]} {r.stderr[-500:]}")
        # pypiserver serves the files of a directory: placing them is its documented way to publish.
        os.makedirs(f"{work}/pypiserver")
        for w in wheels:
            shutil.copy(w, f"{work}/pypiserver")
        port = free_port()
        pps = subprocess.Popen([pypiserver, "run", "-i", "127.0.0.1", "-p", str(port), "--server", "auto", "--disable-fallback",
                                f"{work}/pypiserver"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_http(f"http://127.0.0.1:{port}", "/simple/", proc=pps)
        indexes = {"arca": endpoint.replace("http://", f"http://aws:{token}@") + "simple/",
                   "pypiserver": f"http://127.0.0.1:{port}/simple/"}
        times = {name: {"cold": [], "warm": []} for name in indexes}
        for _ in range(args.runs):
            for name, index in indexes.items():
                cache = f"{work}/{name}-pip-cache"
                shutil.rmtree(cache, ignore_errors=True)
                for phase in ("cold", "warm"):
                    times[name][phase].append(pip_install(index, f"{work}/{name}-target", cache, count))
        for phase in ("cold", "warm"):
            table.row("pip", f"pip install {count} packages, {phase}", times["arca"][phase], "s",
                      times["pypiserver"][phase], "pypiserver", "")
    finally:
        arca.stop()
        if pps:
            stop(pps)


def native_read_rows(table, args, work):
    """An npm packument and a PyPI simple page of `--native-versions` versions each, at 32
    connections, against the bare axum handler answering the same bytes (issue 12)."""
    from api_rows import versus_axum
    from native_docs import NPM_NAME, PYPI_NAME, npm_publish_versions, pypi_upload_versions
    n = args.native_versions
    arca = Arca(args.arca, f"{work}/data")
    try:
        arca.create("bench", "npm")
        arca.create("bench", "pypi")
        token = arca.token("bench")
        npm, pypi = arca.endpoint("npm", "bench", "npm"), arca.endpoint("pypi", "bench", "pypi")
        npm_publish_versions(npm, token, n)
        pypi_upload_versions(pypi, token, n)
        bearer = {"Authorization": f"Bearer {token}"}
        versus_axum(table, args, work, "reads", f"npm packument, {n} versions", npm + NPM_NAME, "GET",
                    dict(bearer, Accept="application/json"), ">= 0.3x axum")
        versus_axum(table, args, work, "reads", f"npm abbreviated packument, {n} versions", npm + NPM_NAME, "GET",
                    dict(bearer, Accept="application/vnd.npm.install-v1+json"), "")
        basic = "Basic " + base64.b64encode(f"aws:{token}".encode()).decode()
        versus_axum(table, args, work, "reads", f"PyPI simple page, {n} files", f"{pypi}simple/{PYPI_NAME}/", "GET",
                    {"Authorization": basic}, ">= 0.3x axum")
    finally:
        arca.stop()
