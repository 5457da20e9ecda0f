"""What every bench group shares: signing, starting and stopping servers, wrk, the result table."""
import collections
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import urllib.parse

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY, SECRET, ACCOUNT = "AKIAARCABENCH0000001", "bench-secret-0123456789abcdefghijklmnopq", "111122223333"
TOKEN_SECRET = "bench-token-secret-0123456789abcdef"
CREDS = Credentials(KEY, SECRET)
MIB = 1024 * 1024
CACHE = os.path.expanduser(os.environ.get("ARCA_BENCH_CACHE", "~/.cache/arca-bench"))


def sign(method, url, body=b"", payload_hash=None):
    headers = {"x-amz-content-sha256": payload_hash} if payload_hash else {}
    req = AWSRequest(method=method, url=url, headers=headers, data=body)
    SigV4Auth(CREDS, "codeartifact", "us-east-1").add_auth(req)
    return {k: v for k, v in req.headers.items() if k.lower() in ("authorization", "x-amz-date", "x-amz-content-sha256")}


def q(**kw):
    return urllib.parse.urlencode(kw)


def ok(status_data, what):
    status, data = status_data
    if status != 200:
        raise RuntimeError(f"{what}: HTTP {status}: {data[:300]!r}")
    return data


def rss_mib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, path="/", seconds=60, proc=None):
    """Polls until `url + path` answers at all (any status); raises if `proc` exits first."""
    parsed = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {seconds} s")


def stop(proc, timeout=30):
    """SIGTERM, then SIGKILL: only for processes this bench started."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def nginx(root, port=None, server="", access_log=None):
    """nginx serving `root` on 127.0.0.1 (`server`: more directives of its server block; `access_log`:
    a file with one line per request, its URI). Returns (process, URL, its config directory)."""
    conf_dir = tempfile.mkdtemp(prefix="arca-bench-nginx-")
    port = port or free_port()
    log = f"log_format uri '$status $request_uri'; access_log {access_log} uri;" if access_log else "access_log off;"
    conf = f"""daemon off; worker_processes 2; pid {conf_dir}/nginx.pid; error_log {conf_dir}/error.log;
events {{ worker_connections 1024; }}
http {{ {log} sendfile on; tcp_nopush on; client_body_temp_path {conf_dir};
  proxy_temp_path {conf_dir}; fastcgi_temp_path {conf_dir}; uwsgi_temp_path {conf_dir}; scgi_temp_path {conf_dir};
  server {{ listen 127.0.0.1:{port}; root {root}; {server} }} }}"""
    with open(f"{conf_dir}/nginx.conf", "w") as f:
        f.write(conf)
    proc = subprocess.Popen(["nginx", "-c", f"{conf_dir}/nginx.conf", "-p", conf_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}", proc=proc)
    return proc, f"http://127.0.0.1:{port}", conf_dir


class Arca:
    """One `arca serve` on a free port; `env` adds settings (PostgreSQL, S3, token secret)."""

    def __init__(self, binary, data_dir, *args, env=None):
        full_env = dict(os.environ, ARCA_ACCESS_KEY_ID=KEY, ARCA_SECRET_ACCESS_KEY=SECRET, ARCA_ACCOUNT_ID=ACCOUNT,
                        ARCA_LOG="error", ARCA_GC_INTERVAL="0")
        full_env.update(env or {})
        self.started = time.monotonic()
        self.proc = subprocess.Popen([binary, "serve", "--listen", "127.0.0.1:0", "--data-dir", data_dir, *args],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, text=True)
        # Keep reading its output (a full pipe would stall the server); the log's tail explains failures.
        self.log = collections.deque(maxlen=20)
        threading.Thread(target=lambda: self.log.extend(self.proc.stderr), daemon=True).start()
        for line in self.proc.stdout:
            m = re.search(r"listening on http://(\S+)", line)
            if m:
                self.addr = m.group(1)
                break
        else:
            self.proc.wait(10)
            raise RuntimeError("arca did not start: " + "".join(self.log)[-2000:])
        self.url = "http://" + self.addr
        threading.Thread(target=lambda: collections.deque(self.proc.stdout, maxlen=0), daemon=True).start()

    def request(self, method, path, body=b"", payload_hash=None):
        host, port = self.addr.rsplit(":", 1)
        conn = http.client.HTTPConnection(host, int(port), timeout=600)
        headers = sign(method, self.url + path, body, payload_hash)
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        return resp.status, data

    def create(self, domain, repository):
        if self.request("POST", "/v1/domain?" + q(domain=domain))[0] not in (200, 409):
            raise RuntimeError(f"create domain {domain}")
        ok(self.request("POST", "/v1/repository?" + q(domain=domain, repository=repository)), "create repository")

    def token(self, domain):
        """A native-endpoint token (GetAuthorizationToken), as `aws codeartifact login` gets one."""
        data = ok(self.request("POST", "/v1/authorization-token?" + q(domain=domain, **{"domain-owner": ACCOUNT})),
                  "GetAuthorizationToken")
        return json.loads(data)["authorizationToken"]

    def endpoint(self, fmt, domain, repository):
        return f"{self.url}/{fmt}/d/{domain}-{ACCOUNT}/{repository}/"

    def stop(self):
        stop(self.proc)


def wrk(url, headers, connections=32, seconds=5, latency=False, threads=2, method="GET"):
    """Requests/s (and p50/p99 in ms with `latency`); any non-2xx answer is an error, not a figure."""
    cmd = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    script = None
    if method != "GET":
        script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
        script.write(f'wrk.method = "{method}"\n')
        script.close()
        cmd += ["-s", script.name]
    if latency:
        cmd.append("--latency")
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    try:
        out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    finally:
        if script:
            os.unlink(script.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses from {url}")
    lat = {}
    if latency:
        for p in ("50", "99"):
            m = re.search(rf"\s{p}(?:\.000)?%\s+([\d.]+)(us|ms|s)", out)
            value, unit = float(m.group(1)), m.group(2)
            lat[p] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    return rps, lat


def publish_load(binary, urls, publishers=8, seconds=10, namespace="load", domain="bench", repository="repo"):
    """Runs the Rust publish client (crates/arca/examples/publish_load.rs); returns its JSON summary."""
    cmd = [binary, "--publishers", str(publishers), "--seconds", str(seconds), "--namespace", namespace,
           "--domain", domain, "--repository", repository]
    for url in urls:
        cmd += ["--url", url]
    env = dict(os.environ, ARCA_ACCESS_KEY_ID=KEY, ARCA_SECRET_ACCESS_KEY=SECRET)
    out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout)
    if out["errors"]:
        raise RuntimeError(f"publish_load: {out['errors']} failed publishes, first: {out['first_error']}")
    return out


class Table:
    """Rows of medians with min-max over runs; printed as they come, saved as JSON by group."""

    def __init__(self, runs):
        self.runs = runs
        self.rows = []

    def row(self, group, what, values, unit, ref_values=None, ref_name="", target=""):
        values = values if isinstance(values, list) else [values]
        ref_values = ref_values if isinstance(ref_values, list) or ref_values is None else [ref_values]
        arca = statistics.median(values)
        reference = statistics.median(ref_values) if ref_values else None
        ratio = arca / reference if reference else None
        self.rows.append(dict(group=group, what=what, arca=arca, arca_min=min(values), arca_max=max(values),
                              unit=unit, reference=reference,
                              reference_min=min(ref_values) if ref_values else None,
                              reference_max=max(ref_values) if ref_values else None,
                              reference_name=ref_name, ratio=ratio, target=target))
        spread = f"({min(values):.1f}-{max(values):.1f})" if len(values) > 1 else ""
        ref = f"{reference:10.1f} ({ref_name})" if reference else ""
        print(f"  {what:52s} {arca:10.1f} {spread:19s} {unit:6s} {ref:26s} "
              f"{'%.2fx' % ratio if ratio else '':7s} target {target}", flush=True)

    def find(self, what, previous=()):
        """The median of a row measured in this run, else in the previous results, else None."""
        for r in list(self.rows) + list(previous):
            if r.get("what") == what:
                return r["arca"]
        return None

    def save(self, path, groups, previous, machine):
        """Writes this run's rows; with --only, keeps the other groups' rows from the previous file."""
        kept = [r for r in previous if r.get("group") not in groups]
        with open(path, "w") as f:
            json.dump(dict(machine=machine, runs=self.runs, rows=kept + self.rows), f, indent=1)
        print(f"written {path}")


def load_previous(path):
    try:
        with open(path) as f:
            return json.load(f).get("rows", [])
    except (OSError, ValueError):
        return []
