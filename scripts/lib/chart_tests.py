"""Render tests for helm/todo-app (run by scripts/test-chart.sh).

    HELM=.../helm TODO_CRD_HTTPROUTE=... TODO_CRD_SERVICEMONITOR=... \
        pytest -q scripts/lib/chart_tests.py

Every test renders the chart with `helm template` and asserts properties the
deployment relies on: Pod Security Standards "restricted", labels and
selectors, HPA vs. replicas, secret handling, ingress routes, NetworkPolicy
peers, the strict values schema and the optional HTTPRoute/ServiceMonitor.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import chart_lib
from chart_lib import CHART, load_docs, render

OLDEST = os.environ.get("TODO_KUBE_OLDEST", "1.25.0")
NEWEST = os.environ.get("TODO_KUBE_NEWEST", "1.37.0")
REL = "t"
FULL = "t-todo-app"

DEV: list = []
# Staging and production share values-deployed.yaml; each adds its own small
# file (scripts/deploy.sh layers them the same way).
DEPLOYED = "values-deployed.yaml"
STAGING_ENV = [DEPLOYED, "values-staging.yaml"]
PROD_ENV = [DEPLOYED, "values-production.yaml"]
STAGING = [*STAGING_ENV, "ci/required-inputs.yaml"]
PROD = [*PROD_ENV, "ci/required-inputs.yaml"]
ALL = ["ci/all-features.yaml"]
VALUE_SETS = {"dev": DEV, "staging": STAGING, "production": PROD, "all-features": ALL}

WORKLOADS = ("Deployment", "StatefulSet", "Job")
_cache: dict = {}


def docs(values=(), sets=None, kube=None, release=REL) -> list[dict]:
    key = (tuple(values), json.dumps(sets, sort_keys=True), kube, release)
    if key not in _cache:
        _cache[key] = load_docs(render(values, sets, kube_version=kube, release=release).stdout)
    return copy.deepcopy(_cache[key])


def fails(values=(), sets=None, kube=None) -> str:
    proc = render(values, sets, kube_version=kube, check=False)
    assert proc.returncode != 0, "render was expected to fail but succeeded"
    return proc.stderr


def of_kind(ds, kind):
    return [d for d in ds if d["kind"] == kind]


def one(ds, kind, name):
    found = [d for d in ds if d["kind"] == kind and d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind}/{name}, found {len(found)}"
    return found[0]


def pod_spec(w):
    return w["spec"]["template"]["spec"]


def pod_labels(w):
    return w["spec"]["template"]["metadata"]["labels"]


def containers(w):
    spec = pod_spec(w)
    return spec.get("initContainers", []) + spec["containers"]


def selects(selector: dict, labels: dict) -> bool:
    """matchLabels / matchExpressions semantics (In, NotIn, Exists, DoesNotExist)."""
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        op, k, vals = e["operator"], e["key"], e.get("values", [])
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and labels.get(k) in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


def component_pods(ds, component):
    return [w for w in ds if w["kind"] in WORKLOADS and pod_labels(w).get("app.kubernetes.io/component") == component]


# --------------------------------------------------------------------------
# Pod Security Standards "restricted" and resource hygiene
# --------------------------------------------------------------------------

ALLOWED_VOLUME_TYPES = {
    "configMap",
    "secret",
    "emptyDir",
    "projected",
    "downwardAPI",
    "persistentVolumeClaim",
    "ephemeral",
}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_pods_meet_restricted_pod_security(name):
    ds = docs(VALUE_SETS[name])
    workloads = [d for d in ds if d["kind"] in WORKLOADS]
    assert workloads
    for w in workloads:
        spec = pod_spec(w)
        where = f"{w['kind']}/{w['metadata']['name']}"
        psc = spec["securityContext"]
        assert psc["runAsNonRoot"] is True, where
        assert isinstance(psc["runAsUser"], int) and psc["runAsUser"] > 0, where
        assert psc["seccompProfile"]["type"] == "RuntimeDefault", where
        assert spec["automountServiceAccountToken"] is False, where
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not spec.get(key), where
        for v in spec.get("volumes", []):
            types = set(v) - {"name"}
            assert types <= ALLOWED_VOLUME_TYPES, f"{where}: volume {v['name']} uses {types}"
        for c in containers(w):
            sc = c["securityContext"]
            cw = f"{where}/{c['name']}"
            assert sc["allowPrivilegeEscalation"] is False, cw
            assert sc.get("privileged", False) is False, cw
            assert sc["readOnlyRootFilesystem"] is True, cw
            assert sc["capabilities"]["drop"] == ["ALL"], cw
            assert not sc["capabilities"].get("add"), cw
            assert sc["runAsNonRoot"] is True, cw
            assert sc["seccompProfile"]["type"] == "RuntimeDefault", cw
            assert "ports" not in c or all("hostPort" not in p for p in c["ports"]), cw


@pytest.mark.parametrize("name", ["staging", "production"])
def test_staging_and_production_run_at_high_uids(name):
    for w in (d for d in docs(VALUE_SETS[name]) if d["kind"] in WORKLOADS):
        assert pod_spec(w)["securityContext"]["runAsUser"] >= 10000, w["metadata"]["name"]
        for c in containers(w):
            assert c["securityContext"]["runAsUser"] >= 10000


def test_dev_runs_at_the_image_default_uids():
    ds = docs(DEV)
    assert pod_spec(one(ds, "Deployment", f"{FULL}-backend"))["securityContext"]["runAsUser"] == 10001
    assert pod_spec(one(ds, "Deployment", f"{FULL}-frontend"))["securityContext"]["runAsUser"] == 1001
    assert pod_spec(one(ds, "StatefulSet", f"{FULL}-postgresql"))["securityContext"]["runAsUser"] == 999


@pytest.mark.parametrize("name", VALUE_SETS)
def test_resources_probes_and_tmp(name):
    for w in (d for d in docs(VALUE_SETS[name]) if d["kind"] in WORKLOADS):
        for c in containers(w):
            where = f"{w['metadata']['name']}/{c['name']}"
            for kind in ("requests", "limits"):
                assert set(c["resources"][kind]) == {"cpu", "memory", "ephemeral-storage"}, where
            if w["kind"] != "Job":
                for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                    assert probe in c, f"{where} lacks {probe}"
        if w["kind"] == "Deployment":
            c = pod_spec(w)["containers"][0]
            assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
            assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
            mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
            tmp = next(v for v in pod_spec(w)["volumes"] if v["name"] == mounts["/tmp"])
            assert "emptyDir" in tmp and tmp["emptyDir"]["sizeLimit"]


def test_prestop_sleep_only_where_the_kubernetes_version_supports_it():
    old = one(docs(DEV, kube=OLDEST), "Deployment", f"{FULL}-backend")
    assert "lifecycle" not in pod_spec(old)["containers"][0]
    new = one(docs(DEV, kube=NEWEST), "Deployment", f"{FULL}-backend")
    c = pod_spec(new)["containers"][0]
    assert c["lifecycle"]["preStop"] == {"sleep": {"seconds": 5}}
    # grace period covers preStop + the app's shutdown timeout
    assert pod_spec(new)["terminationGracePeriodSeconds"] >= 5 + 20


def test_grace_period_shorter_than_shutdown_fails():
    err = fails(DEV, {"backend.terminationGracePeriodSeconds": 10})
    assert "backend.terminationGracePeriodSeconds (10) must be at least" in err


# --------------------------------------------------------------------------
# Labels, selectors, names
# --------------------------------------------------------------------------

STANDARD_LABELS = {
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_labels_and_selectors_match(name):
    ds = docs(VALUE_SETS[name])
    for d in ds:
        labels = d["metadata"].get("labels", {})
        assert STANDARD_LABELS <= set(labels), f"{d['kind']}/{d['metadata']['name']} labels {labels}"
        assert labels["app.kubernetes.io/instance"] == REL
        assert d["metadata"]["namespace"] == "todo-app"
    workloads = [d for d in ds if d["kind"] in ("Deployment", "StatefulSet")]
    for w in workloads:
        assert selects(w["spec"]["selector"], pod_labels(w)), w["metadata"]["name"]
        assert STANDARD_LABELS <= set(pod_labels(w))
    for svc in of_kind(ds, "Service"):
        matched = [w for w in workloads if selects({"matchLabels": svc["spec"]["selector"]}, pod_labels(w))]
        assert len(matched) == 1, f"Service {svc['metadata']['name']} selects {len(matched)} workloads"
        port_names = {p["name"] for c in pod_spec(matched[0])["containers"] for p in c.get("ports", [])}
        for p in svc["spec"]["ports"]:
            assert p["targetPort"] in port_names
    for pdb in of_kind(ds, "PodDisruptionBudget"):
        assert [w for w in workloads if selects(pdb["spec"]["selector"], pod_labels(w))], pdb["metadata"]["name"]
    deployments = {d["metadata"]["name"] for d in of_kind(ds, "Deployment")}
    for hpa in of_kind(ds, "HorizontalPodAutoscaler"):
        assert hpa["spec"]["scaleTargetRef"]["name"] in deployments


def test_long_release_names_stay_valid_dns_labels():
    release = "a-very-long-release-name-for-testing-name-truncations"  # helm's maximum: 53
    assert len(release) == 53
    for d in docs(DEV, release=release):
        n = d["metadata"]["name"]
        assert len(n) <= 63 and re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", n), n
        if d["kind"] == "StatefulSet":
            assert len(n) <= 52, n  # room for the controller-revision-hash label


# --------------------------------------------------------------------------
# Replicas and autoscaling
# --------------------------------------------------------------------------


def test_dev_has_fixed_replicas_and_no_hpa():
    ds = docs(DEV)
    assert not of_kind(ds, "HorizontalPodAutoscaler")
    for d in of_kind(ds, "Deployment"):
        assert d["spec"]["replicas"] == 1


@pytest.mark.parametrize("name", ["staging", "production", "all-features"])
def test_hpa_on_means_no_replicas_field(name):
    ds = docs(VALUE_SETS[name])
    hpas = {h["spec"]["scaleTargetRef"]["name"]: h for h in of_kind(ds, "HorizontalPodAutoscaler")}
    assert f"{FULL}-backend" in hpas
    for d in of_kind(ds, "Deployment"):
        if d["metadata"]["name"] in hpas:
            assert "replicas" not in d["spec"], d["metadata"]["name"]


def test_backend_hpa_scales_2_to_4_within_a_minute_and_scales_down_slowly():
    hpa = one(docs(PROD), "HorizontalPodAutoscaler", f"{FULL}-backend")
    spec = hpa["spec"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (spec["minReplicas"], spec["maxReplicas"]) == (2, 10)
    cpu = next(m for m in spec["metrics"] if m["resource"]["name"] == "cpu")
    assert cpu["resource"]["target"] == {"type": "Utilization", "averageUtilization": 70}
    up, down = spec["behavior"]["scaleUp"], spec["behavior"]["scaleDown"]
    assert up["stabilizationWindowSeconds"] == 0
    # some policy lets 2 replicas become 4 in a single period of <= 60 s
    assert any(
        p["periodSeconds"] <= 60
        and ((p["type"] == "Percent" and p["value"] >= 100) or (p["type"] == "Pods" and p["value"] >= 2))
        for p in up["policies"]
    )
    assert up["selectPolicy"] == "Max"
    assert down["stabilizationWindowSeconds"] >= 60


def test_hpa_replica_bounds_checked():
    err = fails(
        DEV,
        {
            "backend.autoscaling.enabled": True,
            "backend.autoscaling.minReplicas": 5,
            "backend.autoscaling.maxReplicas": 3,
        },
    )
    assert "maxReplicas must be >= minReplicas" in err


# --------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------


def secret_data(d):
    return {k: base64.b64decode(v).decode() for k, v in d.get("data", {}).items()}


def backend_container(ds):
    return pod_spec(one(ds, "Deployment", f"{FULL}-backend"))["containers"][0]


def assert_secrets_as_files_only(ds):
    for w in (d for d in ds if d["kind"] in WORKLOADS):
        for c in containers(w):
            for e in c.get("env", []):
                assert "secretKeyRef" not in e.get("valueFrom", {}), f"{c['name']} reads {e['name']} from a Secret env"
                assert e["name"] not in ("DATABASE_URL", "BETTER_AUTH_SECRET", "OPENAI_API_KEY", "POSTGRES_PASSWORD")
            assert not any("secretRef" in ef for ef in c.get("envFrom", []))


def test_dev_secret_generated_and_mounted_as_files():
    ds = docs(DEV)
    sec = secret_data(one(ds, "Secret", FULL))
    assert len(sec["BETTER_AUTH_SECRET"]) >= 32
    pg_secret = one(ds, "Secret", f"{FULL}-postgresql")
    assert pg_secret["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"  # outlives uninstall like the PVC
    pg = secret_data(pg_secret)
    assert (
        sec["DATABASE_URL"] == f"postgres://todo:{pg['POSTGRES_PASSWORD']}@{FULL}-postgresql:5432/todo?sslmode=disable"
    )
    assert "OPENAI_API_KEY" not in sec  # builtin provider needs none
    c = backend_container(ds)
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env == {
        "DATABASE_URL_FILE": "/var/run/secrets/todo-app/DATABASE_URL",
        "BETTER_AUTH_SECRET_FILE": "/var/run/secrets/todo-app/BETTER_AUTH_SECRET",
    }
    vol = next(v for v in pod_spec(one(ds, "Deployment", f"{FULL}-backend"))["volumes"] if v["name"] == "secrets")
    assert vol["secret"]["secretName"] == FULL
    assert {i["key"]: i["path"] for i in vol["secret"]["items"]} == {
        "DATABASE_URL": "DATABASE_URL",
        "BETTER_AUTH_SECRET": "BETTER_AUTH_SECRET",
    }
    assert_secrets_as_files_only(ds)
    sts = one(ds, "StatefulSet", f"{FULL}-postgresql")
    env = {e["name"]: e.get("value") for e in pod_spec(sts)["containers"][0]["env"]}
    assert env["POSTGRES_PASSWORD_FILE"].startswith("/var/run/secrets/")
    assert "POSTGRES_PASSWORD" not in env
    # frontend receives no secrets at all
    fe = pod_spec(one(ds, "Deployment", f"{FULL}-frontend"))
    assert not any("secret" in v for v in fe["volumes"])


def test_explicit_secret_values_are_used():
    ds = docs(DEV, {"secrets.betterAuthSecret": "x" * 40, "secrets.openaiApiKey": "sk-test", "llm.provider": "openai"})
    sec = secret_data(one(ds, "Secret", FULL))
    assert sec["BETTER_AUTH_SECRET"] == "x" * 40 and sec["OPENAI_API_KEY"] == "sk-test"
    assert "OPENAI_API_KEY_FILE" in {e["name"] for e in backend_container(ds)["env"]}


@pytest.mark.parametrize("name", ["staging", "production"])
def test_existing_secret_replaces_the_chart_secret(name):
    ds = docs(VALUE_SETS[name])
    assert not of_kind(ds, "Secret"), "no chart-managed Secret with existingSecret and no in-cluster database"
    d = one(ds, "Deployment", f"{FULL}-backend")
    vol = next(v for v in pod_spec(d)["volumes"] if v["name"] == "secrets")
    assert vol["secret"]["secretName"] == "todo-app-secrets"
    assert {i["path"] for i in vol["secret"]["items"]} == {"DATABASE_URL", "BETTER_AUTH_SECRET", "OPENAI_API_KEY"}
    assert "checksum/secret" not in d["spec"]["template"]["metadata"]["annotations"]
    assert_secrets_as_files_only(ds)


def test_existing_secret_custom_key_names():
    ds = docs(
        DEV,
        {
            "secrets.existingSecret": "neon",
            "secrets.existingSecretKeys.databaseUrl": "uri",
            "secrets.existingSecretKeys.openaiApiKey": "",
        },
    )
    vol = next(v for v in pod_spec(one(ds, "Deployment", f"{FULL}-backend"))["volumes"] if v["name"] == "secrets")
    assert vol["secret"]["secretName"] == "neon"
    assert {i["key"]: i["path"] for i in vol["secret"]["items"]} == {
        "uri": "DATABASE_URL",
        "BETTER_AUTH_SECRET": "BETTER_AUTH_SECRET",
    }
    assert "OPENAI_API_KEY_FILE" not in {e["name"] for e in backend_container(ds)["env"]}


def test_production_without_secrets_fails_with_a_clear_message():
    err = fails(PROD_ENV)
    assert "secrets.databaseUrl is required in production" in err
    assert "secrets.existingSecret" in err
    inputs = {
        "ingress.host": "todo.example.com",
        "backend.image.digest": "sha256:" + "1" * 64,
        "frontend.image.digest": "sha256:" + "2" * 64,
    }
    err = fails(PROD_ENV, dict(inputs, **{"secrets.databaseUrl": "postgres://u:p@h/db?sslmode=require"}))
    assert "secrets.betterAuthSecret is required in production" in err
    err = fails(
        PROD_ENV, dict(inputs, **{"secrets.databaseUrl": "postgres://u:p@h/db", "secrets.betterAuthSecret": "short"})
    )
    assert "at least 32 characters" in err
    err = fails(
        PROD_ENV, dict(inputs, **{"secrets.databaseUrl": "postgres://u:p@h/db", "secrets.betterAuthSecret": "s" * 48})
    )
    assert "secrets.openaiApiKey is required in production when llm.provider=openai" in err
    ok = docs(
        PROD_ENV,
        dict(
            inputs,
            **{
                "secrets.databaseUrl": "postgres://u:p@h/db",
                "secrets.betterAuthSecret": "s" * 48,
                "secrets.openaiApiKey": "sk",
            },
        ),
    )
    assert secret_data(one(ok, "Secret", FULL))["DATABASE_URL"] == "postgres://u:p@h/db"


def test_production_requires_host_and_digests():
    base = {"secrets.existingSecret": "s", "ingress.host": "todo.example.com"}
    assert "backend.image.digest is required" in fails(PROD_ENV, base)
    digests = dict(
        base, **{"backend.image.digest": "sha256:" + "1" * 64, "frontend.image.digest": "sha256:" + "2" * 64}
    )
    del digests["ingress.host"]
    assert "ingress.host is required in production" in fails(PROD_ENV, digests)


def test_production_never_generates_credentials():
    err = fails(DEV, {"appEnv": "production", "secrets.existingSecret": "s", "ingress.host": "x.example.com"})
    assert "postgresql.auth.password is required" in err


def test_checksum_annotations_follow_config_and_secret():
    def ann(ds, comp):
        return one(ds, "Deployment", f"{FULL}-{comp}")["spec"]["template"]["metadata"]["annotations"]

    fixed = {"secrets.betterAuthSecret": "a" * 40, "postgresql.auth.password": "pw"}
    base = docs(DEV, fixed)
    log = docs(DEV, dict(fixed, **{"config.rustLog": "debug"}))
    llm = docs(DEV, dict(fixed, **{"llm.provider": "ollama"}))
    sec = docs(DEV, dict(fixed, **{"secrets.betterAuthSecret": "b" * 40}))
    again = docs(DEV, dict(fixed))
    assert ann(base, "backend") == ann(again, "backend")
    assert ann(base, "backend")["checksum/config"] != ann(log, "backend")["checksum/config"]
    assert ann(base, "frontend")["checksum/config"] != ann(log, "frontend")["checksum/config"]
    assert ann(base, "backend")["checksum/config"] != ann(llm, "backend")["checksum/config"]
    assert ann(base, "frontend")["checksum/config"] == ann(llm, "frontend")["checksum/config"]
    assert ann(base, "backend")["checksum/secret"] != ann(sec, "backend")["checksum/secret"]


# --------------------------------------------------------------------------
# Config, images, services
# --------------------------------------------------------------------------


def test_config_maps():
    ds = docs(DEV)
    be = one(ds, "ConfigMap", f"{FULL}-backend")["data"]
    assert be["APP_ENV"] == "development" and be["PORT"] == "8000" and be["LLM_PROVIDER"] == "builtin"
    assert be["FRONTEND_URL"] == "http://todo.local"
    assert set(be["MCP_ALLOWED_HOSTS"].split(",")) >= {"todo.local", f"{FULL}-backend"}
    fe = one(ds, "ConfigMap", f"{FULL}-frontend")["data"]
    assert fe["BACKEND_URL"] == f"http://{FULL}-backend:8000" and fe["PORT"] == "3000"
    prod = one(docs(PROD), "ConfigMap", f"{FULL}-backend")["data"]
    assert prod["APP_ENV"] == "production" and prod["FRONTEND_URL"] == "https://todo.example.com"
    assert prod["LOG_FORMAT"] == "json"


def test_image_references():
    ds = docs(DEV)
    assert backend_container(ds)["image"] == "ghcr.io/todo-app/todo-api:0.1.0"  # appVersion
    prod = docs(PROD)
    for w in (d for d in prod if d["kind"] in WORKLOADS):
        for c in containers(w):
            assert re.fullmatch(r"[^@]+@sha256:[0-9a-f]{64}", c["image"]), c["image"]


def test_services_are_clusterip_on_the_contract_ports():
    ds = docs(DEV)
    assert one(ds, "Service", f"{FULL}-backend")["spec"]["ports"][0]["port"] == 8000
    assert one(ds, "Service", f"{FULL}-frontend")["spec"]["ports"][0]["port"] == 3000
    for s in of_kind(ds, "Service"):
        assert s["spec"]["type"] == "ClusterIP"


def test_service_account_token_automount_off():
    sa = one(docs(DEV), "ServiceAccount", FULL)
    assert sa["automountServiceAccountToken"] is False


def test_postgresql_statefulset():
    ds = docs(DEV)
    sts = one(ds, "StatefulSet", f"{FULL}-postgresql")
    c = pod_spec(sts)["containers"][0]
    assert c["image"] == "docker.io/library/postgres:16-bookworm"
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["PGDATA"].startswith("/var/lib/postgresql/data/") and env["PGDATA"] != "/var/lib/postgresql/data/"
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert {"/var/lib/postgresql/data", "/var/run/postgresql", "/tmp"} <= mounts
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "1Gi"
    assert not of_kind(docs(PROD), "StatefulSet")


def test_helm_test_job_uses_backend_healthcheck():
    ds = docs(DEV)
    job = one(ds, "Job", f"{FULL}-test")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "test"
    cmds = [c["command"] + c["args"] for c in pod_spec(job)["containers"]]
    assert ["todo-api", "healthcheck", "--url", f"http://{FULL}-backend:8000/readyz"] in cmds
    assert ["todo-api", "healthcheck", "--url", f"http://{FULL}-frontend:3000/readyz"] in cmds
    assert pod_spec(job)["restartPolicy"] == "Never"


def test_notes_render(tmp_path):
    """NOTES.txt is not printed by `helm template`; render it through a copy of the chart."""
    chart = tmp_path / "todo-app"
    shutil.copytree(CHART, chart)
    notes = (chart / "templates" / "NOTES.txt").read_text()
    (chart / "templates" / "NOTES.txt").unlink()
    (chart / "templates" / "_notes.tpl").write_text('{{- define "notes" -}}\n' + notes + "\n{{- end }}\n")
    (chart / "templates" / "notes-check.yaml").write_text(
        'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\ndata:\n  notes: {{ include "notes" . | quote }}\n'
    )
    for values, expect in ((DEV, "http://todo.local"), (PROD, "https://todo.example.com")):
        cmd = [
            chart_lib.helm_bin(),
            "template",
            REL,
            str(chart),
            "-n",
            "todo-app",
            "--kube-version",
            NEWEST,
            "-s",
            "templates/notes-check.yaml",
        ] + [a for v in values for a in ("-f", str(CHART / v))]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        text = load_docs(out)[0]["data"]["notes"]
        assert expect in text and "helm test t" in text


# --------------------------------------------------------------------------
# Ingress, HTTPRoute, ServiceMonitor
# --------------------------------------------------------------------------


def test_ingress_routes_api_and_mcp_to_backend_and_root_to_frontend():
    ing = one(docs(DEV), "Ingress", FULL)
    assert ing["spec"]["ingressClassName"] == "nginx"
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == "todo.local"
    routes = {
        p["path"]: (p["pathType"], p["backend"]["service"]["name"], p["backend"]["service"]["port"]["name"])
        for p in rule["http"]["paths"]
    }
    # "/api/" with its slash: Traefik matches a Prefix "/api" as a string prefix
    # (/apix would reach the API); scripts/test-cluster.sh checks it on Traefik.
    assert routes == {
        "/api/": ("Prefix", f"{FULL}-backend", "http"),
        "/mcp": ("Prefix", f"{FULL}-backend", "http"),
        "/": ("Prefix", f"{FULL}-frontend", "http"),
    }
    assert len(rule["http"]["paths"]) == 3
    assert not any("rewrite" in k for k in (ing["metadata"].get("annotations") or {}))
    assert "tls" not in ing["spec"]


def test_production_ingress_has_tls_and_cert_manager():
    ing = one(docs(PROD), "Ingress", FULL)
    assert ing["spec"]["tls"] == [{"secretName": f"{FULL}-tls", "hosts": ["todo.example.com"]}]
    assert ing["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"
    assert "ingressClassName" not in ing["spec"]  # cluster default


def test_httproute_and_servicemonitor_off_by_default():
    for values in VALUE_SETS.values():
        if values is ALL:
            continue
        kinds = {d["kind"] for d in docs(values)}
        assert not kinds & {"HTTPRoute", "ServiceMonitor"}


def test_httproute_and_servicemonitor_render_and_validate_when_on():
    ds = docs(ALL)
    route = one(ds, "HTTPRoute", FULL)
    services = {s["metadata"]["name"]: s for s in of_kind(ds, "Service")}
    assert route["spec"]["hostnames"] == ["todo.example.com"]
    assert route["spec"]["parentRefs"][0]["name"] == "shared-gateway"
    by_path = {}
    for rule in route["spec"]["rules"]:
        for m in rule["matches"]:
            by_path[m["path"]["value"]] = rule["backendRefs"][0]
    assert set(by_path) == {"/api", "/mcp", "/"}
    assert by_path["/api"]["name"] == by_path["/mcp"]["name"] == f"{FULL}-backend"
    assert by_path["/"]["name"] == f"{FULL}-frontend"
    for ref in by_path.values():
        assert ref["port"] in [p["port"] for p in services[ref["name"]]["spec"]["ports"]]

    sm = one(ds, "ServiceMonitor", FULL)
    assert sm["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    scraped = {n for n, s in services.items() if selects(sm["spec"]["selector"], s["metadata"]["labels"])}
    assert scraped == {f"{FULL}-backend", f"{FULL}-frontend"}
    assert sm["spec"]["endpoints"][0]["port"] == "http" and sm["spec"]["endpoints"][0]["path"] == "/metrics"

    # Custom resources against the upstream CRD schemas (strict), core objects
    # against the Kubernetes schemas (strict, both ends of the supported range).
    for d in (route, sm):
        assert chart_lib.validate_custom(d) == []
    broken = copy.deepcopy(route)
    broken["spec"]["rules"][0]["matches"][0]["path"]["typo"] = "x"
    assert chart_lib.validate_custom(broken), "strict CRD validation must reject unknown fields"
    import kubernetes_validate

    for kube in (OLDEST, NEWEST):
        for d in docs(ALL, kube=kube):
            if not chart_lib.is_custom(d):
                kubernetes_validate.validate(d, kube, strict=True)


def test_httproute_requires_parent_refs():
    assert "httpRoute.parentRefs is required" in fails(DEV, {"httpRoute.enabled": True})


# --------------------------------------------------------------------------
# NetworkPolicies
# --------------------------------------------------------------------------


def policies(ds):
    return {p["metadata"]["name"]: p for p in of_kind(ds, "NetworkPolicy")}


def peer_components(peers):
    return {
        p["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
        for p in peers
        if "podSelector" in p and "namespaceSelector" not in p
    }


def rule_ports(rule):
    return {(p["protocol"], p["port"]) for p in rule.get("ports", [])}


def test_network_policies_dev():
    ds = docs(DEV)
    np = policies(ds)
    deny = np[f"{FULL}-default-deny"]["spec"]
    assert deny["policyTypes"] == ["Ingress", "Egress"] and "ingress" not in deny and "egress" not in deny
    # the default deny covers every pod of the release
    for w in (d for d in ds if d["kind"] in WORKLOADS):
        assert selects(deny["podSelector"], pod_labels(w))

    be = np[f"{FULL}-backend"]["spec"]
    (ing,) = be["ingress"]
    assert rule_ports(ing) == {("TCP", 8000)}
    assert peer_components(ing["from"]) == {"frontend", "test"}
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in ing["from"]
    egress = be["egress"]
    dns = [r for r in egress if rule_ports(r) == {("UDP", 53), ("TCP", 53)}]
    assert dns and dns[0]["to"][0]["podSelector"]["matchLabels"] == {"k8s-app": "kube-dns"}
    db = [r for r in egress if rule_ports(r) == {("TCP", 5432)}]
    assert db and peer_components(db[0]["to"]) == {"postgresql"}
    llm = [r for r in egress if rule_ports(r) == {("TCP", 443)}]
    assert (
        llm
        and llm[0]["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"
        and "10.0.0.0/8" in llm[0]["to"][0]["ipBlock"]["except"]
    )

    fe = np[f"{FULL}-frontend"]["spec"]
    assert rule_ports(fe["ingress"][0]) == {("TCP", 3000)}
    assert peer_components(fe["ingress"][0]["from"]) == {"test"}
    fe_egress_components = set().union(*(peer_components(r["to"]) for r in fe["egress"]))
    assert fe_egress_components == {"backend"}
    assert len(fe["egress"]) == 2  # backend + DNS, nothing else

    pg = np[f"{FULL}-postgresql"]["spec"]
    assert peer_components(pg["ingress"][0]["from"]) == {"backend"} and len(pg["ingress"][0]["from"]) == 1
    assert rule_ports(pg["ingress"][0]) == {("TCP", 5432)}
    assert "egress" not in pg and "Egress" in pg["policyTypes"]

    test = np[f"{FULL}-test"]["spec"]
    assert "ingress" not in test and {c for r in test["egress"] for c in peer_components(r["to"])} == {
        "backend",
        "frontend",
    }

    # each pod has a policy of its own besides the default deny
    for w in (d for d in ds if d["kind"] in WORKLOADS):
        own = [
            n for n, p in np.items() if n != f"{FULL}-default-deny" and selects(p["spec"]["podSelector"], pod_labels(w))
        ]
        assert own, w["metadata"]["name"]


def test_network_policies_production_external_database():
    np = policies(docs(PROD))
    assert f"{FULL}-postgresql" not in np
    egress = np[f"{FULL}-backend"]["spec"]["egress"]
    db = [r for r in egress if rule_ports(r) == {("TCP", 5432)}]
    assert db and db[0]["to"][0]["ipBlock"]["cidr"] == "0.0.0.0/0"


def test_network_policies_optional_peers():
    np = policies(docs(ALL))
    be = np[f"{FULL}-backend"]["spec"]
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}} in be["ingress"][0][
        "from"
    ]
    assert any(rule_ports(r) == {("TCP", 11434)} for r in be["egress"])
    nothing = docs(DEV, {"networkPolicy.enabled": False})
    assert not of_kind(nothing, "NetworkPolicy")
    no_llm = policies(docs(DEV, {"networkPolicy.llmEgress.enabled": False}))
    assert not any(rule_ports(r) == {("TCP", 443)} for r in no_llm[f"{FULL}-backend"]["spec"]["egress"])


# --------------------------------------------------------------------------
# values.schema.json
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sets, message",
    [
        ({"backend.replicas": 3}, "additional properties 'replicas' not allowed"),
        ({"ingress.tls.enable": True}, "additional properties 'enable' not allowed"),
        ({"postgres.enabled": False}, "additional properties 'postgres' not allowed"),
        ({"backend.resources.limits.cpus": "1"}, "additional properties 'cpus' not allowed"),
        (
            {"networkPolicy.ingressPeers[0].namespaceSelectr.x": "y"},
            "additional properties 'namespaceSelectr' not allowed",
        ),
        ({"appEnv": "prod"}, "appEnv"),
        ({"llm.provider": "chatgpt"}, "llm/provider"),
        ({"backend.image.digest": "latest"}, "digest"),
        ({"backend.runAsUser": 0}, "runAsUser"),
    ],
)
def test_schema_rejects_typos_and_bad_values(sets, message):
    err = fails(DEV, sets)
    assert "values don't meet the specifications of the schema" in err
    assert message in err, err


def test_schema_is_strict_at_every_level():
    schema = json.loads((CHART / "values.schema.json").read_text())
    problems = []

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("type") == "object":
                ap = node.get("additionalProperties")
                if ap is None:
                    problems.append(f"{path}: object without additionalProperties")
                elif ap is True and "Passed through unchanged" not in node.get("description", ""):
                    problems.append(f"{path}: additionalProperties true without a pass-through note")
            for k, v in node.items():
                walk(v, f"{path}/{k}")
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk(v, f"{path}[{i}]")

    walk(schema, "#")
    assert schema["additionalProperties"] is False
    assert not problems, "\n".join(problems)


# The keys an environment's own file may set: everything else staging and
# production share through values-deployed.yaml, so a change there reaches both.
ENV_FILE_KEYS = {
    "config.rustLog",
    "backend.autoscaling.maxReplicas",
    "frontend.autoscaling.maxReplicas",
    "ingress.annotations.cert-manager.io/cluster-issuer",
}


def leaf_keys(node, prefix=""):
    if isinstance(node, dict) and node:
        for k, v in node.items():
            yield from leaf_keys(v, f"{prefix}.{k}" if prefix else k)
    else:
        yield prefix


@pytest.mark.parametrize("env", ["staging", "production"])
def test_environment_files_hold_only_what_differs(env):
    values = yaml.safe_load((CHART / f"values-{env}.yaml").read_text())
    assert set(leaf_keys(values)) == ENV_FILE_KEYS


@pytest.mark.parametrize("env, env_files", [("staging", STAGING_ENV), ("production", PROD_ENV)])
def test_deploy_dry_run_renders_the_layered_environment(env, env_files):
    """scripts/deploy.sh ENV (what an operator runs) renders exactly the layered
    files these tests check, with the inputs it adds."""
    digest_b, digest_f = "sha256:" + "a" * 64, "sha256:" + "b" * 64
    env_vars = dict(
        os.environ,
        HELM=chart_lib.helm_bin(),
        HOST="todo.example.com",
        RELEASE=REL,
        NAMESPACE="todo-app",
        BACKEND_DIGEST=digest_b,
        FRONTEND_DIGEST=digest_f,
        KUBE_VERSION=NEWEST,
        IMAGE_TAG="1.2.3",
    )
    proc = subprocess.run(
        [str(chart_lib.ROOT / "scripts" / "deploy.sh"), env, "--dry-run"],
        capture_output=True,
        text=True,
        env=env_vars,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    manifests = proc.stdout[proc.stdout.index("\n---") :]
    sets = {"ingress.host": "todo.example.com", "secrets.existingSecret": "todo-app-secrets"}
    for c, image, digest in (("backend", "todo-api", digest_b), ("frontend", "todo-web", digest_f)):
        sets.update(
            {
                f"{c}.image.repository": f"ghcr.io/todo-app/{image}",
                f"{c}.image.tag": "1.2.3",
                f"{c}.image.digest": digest,
            }
        )
    assert load_docs(manifests) == docs(env_files, sets, kube=NEWEST)
