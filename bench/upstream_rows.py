"""Upstream rows (issue 11): `npm install` and `pip install` of the generated packages through a proxy
of a stand-in "public registry", cold and warm: Arca (app -> store with `public:npmjs` / `public:pypi`)
vs Verdaccio (an uplink) and devpi-server (a mirror index), and vs installing straight from the
stand-in. Also the requests each install made to the stand-in (its access log).

The stand-in is nginx serving a static registry generated here: npm packuments (`dist.tarball`,
`shasum`, `integrity`, `time`) and `npm pack` tarballs; PEP 503 project pages (`#sha256=`,
`data-requires-python`, PEP 658/714 core metadata) and wheels. A CDN-fronted static registry is what
the public ones look like to a client, every proxy and the direct install talk to the same one, and
it is fast and constant, so what the proxies add is not hidden behind a slow source."""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import urllib.request
import zipfile

from common import CACHE, Arca, nginx, ok, q, stop, wait_http, free_port
from native_rows import (build_wheel, ensure_verdaccio, launch_verdaccio, make_npm_packages, npm_env, npm_install,
                         npm_name, pip_install, pip_name, write_npmrc)

DEVPI = "6.20.3"

# nginx: packuments at /{name} and /@scope%2f{name} (nginx decodes the %2f) from npm/{name}.json;
# tarballs, project pages and files by path.
STANDIN_SERVER = r"""
  location ~ "^/(@[^/]+/)?[^/@]+$" { default_type application/json; try_files /npm$uri.json =404; }
  location /simple/ { default_type text/html; }
"""


# --- the stand-in ----------------------------------------------------------------------------------

def standin_npm(www, dirs, url):
    """`npm pack`s the packages into the stand-in's tree and writes their packuments."""
    packed = f"{www}/packed"
    os.makedirs(packed)
    out = subprocess.run(["npm", "pack", "--json", "--pack-destination", packed, *dirs],
                         check=True, capture_output=True, text=True, env=npm_env("/dev/null", f"{www}/npm-cache")).stdout
    for entry, d in zip(json.loads(out), dirs):
        with open(f"{d}/package.json") as f:
            manifest = json.load(f)
        name, version = manifest["name"], manifest["version"]
        short = name.rsplit("/", 1)[-1]
        tarball = f"{name}/-/{short}-{version}.tgz"
        os.makedirs(os.path.dirname(f"{www}/{tarball}"), exist_ok=True)
        shutil.move(f"{packed}/{entry['filename']}", f"{www}/{tarball}")
        manifest.update(_id=f"{name}@{version}", dist=dict(tarball=f"{url}/{tarball}", shasum=entry["shasum"],
                                                          integrity=entry["integrity"]))
        doc = {"name": name, "dist-tags": {"latest": version}, "versions": {version: manifest},
               "time": {"created": "2020-01-01T00:00:00.000Z", "modified": "2020-01-01T00:00:00.000Z",
                        version: "2020-01-01T00:00:00.000Z"}}
        path = f"{www}/npm/{name}.json"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            json.dump(doc, f)
    shutil.rmtree(packed)


def standin_pypi(www, count):
    """The wheels, their core metadata files, one PEP 503 page per project and the root page."""
    files = f"{www}/files"
    os.makedirs(files)
    projects = []
    for i in range(count):
        wheel = build_wheel(files, i)
        base = os.path.basename(wheel)
        with open(wheel, "rb") as f:
            sha = hashlib.sha256(f.read()).hexdigest()
        with zipfile.ZipFile(wheel) as z:
            metadata = z.read(f"bench_pkg_{i:02d}-1.0.0.dist-info/METADATA")
        with open(f"{wheel}.metadata", "wb") as f:
            f.write(metadata)
        msha = hashlib.sha256(metadata).hexdigest()
        name = pip_name(i)
        os.makedirs(f"{www}/simple/{name}")
        with open(f"{www}/simple/{name}/index.html", "w") as f:
            f.write(f'<!DOCTYPE html>\n<html><body><h1>Links for {name}</h1>\n'
                    f'<a href="../../files/{base}#sha256={sha}" data-requires-python="&gt;=3.8" '
                    f'data-dist-info-metadata="sha256={msha}" data-core-metadata="sha256={msha}">{base}</a>\n'
                    f'</body></html>\n')
        projects.append(name)
    with open(f"{www}/simple/index.html", "w") as f:
        f.write("<!DOCTYPE html>\n<html><body>\n" + "".join(f'<a href="{p}/">{p}</a>\n' for p in projects)
                + "</body></html>\n")


class StandIn:
    """nginx over the generated registry; `requests()` counts what it was asked so far."""

    def __init__(self, work, dirs, count):
        self.www, self.log = f"{work}/www", f"{work}/access.log"
        os.makedirs(f"{self.www}/npm")
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        standin_npm(self.www, dirs, self.url)
        standin_pypi(self.www, count)
        # nginx workers run as an unprivileged user: let them read the tree.
        for root, subdirs, names in os.walk(work):
            os.chmod(root, 0o755)
            for n in names:
                os.chmod(os.path.join(root, n), 0o644)
        self.proc, _, self.conf_dir = nginx(self.www, port, STANDIN_SERVER, self.log)

    def requests(self):
        with open(self.log) as f:
            return sum(1 for _ in f)

    def stop(self):
        stop(self.proc)
        shutil.rmtree(self.conf_dir, ignore_errors=True)


# --- the proxies -----------------------------------------------------------------------------------

def arca_proxy(binary, data_dir, standin):
    """Arca with `public:npmjs` and `public:pypi` on the stand-in, and app -> store per format."""
    arca = Arca(binary, data_dir, "--external-connection", f"public:npmjs={standin.url}/",
                "--external-connection", f"public:pypi={standin.url}/simple/")
    try:
        ok(arca.request("POST", "/v1/domain?" + q(domain="bench")), "create domain")
        for fmt, connection in (("npm", "public:npmjs"), ("pypi", "public:pypi")):
            ok(arca.request("POST", "/v1/repository?" + q(domain="bench", repository=f"{fmt}-store")), "store")
            ok(arca.request("POST", "/v1/repository/external-connection?" + q(
                domain="bench", repository=f"{fmt}-store", **{"external-connection": connection})), "associate")
            body = json.dumps({"upstreams": [{"repositoryName": f"{fmt}-store"}]}).encode()
            ok(arca.request("POST", "/v1/repository?" + q(domain="bench", repository=f"{fmt}-app"), body), "app")
    except BaseException:
        arca.stop()
        raise
    return arca


def start_verdaccio_uplink(binary, work, standin):
    return launch_verdaccio(binary, work, f"""uplinks:
  standin: {{url: {standin.url}/}}
packages:
  '@*/*': {{access: $all, proxy: standin}}
  '**': {{access: $all, proxy: standin}}
""")


def ensure_devpi():
    """devpi-server, pinned, in a venv under the bench cache."""
    venv = f"{CACHE}/devpi-server-{DEVPI}"
    if not os.path.exists(f"{venv}/bin/devpi-server"):
        print(f"installing devpi-server {DEVPI} into {venv}", flush=True)
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        subprocess.run([f"{venv}/bin/pip", "install", "-q", f"devpi-server=={DEVPI}"], check=True)
    return f"{venv}/bin"


def devpi_request(url, method, path, body, auth=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["X-Devpi-Auth"] = auth
    req = urllib.request.Request(url + path, method=method, data=json.dumps(body).encode(), headers=headers)
    return json.loads(urllib.request.urlopen(req, timeout=60).read())


def start_devpi_mirror(bindir, work, standin):
    """devpi-server without root/pypi, and one mirror index root/standin of the stand-in's /simple/."""
    subprocess.run([f"{bindir}/devpi-init", "--serverdir", work, "--no-root-pypi", "--root-passwd", "bench"],
                   check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen([f"{bindir}/devpi-server", "--serverdir", work, "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(url, "/+api", proc=proc)
        token = devpi_request(url, "POST", "/+login", {"user": "root", "password": "bench"})["result"]["password"]
        auth = base64.b64encode(f"root:{token}".encode()).decode()
        devpi_request(url, "PUT", "/root/standin", {"type": "mirror", "mirror_url": f"{standin.url}/simple/"}, auth)
    except BaseException:
        stop(proc)
        raise
    return proc, f"{url}/root/standin/+simple/"


# --- the rows --------------------------------------------------------------------------------------

def measured(standin, install):
    """(seconds, requests the stand-in got) of one install."""
    before = standin.requests()
    seconds = install()
    return seconds, standin.requests() - before


def record(times, name, phase, result):
    times.setdefault(name, {}).setdefault(phase, []).append(result[0])
    times[name].setdefault(phase + "-requests", []).append(result[1])


def upstream_npm(work, args, standin, count, times):
    """One run: fresh proxies (empty storage), then for each way in: cold, then warm."""
    arca = arca_proxy(args.arca, f"{work}/arca-npm", standin)
    ver_proc = None
    try:
        ver_proc, ver_url = start_verdaccio_uplink(ensure_verdaccio(), f"{work}/verdaccio", standin)
        ways = {"arca": (arca.endpoint("npm", "bench", "npm-app"), arca.token("bench")),
                "verdaccio": (ver_url, None), "direct": (standin.url + "/", None)}
        for name, (registry, token) in ways.items():
            app = f"{work}/npm-app-{name}"
            os.makedirs(app)
            with open(f"{app}/package.json", "w") as f:
                json.dump({"name": "app", "version": "0.0.0", "private": True,
                           "dependencies": {npm_name(i): "^1.0.0" for i in range(count)}}, f)
            if token:
                write_npmrc(f"{work}/{name}.npmrc", registry, token)
            else:
                with open(f"{work}/{name}.npmrc", "w") as f:
                    f.write(f"registry={registry}\n")
            env = npm_env(f"{work}/{name}.npmrc", f"{work}/npm-cache-{name}")
            for phase in ("cold", "warm"):
                record(times, name, phase, measured(standin, lambda: npm_install(app, env, count)))
    finally:
        arca.stop()
        if ver_proc:
            stop(ver_proc)


def upstream_pip(work, args, standin, count, times):
    arca = arca_proxy(args.arca, f"{work}/arca-pip", standin)
    devpi_proc = None
    try:
        devpi_proc, devpi_index = start_devpi_mirror(ensure_devpi(), f"{work}/devpi", standin)
        endpoint, token = arca.endpoint("pypi", "bench", "pypi-app"), arca.token("bench")
        ways = {"arca": endpoint.replace("http://", f"http://aws:{token}@") + "simple/",
                "devpi": devpi_index, "direct": standin.url + "/simple/"}
        for name, index in ways.items():
            cache = f"{work}/pip-cache-{name}"
            for phase in ("cold", "warm"):
                record(times, name, phase,
                       measured(standin, lambda: pip_install(index, f"{work}/pip-target-{name}", cache, count)))
    finally:
        arca.stop()
        if devpi_proc:
            stop(devpi_proc)


def upstream_rows(table, args, work):
    count = args.packages
    dirs = make_npm_packages(f"{work}/npm-src", count)
    standin = StandIn(f"{work}/standin", dirs, count)
    try:
        npm, pip = {}, {}
        for run in range(args.runs):
            upstream_npm(f"{work}/npm-{run}", args, standin, count, npm)
            upstream_pip(f"{work}/pip-{run}", args, standin, count, pip)
        for tool, times, rival in (("npm", npm, "Verdaccio"), ("pip", pip, "devpi-server")):
            other = "verdaccio" if tool == "npm" else "devpi"
            warm_target = ">= 3x faster" if tool == "npm" else ">= 2x faster"
            what = f"{tool} install {count} via upstream"
            table.row("upstream", f"{what}, cold", times["arca"]["cold"], "s", times[other]["cold"], rival, "")
            table.row("upstream", f"{what}, cold, vs direct", times["arca"]["cold"], "s", times["direct"]["cold"],
                      "straight from the stand-in", "<= 1.5x direct")
            table.row("upstream", f"{what}, warm", times["arca"]["warm"], "s", times[other]["warm"], rival,
                      warm_target)
            for phase in ("cold", "warm"):
                table.row("upstream", f"{what}, {phase}: stand-in requests", times["arca"][f"{phase}-requests"],
                          "req", times[other][f"{phase}-requests"], rival, "fewest")
            print(f"  ({rival}: cold {sorted(times[other]['cold'])} s; straight from the stand-in: cold "
                  f"{sorted(times['direct']['cold'])} s, warm {sorted(times['direct']['warm'])} s, "
                  f"{times['direct']['cold-requests']} requests cold)", flush=True)
    finally:
        standin.stop()
