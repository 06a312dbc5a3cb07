"""Tests of scripts/lib/kube_play.py (run by scripts/test.sh through the test venv).

The manifests below have the shapes the chart renders (secret volumes read
through *_FILE variables, emptyDirs with size limits, a StatefulSet with a
volume claim template, Services selecting pods); each test checks one of the
changes scripts/test-kube-play.sh relies on.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kube_play

LABELS_BE = {"app.kubernetes.io/name": "todo-app", "app.kubernetes.io/component": "backend"}
LABELS_PG = {"app.kubernetes.io/name": "todo-app", "app.kubernetes.io/component": "postgresql"}
SECRET_DIR = "/var/run/secrets/todo-app"


def backend():
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "t-backend", "labels": LABELS_BE},
        "spec": {
            "selector": {"matchLabels": LABELS_BE},
            "template": {
                "metadata": {"labels": LABELS_BE},
                "spec": {
                    "securityContext": {
                        "runAsUser": 10001,
                        "runAsGroup": 10001,
                        "fsGroup": 10002,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [
                        {
                            "name": "backend",
                            "image": "ghcr.io/todo-app/todo-api:1.0",
                            "securityContext": {
                                "runAsUser": 10005,
                                "readOnlyRootFilesystem": True,
                                "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]},
                            },
                            "envFrom": [{"configMapRef": {"name": "t-backend"}}],
                            "env": [
                                {"name": "DATABASE_URL_FILE", "value": f"{SECRET_DIR}/DATABASE_URL"},
                                {"name": "OTHER_FILE", "value": "/etc/other/x"},
                                {"name": "PLAIN", "value": "1"},
                                {
                                    "name": "FROM_CM",
                                    "valueFrom": {"configMapKeyRef": {"name": "t-extra", "key": "k"}},
                                },
                            ],
                            "ports": [{"name": "http", "containerPort": 8000}],
                            "startupProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "http"}},
                            "volumeMounts": [
                                {"name": "secrets", "mountPath": SECRET_DIR + "/"},
                                {"name": "tmp", "mountPath": "/tmp"},
                            ],
                        }
                    ],
                    "volumes": [
                        {
                            "name": "secrets",
                            "secret": {"secretName": "neon", "items": [{"key": "uri", "path": "DATABASE_URL"}]},
                        },
                        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
                    ],
                },
            },
        },
    }


def postgresql():
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "t-postgresql", "labels": LABELS_PG},
        "spec": {
            "selector": {"matchLabels": LABELS_PG},
            "template": {
                "metadata": {"labels": LABELS_PG},
                "spec": {
                    "securityContext": {"runAsUser": 999, "runAsGroup": 999},
                    "containers": [{"name": "postgresql", "image": "docker.io/library/postgres:16"}],
                },
            },
            "volumeClaimTemplates": [{"metadata": {"name": "data"}}],
        },
    }


def others():
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": "neon"},
            "data": {"uri": base64.b64encode(b"postgres://x").decode()},
            "stringData": {"BETTER_AUTH_SECRET": "s3cret"},
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t-backend"}, "data": {"PORT": "8000"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "t-unused"}, "data": {"A": "b"}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t-backend"}, "spec": {"selector": LABELS_BE}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t-api"}, "spec": {"selector": LABELS_BE}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t-headless"}, "spec": {}},
        {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "t-backend"}},
    ]


@pytest.fixture
def prepared(tmp_path, capsys):
    rendered = tmp_path / "rendered.yaml"
    rendered.write_text(yaml.safe_dump_all([backend(), postgresql(), *others()]))
    work = tmp_path / "work"
    ports = iter(range(40001, 40100))
    plan = kube_play.prepare(str(rendered), str(work), "run1", free_port=lambda: next(ports))
    out = capsys.readouterr().out
    return plan, work, out


def workload(plan, component):
    return next(w for w in plan["workloads"] if w["component"] == component)


def played(work, plan, component):
    docs = list(yaml.safe_load_all(Path(workload(plan, component)["file"]).read_text()))
    return docs, docs[-1]


def test_plan_is_written_and_returned(prepared):
    plan, work, _ = prepared
    assert json.loads((work / "plan.json").read_text()) == plan
    # StatefulSets are played first, so PostgreSQL comes up before its clients.
    assert [w["component"] for w in plan["workloads"]] == ["postgresql", "backend"]
    assert [Path(w["file"]).name for w in plan["workloads"]] == ["0-postgresql.yaml", "1-backend.yaml"]


def test_secrets_become_flat_json_of_base64_values(prepared):
    plan, work, _ = prepared
    assert plan["secrets"] == [
        {"name": "neon", "file": str(work / "secrets" / "neon.json"), "keys": ["BETTER_AUTH_SECRET", "uri"]}
    ]
    data = json.loads((work / "secrets" / "neon.json").read_text())
    assert base64.b64decode(data["uri"]) == b"postgres://x"
    assert base64.b64decode(data["BETTER_AUTH_SECRET"]) == b"s3cret"


def test_objects_kube_play_cannot_run_are_listed_not_played(prepared):
    plan, _, out = prepared
    assert plan["dropped"] == {
        "Secret": ["neon"],
        "ConfigMap": ["t-backend", "t-unused"],
        "Service": ["t-backend", "t-api", "t-headless"],
        "PodDisruptionBudget": ["t-backend"],
    }
    assert "not played: PodDisruptionBudget t-backend (no podman equivalent)" in out
    assert "not played: Secret neon (created with podman secret create)" in out


def test_services_selecting_a_pod_become_its_network_aliases(prepared):
    plan, _, _ = prepared
    assert workload(plan, "backend")["aliases"] == ["t-backend", "t-api"]
    assert workload(plan, "postgresql")["aliases"] == []


def test_file_variables_in_secret_volumes_become_secret_refs(prepared):
    plan, work, out = prepared
    _, dep = played(work, plan, "backend")
    c = dep["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in c["env"]}
    assert "DATABASE_URL_FILE" not in env
    assert env["DATABASE_URL"] == {
        "name": "DATABASE_URL",
        "valueFrom": {"secretKeyRef": {"name": "neon", "key": "uri"}},
    }
    assert env["OTHER_FILE"] == {"name": "OTHER_FILE", "value": "/etc/other/x"}, "not in a secret volume: unchanged"
    assert [m["name"] for m in c["volumeMounts"]] == ["tmp"]
    assert "secrets" not in [v["name"] for v in dep["spec"]["template"]["spec"]["volumes"]]
    assert "env DATABASE_URL_FILE (file in secret volume) -> DATABASE_URL from secretKeyRef neon/uri" in out
    assert "secret volumes secrets dropped" in out
    summary = workload(plan, "backend")["containers"][0]["env"]
    assert {"name": "DATABASE_URL", "value": None, "secret": {"name": "neon", "key": "uri"}} in summary


def test_empty_dirs_become_owned_tmpfs_volumes_of_their_size(prepared):
    plan, work, _ = prepared
    w = workload(plan, "backend")
    assert w["volumes"] == [
        {"name": "run1-backend-tmp", "type": "tmpfs", "uid": 10001, "gid": 10002, "blocks": 64 * 1024 * 1024 // 4096}
    ]
    _, dep = played(work, plan, "backend")
    tmp = next(v for v in dep["spec"]["template"]["spec"]["volumes"] if v["name"] == "tmp")
    assert tmp == {"name": "tmp", "persistentVolumeClaim": {"claimName": "run1-backend-tmp"}}


@pytest.mark.parametrize(
    "size, blocks",
    [("64Mi", 16384), ("1Gi", 262144), ("500M", 500 * 1000**2 // 4096), ("1Ki", 1), (None, None)],
)
def test_tmpfs_size_in_blocks(tmp_path, size, blocks):
    dep = backend()
    vol = dep["spec"]["template"]["spec"]["volumes"][1]
    vol["emptyDir"] = {"sizeLimit": size} if size else {}
    rendered = tmp_path / "r.yaml"
    rendered.write_text(yaml.safe_dump(dep))
    plan = kube_play.prepare(str(rendered), str(tmp_path / "w"), "r", free_port=lambda: 1)
    assert workload(plan, "backend")["volumes"][0]["blocks"] == blocks


def test_statefulset_is_played_as_a_deployment_with_a_volume(prepared):
    plan, work, out = prepared
    w = workload(plan, "postgresql")
    assert w["kind"] == "StatefulSet" and w["pod"] == "t-postgresql-pod-0"
    assert w["volumes"] == [{"name": "run1-postgresql-data", "type": "disk", "uid": 999, "gid": 999}]
    _, dep = played(work, plan, "postgresql")
    assert dep["kind"] == "Deployment" and dep["spec"]["replicas"] == 1
    assert dep["spec"]["selector"] == {"matchLabels": LABELS_PG}
    assert {"name": "data", "persistentVolumeClaim": {"claimName": "run1-postgresql-data"}} in dep["spec"]["template"][
        "spec"
    ]["volumes"]
    assert "t-postgresql: StatefulSet played as a Deployment (same pod template)" in out


def test_probes_leave_the_played_copy_and_ports_get_loopback_host_ports(prepared):
    plan, work, out = prepared
    c = workload(plan, "backend")["containers"][0]
    assert set(c["probes"]) == {"startupProbe", "readinessProbe"}
    assert c["ports"] == [{"name": "http", "containerPort": 8000, "hostPort": 40001}]
    _, dep = played(work, plan, "backend")
    pc = dep["spec"]["template"]["spec"]["containers"][0]
    assert not {"startupProbe", "livenessProbe", "readinessProbe"} & set(pc)
    assert pc["ports"] == [{"name": "http", "containerPort": 8000, "hostPort": 40001, "hostIP": "127.0.0.1"}]
    assert "ports 8000 -> 127.0.0.1:40001" in out


def test_security_summary_uses_the_container_then_the_pod_context(prepared):
    plan, _, _ = prepared
    c = workload(plan, "backend")["containers"][0]
    assert (c["uid"], c["gid"]) == (10005, 10001)
    assert c["readOnlyRoot"] and c["dropAll"] and c["noNewPrivs"]
    assert c["seccomp"] == "RuntimeDefault"
    assert c["configMaps"] == ["t-backend", "t-extra"]
    pg = workload(plan, "postgresql")["containers"][0]
    assert (pg["uid"], pg["gid"], pg["readOnlyRoot"], pg["dropAll"], pg["seccomp"]) == (999, 999, False, False, None)


def test_played_file_carries_the_config_maps_it_uses(prepared):
    plan, work, _ = prepared
    docs, _ = played(work, plan, "backend")
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("ConfigMap", "t-backend"),
        ("Deployment", "t-backend"),
    ]
    # t-extra is referenced but not rendered: listed, not played
    assert workload(plan, "backend")["configMaps"] == {"t-backend": {"PORT": "8000"}}


def test_working_dir_is_set_only_for_the_image_and_only_when_unset(tmp_path, capsys):
    dep = backend()
    other = backend()
    other["metadata"]["name"] = "t-other"
    other["spec"]["template"]["spec"]["containers"][0]["image"] = "other:1"
    pinned = backend()
    pinned["metadata"]["name"] = "t-pinned"
    pinned["spec"]["template"]["spec"]["containers"][0]["workingDir"] = "/srv"
    hit, miss = tmp_path / "hit.yaml", tmp_path / "miss.yaml"
    hit.write_text(yaml.safe_dump_all([{"kind": "ConfigMap", "metadata": {"name": "c"}}, dep, pinned]))
    miss.write_text(yaml.safe_dump_all([other]))
    before_miss = miss.read_text()
    kube_play.set_working_dir("ghcr.io/todo-app/todo-api:1.0", "/app", [str(hit), str(miss)])
    docs = list(yaml.safe_load_all(hit.read_text()))
    assert docs[1]["spec"]["template"]["spec"]["containers"][0]["workingDir"] == "/"
    assert docs[2]["spec"]["template"]["spec"]["containers"][0]["workingDir"] == "/srv"
    assert miss.read_text() == before_miss, "a file without the image is not rewritten"
    out = capsys.readouterr().out
    assert out == "  t-backend/backend: workingDir / (image WORKDIR /app missing in ghcr.io/todo-app/todo-api:1.0)\n"


def test_cli_refuses_unknown_commands(capsys):
    assert kube_play.main(["kube_play.py", "play"]) == 2
    assert "prepare RENDERED.yaml" in capsys.readouterr().err
