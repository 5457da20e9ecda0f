"""Context switches and CPU time (perf stat's software counters, which VMs without hardware counters
still have) per DescribePackageVersion and per 1 KiB publish, sent one after another on one
keep-alive connection: how many thread hand-offs a request costs (issue 12). Never a pass/fail test.

    python3 bench/handoffs.py target/release/arca"""
import sys, os, subprocess, hashlib, http.client, tempfile, time, re
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Arca, ok, q, sign
binary = sys.argv[1]; N = 2000
work = tempfile.mkdtemp()
arca = Arca(binary, f"{work}/data")
try:
    arca.create("bench", "repo")
    host, port = arca.addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port))
    C = dict(domain="bench", repository="repo", format="generic", namespace="bench", package="p")
    def publish(i):
        body = os.urandom(1024)
        path = "/v1/package/version/publish?" + q(**C, version=f"1.0.{i}", asset="a.bin")
        h = sign("POST", arca.url + path, body, hashlib.sha256(body).hexdigest()); h["Content-Type"] = "application/octet-stream"
        conn.request("POST", path, body=body, headers=h); r = conn.getresponse(); ok((r.status, r.read()), "publish")
    publish(0)
    path = "/v1/package/version?" + q(**C, version="1.0.0"); h = sign("GET", arca.url + path)
    def describe(i):
        conn.request("GET", path, headers=h); r = conn.getresponse(); ok((r.status, r.read()), "describe")
    for name, fn, n in [("describe", describe, N), ("publish", publish, 300)]:
        p = subprocess.Popen(["perf", "stat", "-e", "context-switches,task-clock", "-p", str(arca.proc.pid)], stderr=subprocess.PIPE, text=True)
        time.sleep(0.5)
        for i in range(1, n + 1): fn(i)
        p.send_signal(2); err = p.communicate()[1]
        cs = int(re.search(r"([\d,]+)\s+context-switches", err).group(1).replace(",", ""))
        ms = float(re.search(r"([\d.,]+)\s+msec task-clock", err).group(1).replace(",", ""))
        print(f"{name}: {cs/n:.2f} context switches/request, {ms*1000/n:.0f} us CPU/request (n={n})")
finally:
    arca.stop()
