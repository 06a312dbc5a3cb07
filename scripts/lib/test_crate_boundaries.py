"""Tests of scripts/lib/crate_boundaries.py on small dependency graphs."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import crate_boundaries as cb

NORMAL = [{"kind": None}]
DEV = [{"kind": "dev"}]


def metadata(edges, members=None, optional=None, features=None):
    """edges: {crate: [(dep, kinds)]}; every workspace crate of RULES exists.
    optional: {crate: [dep]} declared optional; features: {crate: {name: [...]}}."""
    optional, features = optional or {}, features or {}
    crates = set(cb.RULES) | set(edges) | {d for ds in edges.values() for d, _ in ds}
    members = members if members is not None else set(cb.RULES) | {c for c in edges if c.startswith("todo-")}

    def package(c):
        deps = [{"name": d, "kind": None, "optional": d in optional.get(c, [])} for d, _ in edges.get(c, [])]
        return {"id": f"{c} 1.0", "name": c, "dependencies": deps, "features": features.get(c, {})}

    return {
        "packages": [package(c) for c in sorted(crates)],
        "workspace_members": [f"{c} 1.0" for c in sorted(members)],
        "resolve": {
            "nodes": [
                {"id": f"{c} 1.0", "deps": [{"pkg": f"{d} 1.0", "dep_kinds": k} for d, k in edges.get(c, [])]}
                for c in sorted(crates)
            ]
        },
    }


# The graph as resolved today (todo-api turns on todo-domain's `openapi`
# feature, so utoipa is in it), so each test changes one thing.
TODAY = {"todo-domain": [("utoipa", NORMAL)], "todo-store": [("todo-domain", NORMAL)]}
OPENAPI_FEATURE = {"todo-domain": {"openapi": ["dep:utoipa"]}}


def check(edges, **kw):
    return cb.violations(metadata(edges, optional={"todo-domain": ["utoipa"]}, features=OPENAPI_FEATURE, **kw))


def test_todays_shape_passes():
    assert check(TODAY) == []


def test_an_opt_in_dependency_does_not_count_but_a_default_or_plain_one_does():
    plain = cb.violations(metadata(TODAY))
    assert plain == [
        "todo-domain depends on utoipa: the domain knows no HTTP, OpenAPI, database or other workspace crate",
        "todo-store depends on utoipa: the store knows no HTTP and no OpenAPI; it is below every service crate",
    ]
    on_by_default = {"todo-domain": {"default": ["openapi"], "openapi": ["dep:utoipa"]}}
    assert len(cb.violations(metadata(TODAY, optional={"todo-domain": ["utoipa"]}, features=on_by_default))) == 2


def test_a_transitive_forbidden_dependency_fails():
    edges = dict(TODAY, **{"todo-store": [("todo-domain", NORMAL), ("sqlx", NORMAL), ("helper", NORMAL)]})
    edges["helper"] = [("hyper", NORMAL)]
    problems = check(edges)
    assert problems == [
        "todo-store depends on hyper: the store knows no HTTP and no OpenAPI; it is below every service crate"
    ]


def test_dev_dependencies_do_not_count():
    edges = dict(TODAY, **{"todo-web": [("todo-api", DEV)]})
    assert check(edges) == []
    edges = dict(TODAY, **{"todo-web": [("todo-store", NORMAL)]})
    assert check(edges) == ["todo-web depends on todo-store: the web frontend reaches data only through the REST API"]


def test_a_fixed_known_violation_must_leave_the_list(monkeypatch):
    monkeypatch.setattr(cb, "KNOWN", {("todo-store", "hyper"): "some issue"})
    edges = dict(TODAY, **{"todo-store": [("todo-domain", NORMAL), ("hyper", NORMAL)]})
    assert check(edges) == []
    assert check(TODAY) == ["todo-store no longer depends on hyper: remove its KNOWN entry (some issue)"]


def test_a_crate_gone_from_the_workspace_is_reported():
    members = set(cb.RULES) - {"todo-builtin"}
    assert "todo-builtin: not in the workspace any more; update RULES" in check(TODAY, members=members)
