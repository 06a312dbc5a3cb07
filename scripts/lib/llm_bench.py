#!/usr/bin/env python3
"""Per-turn latency of the assistant against a real model, and builtin-first's share.

Run by scripts/bench-llm.sh. For each turn (streamed): the time to the first
`delta` event and the total. The first turn meets a cold prompt cache; the
next turns of the same conversation (and a new conversation) find the stable
prefix (instructions, tools, history) cached. Then the specification's eight
commands with builtin-first routing: how many never reached the model
(`assistant` is "builtin") and how long they took.

Usage: llm_bench.py MODEL_API_URL BUILTIN_FIRST_API_URL
"""

import json
import sys
import time
import urllib.error
import urllib.request

SPEC = [
    "Add a task to buy groceries",
    "Show me all my tasks",
    "What's pending?",
    "Mark task 3 as complete",
    "Delete the meeting task",
    "Change task 1 to 'Call mom tonight'",
    "I need to remember to pay bills",
    "What have I completed?",
]


def post(api, path, body, token=None, stream=False):
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST")
    req.add_header("content-type", "application/json")
    req.add_header("accept", "text/event-stream" if stream else "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    return urllib.request.urlopen(req, timeout=200)


def sign_up(api):
    email = f"bench-{time.time_ns()}@example.com"
    with post(api, "/api/auth/sign-up", {"email": email, "password": "Bench-pass-12345", "name": "b"}) as r:
        b = json.loads(r.read())
    return b["user"]["id"], b["token"]


def streamed_turn(api, user, message, conversation):
    body = {"message": message}
    if conversation is not None:
        body["conversation_id"] = conversation
    started = time.monotonic()
    first = None
    last = None
    try:
        with post(api, f"/api/{user[0]}/chat", body, user[1], stream=True) as r:
            event = None
            for raw in r:
                line = raw.decode().strip()
                if line.startswith("event:"):
                    event = line[6:].strip()
                    if event == "delta" and first is None:
                        first = time.monotonic() - started
                elif line.startswith("data:") and event in ("done", "error"):
                    last = (event, json.loads(line[5:]))
    except urllib.error.HTTPError as e:
        last = ("error", {"status": e.code})
    total = time.monotonic() - started
    conv = (last[1] or {}).get("conversation_id", conversation) if last else conversation
    return first, total, last[0] if last else "none", conv


def fmt(x):
    return "-" if x is None else f"{x:.1f} s"


def main():
    model_api, routed_api = sys.argv[1], sys.argv[2]
    user = sign_up(model_api)
    print("| turn | prompt cache | first token | total | outcome |")
    print("|---|---|---|---|---|")
    conv = None
    for i, (message, cache) in enumerate(
        [("hi, what can you do?", "cold"), ("and what is pending?", "warm"), ("thanks", "warm")]
    ):
        first, total, outcome, conv = streamed_turn(model_api, user, message, conv)
        print(f"| {i + 1} | {cache} | {fmt(first)} | {fmt(total)} | {outcome} |", flush=True)
    first, total, outcome, _ = streamed_turn(model_api, user, "hello again", None)
    print(f"| new conversation | warm (instructions + tools) | {fmt(first)} | {fmt(total)} | {outcome} |")

    user = sign_up(routed_api)
    builtin, times = 0, []
    for message in SPEC:
        started = time.monotonic()
        with post(routed_api, f"/api/{user[0]}/chat", {"message": message}, user[1]) as r:
            b = json.loads(r.read())
        times.append(time.monotonic() - started)
        builtin += b.get("assistant") == "builtin"
    print(
        f"\nbuiltin-first: {builtin}/{len(SPEC)} of the specification's commands answered without the model, "
        f"{1000 * sum(times) / len(times):.0f} ms per turn on average"
    )


if __name__ == "__main__":
    main()
