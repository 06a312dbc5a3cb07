#!/usr/bin/env python3
"""The task list's cost against how many tasks a user has (issue 15's table).

Seeds one database (PostgreSQL through psql, or a SQLite file) with three users
of 100, 10,000 and 100,000 tasks among 200,000 tasks of 10,000 other users,
then times each list request one at a time (keep-alive, median of 15 after two
warm-ups) for each of the three users, and prints the table with the ratio of
the 100,000-task column to the 100-task one. A `cursor` row reads the page in
the middle of the list by cursor (walked there first), the `offset` row the
same place by offset.

    scale_bench.py --api URL --db postgres --psql "psql ARGS" | --db sqlite --sqlite FILE
"""

import argparse
import http.client
import json
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse

SIZES = [100, 10_000, 100_000]
OTHERS, OTHER_TASKS = 10_000, 200_000
BASE_MS = 1_796_000_000_000
ROWS = [
    ("limit=100", "limit=100"),
    ("limit=100&offset=<middle>", "offset"),
    ("limit=100&cursor=<middle>", "cursor"),
    ("q=needle&limit=100", "q=needle&limit=100"),
    ("tag=rare&limit=100", "tag=rare&limit=100"),
    ("status=pending&sort=due&limit=100", "status=pending&sort=due&limit=100"),
    ("priority=high&sort=title&limit=100", "priority=high&sort=title&limit=100"),
]


def seed_sql(user: str, n: int, recursive: bool) -> str:
    """One INSERT of n tasks for user: every 1,000th title has "needle", every
    5,000th task the tag "rare", a quarter high priority, a third completed,
    half with a due instant and a fifth all day."""
    rows = (
        f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) SELECT g FROM s"
        if recursive
        else f"SELECT g FROM generate_series(CAST(1 AS BIGINT), {n}) AS g"
    )
    title = "'task ' || g || CASE WHEN g % 1000 = 0 THEN ' needle' ELSE '' END"
    desc = "'details of task ' || g"
    return f"""
INSERT INTO tasks (number, user_id, title, description, completed, priority, tags, due_at, due_day,
                   created_at, updated_at, revision, title_folded, description_folded, search_revision)
SELECT g, '{user}', {title}, {desc}, g % 3 = 0, g % 4,
       CASE WHEN g % 5000 = 0 THEN '["rare"]' ELSE '["t' || (g % 10) || '"]' END,
       CASE WHEN g % 2 = 0 THEN {BASE_MS} + g * 60000 END,
       CASE WHEN g % 10 = 1 THEN 20800 + g % 400 END,
       {BASE_MS} + g * 1000, {BASE_MS} + g * 1000, 0, LOWER({title}), LOWER({desc}), 0
FROM ({rows}) AS seq;
INSERT INTO user_quotas (user_id, last_task_number) VALUES ('{user}', {n})
  ON CONFLICT (user_id) DO UPDATE SET last_task_number = {n};
"""


def others_sql(recursive: bool) -> str:
    rows = (
        f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {OTHER_TASKS}) SELECT g FROM s"
        if recursive
        else f"SELECT g FROM generate_series(CAST(1 AS BIGINT), {OTHER_TASKS}) AS g"
    )
    return f"""
INSERT INTO tasks (number, user_id, title, description, completed, priority, tags, created_at, updated_at,
                   revision, title_folded, description_folded, search_revision)
SELECT g / {OTHERS} + 1, 'other-' || (g % {OTHERS}), 'other task ' || g, 'someone else', g % 3 = 0, g % 4,
       '["t1"]', {BASE_MS} + g, {BASE_MS} + g, 0, 'other task ' || g, 'someone else', 0
FROM ({rows}) AS seq;
"""


class Api:
    def __init__(self, url: str):
        u = urllib.parse.urlparse(url)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)

    def call(self, method, path, token=None, body=None):
        headers = {"content-type": "application/json"}
        if token:
            headers["authorization"] = f"Bearer {token}"
        payload = json.dumps(body) if body is not None else None
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            res = self.conn.getresponse()
        except (http.client.RemoteDisconnected, ConnectionError):
            # The server closes a keep-alive connection left idle (the seeding).
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=120)
            self.conn.request(method, path, body=payload, headers=headers)
            res = self.conn.getresponse()
        data = res.read()
        if res.status >= 300:
            sys.exit(f"{method} {path}: {res.status} {data[:300]!r}")
        return res, data


def timed(api: Api, path: str, token: str) -> float:
    for _ in range(2):
        api.call("GET", path, token)
    samples = []
    for _ in range(15):
        t = time.perf_counter()
        api.call("GET", path, token)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def middle_cursor(api: Api, user: dict, n: int) -> str:
    """Walks by cursor to the middle of the user's list, 100 at a time."""
    step = min(100, n // 2)
    path = f"/api/{user['id']}/tasks?limit={step}"
    cursor = ""
    for _ in range(n // 2 // step):
        res, _ = api.call("GET", path + (f"&cursor={cursor}" if cursor else ""), user["token"])
        cursor = res.getheader("x-next-cursor") or ""
        if not cursor:
            break
    return cursor


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--api", required=True, help="base URL of a running todo-api")
    p.add_argument("--db", choices=["postgres", "sqlite"], required=True)
    p.add_argument("--psql", help="psql command line for the API's PostgreSQL database")
    p.add_argument("--sqlite", help="the API's SQLite file")
    a = p.parse_args()

    api = Api(a.api)
    users = []
    for n in SIZES:
        _, data = api.call(
            "POST",
            "/api/auth/sign-up",
            body={"email": f"scale-{n}@example.com", "password": "scale password", "name": "S"},
        )
        body = json.loads(data)
        users.append({"id": body["user"]["id"], "token": body["token"], "n": n})

    t = time.perf_counter()
    recursive = a.db == "sqlite"
    script = others_sql(recursive) + "".join(seed_sql(u["id"], u["n"], recursive) for u in users)
    if a.db == "postgres":
        subprocess.run(
            a.psql.split() + ["-q", "-v", "ON_ERROR_STOP=1"],
            input=script + "VACUUM ANALYZE tasks;",
            text=True,
            check=True,
        )
    else:
        db = sqlite3.connect(a.sqlite, timeout=60)
        db.executescript(script + "ANALYZE;")
        db.close()
    print(f"seeded {OTHER_TASKS + sum(SIZES):,} tasks in {time.perf_counter() - t:.1f} s", file=sys.stderr)

    table = {}
    for u in users:
        base = f"/api/{u['id']}/tasks?"
        middle = u["n"] // 2
        cursor = middle_cursor(api, u, u["n"])
        for label, query in ROWS:
            if query == "offset":
                query = f"limit=100&offset={middle}"
            elif query == "cursor":
                if not cursor:  # a build without cursors (--compare)
                    table.setdefault(label, []).append(float("nan"))
                    continue
                query = f"limit=100&cursor={cursor}"
            table.setdefault(label, []).append(timed(api, base + query, u["token"]))

    print(f"\n{a.db}: list latency, median of 15 (ms), one request at a time")
    print(f"| request | {' | '.join(f'{n:,} tasks' for n in SIZES)} | {SIZES[-1]:,} / {SIZES[0]:,} |")
    print("|---|" + "---|" * (len(SIZES) + 1))
    for label, ms in table.items():
        print(f"| `{label}` | {' | '.join(f'{m:.1f}' for m in ms)} | {ms[-1] / ms[0]:.1f}x |")


if __name__ == "__main__":
    main()
