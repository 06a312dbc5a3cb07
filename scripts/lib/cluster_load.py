#!/usr/bin/env python3
"""A bounded HTTP load for scripts/test-cluster.sh: a fixed request rate for a
fixed time (or until a stop file appears), through the Ingress, counting every
request that failed and keeping the id of every write the server acknowledged.

  cluster_load.py --addr 10.96.0.80 --host todo.local --tls --token T --user U \
      --rate 20 --seconds 60 --writes 0.3 --out result.json [--stop-file F]
  (--path-post /api/auth/sign-in --body-file creds.json: only that POST, for CPU)

Failure: no answer (connection error, timeout) or an unexpected status (reads
expect 200, writes 201). The JSON result: requests, failed, failures (the first
20), acked (ids of created tasks), p50/p95 latency in ms, first/last failure
times relative to the start.
"""

import argparse
import http.client
import json
import os
import ssl
import threading
import time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--addr", required=True)
    ap.add_argument("--host", required=True)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--token", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--rate", type=float, default=10)
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--writes", type=float, default=0.0, help="share of requests that create a task")
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--path", default="", help="read path (default /api/USER/tasks?limit=5)")
    ap.add_argument("--path-post", default="", help="POST this path with --body-file instead (expects 200)")
    ap.add_argument("--body-file", default="")
    ap.add_argument("--stop-file", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    read_path = a.path or f"/api/{a.user}/tasks?limit=5"
    post_body = Path(a.body_file).read_text() if a.body_file else ""
    lock = threading.Lock()
    res = {"requests": 0, "failed": 0, "failures": [], "acked": [], "lat": [], "fail_t": []}
    start = time.monotonic()
    deadline = start + a.seconds
    interval = a.workers / a.rate  # each worker's share of the rate
    ctx = ssl._create_unverified_context() if a.tls else None  # staging: self-signed issuer

    def conn():
        if a.tls:
            # SNI and Host name the app; the TCP connection goes to the Ingress address.
            return _SNIConn(a.addr, a.host, ctx)
        return http.client.HTTPConnection(a.addr, a.port or 80, timeout=10)

    def worker(n):
        c = conn()
        seq = 0
        nxt = time.monotonic() + n * interval / a.workers
        while True:
            now = time.monotonic()
            if now >= deadline or (a.stop_file and os.path.exists(a.stop_file)):
                break
            if now < nxt:
                time.sleep(nxt - now)
            nxt += interval
            seq += 1
            write = a.writes > 0 and (seq * a.writes) % 1 < a.writes
            hdr = {"Host": a.host, "Authorization": f"Bearer {a.token}", "Accept": "application/json"}
            t0 = time.monotonic()
            err = None
            tid = None
            try:
                if a.path_post:
                    hdr["Content-Type"] = "application/json"
                    c.request("POST", a.path_post, body=post_body, headers=hdr)
                    r = c.getresponse()
                    body = r.read()
                    if r.status != 200:
                        err = f"POST {r.status} {body[:120]!r}"
                elif write:
                    title = f"load {n}-{seq}-{int(t0 * 1000)}"
                    hdr["Content-Type"] = "application/json"
                    c.request("POST", f"/api/{a.user}/tasks", body=json.dumps({"title": title}), headers=hdr)
                    r = c.getresponse()
                    body = r.read()
                    if r.status != 201:
                        err = f"POST {r.status} {body[:120]!r}"
                    else:
                        tid = json.loads(body).get("id")
                else:
                    c.request("GET", read_path, headers=hdr)
                    r = c.getresponse()
                    body = r.read()
                    if r.status != 200:
                        err = f"GET {r.status} {body[:120]!r}"
                if r.getheader("connection", "").lower() == "close":
                    c.close()
                    c = conn()
            except Exception as e:  # noqa: BLE001 - every failure counts
                err = f"{'POST' if write else 'GET'} {type(e).__name__}: {e}"
                c.close()
                c = conn()
            dt = (time.monotonic() - t0) * 1000
            with lock:
                res["requests"] += 1
                res["lat"].append(dt)
                if err:
                    res["failed"] += 1
                    res["fail_t"].append(round(t0 - start, 2))
                    if len(res["failures"]) < 20:
                        res["failures"].append(f"{t0 - start:.2f}s {err}")
                elif tid is not None:
                    res["acked"].append(tid)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(a.workers)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    lat = sorted(res.pop("lat"))
    ft = res.pop("fail_t")
    res["seconds"] = round(time.monotonic() - start, 1)
    res["p50_ms"] = round(lat[len(lat) // 2], 1) if lat else None
    res["p95_ms"] = round(lat[int(len(lat) * 0.95)], 1) if lat else None
    res["first_failure_s"] = min(ft) if ft else None
    res["last_failure_s"] = max(ft) if ft else None
    with open(a.out, "w") as f:
        json.dump(res, f)
    print(json.dumps({k: v for k, v in res.items() if k != "acked"}))


class _SNIConn(http.client.HTTPSConnection):
    """HTTPS to ADDR with SNI HOST (like curl --resolve)."""

    def __init__(self, addr, sni, ctx):
        super().__init__(addr, 443, timeout=10, context=ctx)
        self._sni = sni
        self._ctx = ctx

    def connect(self):
        http.client.HTTPConnection.connect(self)
        self.sock = self._ctx.wrap_socket(self.sock, server_hostname=self._sni)


if __name__ == "__main__":
    main()
