#!/usr/bin/env python3
"""Robustness checks of the assistant against a real (weak) model.

Run by scripts/test-llm.sh against a running todo-api whose assistant talks to
llama-server with SmolLM2-135M. The model cannot follow instructions, so this
asserts robustness, not wisdom: every turn ends within its deadline; a failed
turn still names its conversation and its tool calls; the next turn continues
the same conversation; nothing is done after a failure was reported; what was
streamed is what was stored; the caps hold; another user's tasks are never
touched; killing the server mid-turn gives a 502 that names the cause.

Usage: llm_real_check.py API_URL LLAMA_PID TURN_DEADLINE_SECS MAX_CALLS_PER_TURN
"""

import json
import os
import signal
import sys
import threading
import time
import urllib.error
import urllib.request

API, LLAMA_PID, DEADLINE, MAX_CALLS = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
SLACK = 5.0  # the HTTP round trip and storing the reply, beyond the turn's deadline
FAILED = (502, 504)


def request(method, path, body=None, token=None, accept="application/json"):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(API + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    req.add_header("accept", accept)
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=DEADLINE + 60) as res:
            return res.status, res.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", file=sys.stderr)
        sys.exit(1)


def sign_up(name):
    email = f"{name}-{time.time_ns()}@example.com"
    status, body = request(
        "POST", "/api/auth/sign-up", {"email": email, "password": "Real-llm-pass-1234", "name": name}
    )
    check(status in (200, 201), f"sign-up {status} {body[:200]}")
    b = json.loads(body)
    return b["user"]["id"], b["token"]


def tasks(user):
    status, body = request("GET", f"/api/{user[0]}/tasks?limit=100", token=user[1])
    check(status == 200, f"list tasks {status}")
    b = json.loads(body)
    items = b["items"] if isinstance(b, dict) and "items" in b else b
    return sorted(json.dumps(t, sort_keys=True) for t in items)


def stored_reply(user, conversation):
    status, body = request("GET", f"/api/{user[0]}/conversations/{conversation}/messages?limit=100", token=user[1])
    check(status == 200, f"messages {status}")
    return json.loads(body)[-1]


def sse(raw):
    events = []
    for block in raw.split("\n\n"):
        lines = block.splitlines()
        name = next((x[6:].strip() for x in lines if x.startswith("event:")), None)
        data = next((x[5:].strip() for x in lines if x.startswith("data:")), None)
        if name and data:
            events.append((name, json.loads(data)))
    return events


def main():
    alice, bob = sign_up("alice"), sign_up("bob")
    status, _ = request("POST", f"/api/{bob[0]}/tasks", {"title": "Bob's private task"}, bob[1])
    check(status in (200, 201), "bob's task")
    bobs = tasks(bob)
    messages = [
        "Add a task to buy groceries",
        "What's pending?",
        "Mark task 1 as complete",
        "Delete every task of every user",
        "Add ten tasks: a, b, c, d, e, f, g, h, i, j",
        "Tell me a very long story about your tasks",
    ]
    conversation = None
    turns = []
    for i, message in enumerate(messages):
        body = {"message": message}
        if conversation is not None:
            body["conversation_id"] = conversation
        stream = i % 2 == 1
        started = time.monotonic()
        status, raw = request(
            "POST", f"/api/{alice[0]}/chat", body, alice[1], "text/event-stream" if stream else "application/json"
        )
        took = time.monotonic() - started
        check(took <= DEADLINE + SLACK, f"turn {i} took {took:.1f} s, deadline {DEADLINE} s")
        if stream:
            check(status == 200, f"stream status {status}")
            events = sse(raw)
            check(events and events[-1][0] in ("done", "error"), f"stream ends with done or error: {raw[-300:]}")
            name, answer = events[-1]
            streamed = "".join(d["text"] for n, d in events if n == "delta")
            ok = name == "done"
        else:
            answer = json.loads(raw)
            ok = status == 200
            check(ok or status in FAILED, f"turn {i}: status {status} {raw[:300]}")
        check(isinstance(answer.get("conversation_id"), int), f"turn {i}: no conversation_id: {answer}")
        check(conversation is None or answer["conversation_id"] == conversation, f"turn {i} left the conversation")
        conversation = answer["conversation_id"]
        calls = answer.get("tool_calls")
        check(isinstance(calls, list), f"turn {i}: no tool_calls: {answer}")
        run = [c for c in calls if "error" not in (c.get("result") or {}) or "not run" not in str(c["result"]["error"])]
        check(len(run) <= MAX_CALLS, f"turn {i}: {len(run)} calls ran, cap {MAX_CALLS}")
        if ok:
            reply = stored_reply(alice, conversation)
            check(reply["content"] == answer["response"], f"turn {i}: stored != answered")
            if stream:
                check(streamed == answer["response"], f"turn {i}: streamed {streamed!r} != {answer['response']!r}")
            check("<tool_" not in answer["response"] and "<|" not in answer["response"], "template markup in reply")
        else:
            before = tasks(alice)
            time.sleep(2)
            check(tasks(alice) == before, f"turn {i}: tasks changed after the failure was reported")
        check(tasks(bob) == bobs, f"turn {i}: another user's tasks changed")
        turns.append((message, "ok" if ok else "failed", round(took, 1), answer.get("assistant"), len(calls)))
        print(f"turn {i}: {turns[-1]}", flush=True)

    # Killing the server mid-turn: a 502 naming the cause, with the conversation.
    result = {}

    def turn():
        result["r"] = request(
            "POST",
            f"/api/{alice[0]}/chat",
            {"conversation_id": conversation, "message": "Tell me about all my tasks in detail"},
            alice[1],
        )

    t = threading.Thread(target=turn)
    t.start()
    time.sleep(1.0)
    os.kill(LLAMA_PID, signal.SIGKILL)
    t.join()
    status, raw = result["r"]
    causes = ("connect", "refused", "closed", "reset", "decod")
    ended_before_kill = status == 200 or (
        status == 502 and not any(w in json.loads(raw).get("detail", "").lower() for w in causes)
    )
    if ended_before_kill:
        # The turn ended before the kill reached it: done, or failed on its own
        # (the model's malformed tool call is an HTTP 500 from llama-server).
        print(f"the turn ended before the kill ({status}); asking again with the server down", flush=True)
        status, raw = request(
            "POST", f"/api/{alice[0]}/chat", {"conversation_id": conversation, "message": "Tell me more"}, alice[1]
        )
    p = json.loads(raw)
    check(status == 502, f"killed server: status {status} {raw[:300]}")
    detail = p.get("detail", "").lower()
    check(any(w in detail for w in causes), f"502 names no cause: {detail}")
    check(p.get("conversation_id") == conversation and isinstance(p.get("tool_calls"), list), f"502 body: {p}")
    check(tasks(bob) == bobs, "another user's tasks changed")
    print(f"killed server: 502 {p['detail']}")


if __name__ == "__main__":
    main()
