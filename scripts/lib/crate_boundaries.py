"""The crate boundaries ARCHITECTURE.md states, checked on the resolved
dependency graph (`cargo metadata`, normal dependencies, transitively).
An optional dependency that no default feature turns on does not count for the
crate that declares it: it is an adapter some other crate asks for (such as
todo-domain's `openapi` feature, which only todo-api enables).

    cargo metadata --format-version 1 --locked | python3 crate_boundaries.py

Exits 1 naming each crate that depends on what it must never know. A known
violation (listed in KNOWN with the work that removes it) is allowed while it
exists; once it is gone its entry must go too, so the list stays true.
Tests: scripts/lib/test_crate_boundaries.py.
"""

from __future__ import annotations

import json
import sys

HTTP = {"axum", "axum-core", "hyper", "hyper-util", "http", "http-body", "tower", "tower-http", "utoipa-axum"}
SERVER = {"axum", "axum-core", "utoipa-axum", "rmcp"}
DATABASE = {"sqlx", "sqlx-core", "sqlx-postgres", "sqlx-sqlite", "libsqlite3-sys"}
HTTP_CLIENT = {"reqwest"}
OPENAPI = {"utoipa"}

# crate -> (what it must never depend on, why)
RULES = {
    "todo-domain": (
        HTTP | DATABASE | HTTP_CLIENT | OPENAPI | {"todo-store", "todo-api", "todo-web", "todo-agent", "todo-auth"},
        "the domain knows no HTTP, OpenAPI, database or other workspace crate",
    ),
    "todo-store": (
        HTTP | HTTP_CLIENT | OPENAPI | {"todo-api", "todo-web", "todo-agent", "todo-auth"},
        "the store knows no HTTP and no OpenAPI; it is below every service crate",
    ),
    "todo-auth": (
        SERVER | DATABASE | {"todo-store", "todo-api", "todo-web"},
        "auth verifies tokens; it stores nothing",
    ),
    "todo-builtin": (
        HTTP | DATABASE | HTTP_CLIENT | {"tokio", "todo-domain", "todo-store", "todo-agent", "todo-api"},
        "the built-in assistant is a pure function of text and time",
    ),
    "todo-agent": (SERVER | {"todo-api", "todo-web"}, "the agent runs tools; it serves nothing"),
    "todo-web": (
        DATABASE | {"todo-store", "todo-api", "todo-agent", "todo-auth"},
        "the web frontend reaches data only through the REST API",
    ),
    "todo-test-support": (
        {
            "todo-domain",
            "todo-store",
            "todo-auth",
            "todo-api",
            "todo-web",
            "todo-agent",
            "todo-builtin",
            "todo-service",
        },
        "test support starts binaries; it knows no crate of the application (each test brings its own)",
    ),
}

# (crate, dependency) -> the work that removes it
KNOWN: dict[tuple[str, str], str] = {}


def opt_in_dependencies(package: dict) -> set[str]:
    """Names of the package's optional normal dependencies that its default
    features do not turn on."""
    features = package.get("features", {})
    on, todo = set(), list(features.get("default", []))
    while todo:
        f = todo.pop()
        if f not in on:
            on.add(f)
            todo.extend(features.get(f, []))
    enabled = {f.split(":", 1)[1].split("/")[0].rstrip("?") for f in on if f.startswith("dep:")}
    enabled |= {f.split("/")[0].rstrip("?") for f in on if "/" in f}
    enabled |= on
    return {
        d["name"]
        for d in package.get("dependencies", [])
        if d.get("optional") and d.get("kind") is None and d["name"] not in enabled
    }


def closure(metadata: dict) -> dict[str, set[str]]:
    """Workspace crate name -> names of everything it depends on (normal edges)."""
    names = {p["id"]: p["name"] for p in metadata["packages"]}
    opt_in = {p["id"]: opt_in_dependencies(p) for p in metadata["packages"]}
    deps: dict[str, list[str]] = {}
    for node in metadata["resolve"]["nodes"]:
        deps[node["id"]] = [
            d["pkg"]
            for d in node.get("deps", [])
            if any(k.get("kind") is None for k in d.get("dep_kinds", [])) and names[d["pkg"]] not in opt_in[node["id"]]
        ]
    out = {}
    for member in metadata["workspace_members"]:
        seen, todo = set(), list(deps.get(member, []))
        while todo:
            pkg = todo.pop()
            if pkg not in seen:
                seen.add(pkg)
                todo.extend(deps.get(pkg, []))
        out[names[member]] = {names[p] for p in seen}
    return out


def violations(metadata: dict) -> list[str]:
    graph = closure(metadata)
    problems = []
    for crate, (forbidden, why) in RULES.items():
        if crate not in graph:
            problems.append(f"{crate}: not in the workspace any more; update RULES")
            continue
        found = set(graph[crate]) if forbidden is None else graph[crate] & forbidden
        for dep in sorted(found):
            if (crate, dep) not in KNOWN:
                problems.append(f"{crate} depends on {dep}: {why}")
    for (crate, dep), work in KNOWN.items():
        if dep not in graph.get(crate, set()):
            problems.append(f"{crate} no longer depends on {dep}: remove its KNOWN entry ({work})")
    return problems


def main() -> int:
    problems = violations(json.load(sys.stdin))
    for p in problems:
        print(f"ERROR {p}")
    if not problems:
        known = ", ".join(f"{c} -> {d}" for c, d in KNOWN)
        print(f"crate boundaries hold for {len(RULES)} crates (known violations being fixed: {known or 'none'})")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
