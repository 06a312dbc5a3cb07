"""Tests of scripts/lib/crate_boundaries.py on small dependency graphs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crate_boundaries as cb

NORMAL = [{"kind": None}]
DEV = [{"kind": "dev"}]


def metadata(edges, members=None):
    """edges: {crate: [(dep, kinds)]}; every workspace crate of RULES exists."""
    crates = set(cb.RULES) | set(edges) | {d for ds in edges.values() for d, _ in ds}
    members = members if members is not None else set(cb.RULES) | {c for c in edges if c.startswith("todo-")}
    return {
        "packages": [{"id": f"{c} 1.0", "name": c} for c in sorted(crates)],
        "workspace_members": [f"{c} 1.0" for c in sorted(members)],
        "resolve": {
            "nodes": [
                {"id": f"{c} 1.0", "deps": [{"pkg": f"{d} 1.0", "dep_kinds": k} for d, k in edges.get(c, [])]}
                for c in sorted(crates)
            ]
        },
    }


# The known violations as they are today, so each test changes one thing.
TODAY = {"todo-domain": [("utoipa", NORMAL)], "todo-store": [("todo-domain", NORMAL)]}


def test_todays_shape_passes():
    assert cb.violations(metadata(TODAY)) == []


def test_a_transitive_forbidden_dependency_fails():
    edges = dict(TODAY, **{"todo-store": [("todo-domain", NORMAL), ("sqlx", NORMAL), ("helper", NORMAL)]})
    edges["helper"] = [("hyper", NORMAL)]
    problems = cb.violations(metadata(edges))
    assert problems == [
        "todo-store depends on hyper: the store knows no HTTP and no OpenAPI; it is below every service crate"
    ]


def test_dev_dependencies_do_not_count():
    edges = dict(TODAY, **{"todo-web": [("todo-api", DEV)]})
    assert cb.violations(metadata(edges)) == []
    edges = dict(TODAY, **{"todo-web": [("todo-store", NORMAL)]})
    assert cb.violations(metadata(edges)) == [
        "todo-web depends on todo-store: the web frontend reaches data only through the REST API"
    ]


def test_the_probe_may_depend_on_nothing():
    edges = dict(TODAY, **{"todo-probe": [("libc", NORMAL)]})
    assert cb.violations(metadata(edges)) == [
        "todo-probe depends on libc: the health probe has no dependencies (it ships in every image)"
    ]


def test_a_fixed_known_violation_must_leave_the_list():
    edges = {"todo-store": [("todo-domain", NORMAL)]}
    problems = cb.violations(metadata(edges))
    assert len(problems) == 2
    assert all("no longer depends on utoipa: remove its KNOWN entry" in p for p in problems)


def test_a_crate_gone_from_the_workspace_is_reported():
    members = set(cb.RULES) - {"todo-builtin"}
    assert "todo-builtin: not in the workspace any more; update RULES" in cb.violations(metadata(TODAY, members))
