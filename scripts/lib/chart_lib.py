"""Helpers for scripts/test-chart.sh and scripts/lib/chart_tests.py.

- render(): `helm template` the chart with value files / --set flags.
- split: separate custom-resource objects (HTTPRoute, ServiceMonitor) from
  core Kubernetes objects, because kubernetes-validate only knows the core
  API and merely *warns* on unknown kinds.
- validate-crds: validate those custom resources against the
  openAPIV3Schema of the upstream CRDs (Gateway API, prometheus-operator),
  made strict like `kubectl apply --validate=strict`: unknown fields fail.

CLI (used by test-chart.sh):
  python chart_lib.py split RENDER.yaml CORE_OUT.yaml CRD_OUT.yaml
  python chart_lib.py validate-crds CRD_OUT.yaml
  python chart_lib.py count RENDER.yaml
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "todo-app"

# kind -> environment variable naming the upstream CRD file (set by test-chart.sh)
CRD_ENV = {
    ("gateway.networking.k8s.io/v1", "HTTPRoute"): "TODO_CRD_HTTPROUTE",
    ("monitoring.coreos.com/v1", "ServiceMonitor"): "TODO_CRD_SERVICEMONITOR",
}


def helm_bin() -> str:
    return os.environ.get("HELM", "helm")


def render(
    values_files: list[str | Path] = (),
    set_values: dict | None = None,
    kube_version: str | None = None,
    release: str = "t",
    namespace: str = "todo-app",
    check: bool = True,
    extra_args: list[str] = (),
) -> subprocess.CompletedProcess:
    """Run `helm template`; return the CompletedProcess (stdout = manifests)."""
    cmd = [helm_bin(), "template", release, str(CHART), "--namespace", namespace]
    cmd += ["--kube-version", kube_version or os.environ.get("TODO_KUBE_NEWEST", "1.37.0")]
    for f in values_files:
        p = Path(f)
        cmd += ["-f", str(p if p.is_absolute() else CHART / p)]
    for k, v in (set_values or {}).items():
        # Python str -> --set-string; bool/int -> --set (typed).
        if isinstance(v, bool):
            cmd += ["--set", f"{k}={'true' if v else 'false'}"]
        elif isinstance(v, int):
            cmd += ["--set", f"{k}={v}"]
        else:
            cmd += ["--set-string", f"{k}={v}"]
    cmd += list(extra_args)
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if check and proc.returncode != 0:
        raise RuntimeError(f"helm template failed ({' '.join(cmd)}):\n{proc.stderr}")
    return proc


def load_docs(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def is_custom(doc: dict) -> bool:
    return (doc.get("apiVersion"), doc.get("kind")) in CRD_ENV


def split(text: str) -> tuple[list[dict], list[dict]]:
    docs = load_docs(text)
    return [d for d in docs if not is_custom(d)], [d for d in docs if is_custom(d)]


def _strictify(node):
    """Reject unknown fields wherever the CRD schema lists properties."""
    if isinstance(node, dict):
        if (
            "properties" in node
            and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")
        ):
            node["additionalProperties"] = False
        for v in node.values():
            _strictify(v)
    elif isinstance(node, list):
        for v in node:
            _strictify(v)
    return node


_schema_cache: dict = {}


def crd_schema(api_version: str, kind: str) -> dict:
    key = (api_version, kind)
    if key in _schema_cache:
        return _schema_cache[key]
    env = CRD_ENV[key]
    path = os.environ.get(env)
    if not path or not Path(path).is_file():
        raise RuntimeError(f"{env} must name the upstream CRD file for {kind} (scripts/test-chart.sh downloads it)")
    crd = yaml.safe_load(Path(path).read_text())
    version = api_version.split("/")[1]
    for v in crd["spec"]["versions"]:
        if v["name"] == version:
            schema = _strictify(copy.deepcopy(v["schema"]["openAPIV3Schema"]))
            # metadata is validated by the API server's ObjectMeta, not the CRD.
            schema.setdefault("properties", {})["metadata"] = {"type": "object"}
            _schema_cache[key] = schema
            return schema
    raise RuntimeError(f"{path} has no version {version}")


def validate_custom(doc: dict) -> list[str]:
    import jsonschema

    schema = crd_schema(doc["apiVersion"], doc["kind"])
    validator = jsonschema.Draft7Validator(schema)
    name = f"{doc['kind']}/{doc.get('metadata', {}).get('name')}"
    return [
        f"{name}: {'.'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(doc)
    ]


def count(text: str) -> Counter:
    return Counter(d["kind"] for d in load_docs(text))


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[1] == "split" and len(argv) == 5:
        core, custom = split(Path(argv[2]).read_text())
        Path(argv[3]).write_text(yaml.safe_dump_all(core, sort_keys=False))
        Path(argv[4]).write_text(yaml.safe_dump_all(custom, sort_keys=False) if custom else "")
        print(f"{len(core)} core objects, {len(custom)} custom resources")
        return 0
    if len(argv) == 3 and argv[1] == "validate-crds":
        docs = load_docs(Path(argv[2]).read_text())
        errors = [e for d in docs for e in validate_custom(d)]
        for e in errors:
            print(f"ERROR {e}")
        print(f"{len(docs)} custom resources validated against upstream CRD schemas, {len(errors)} errors")
        return 1 if errors else 0
    if len(argv) == 3 and argv[1] == "count":
        c = count(Path(argv[2]).read_text())
        print(f"{sum(c.values())} objects: " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
