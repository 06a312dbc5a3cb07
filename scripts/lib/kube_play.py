"""Makes the chart's rendered development manifests playable by podman 4.3's
`kube play`, for scripts/test-kube-play.sh (its WORKAROUNDS list says why each
change is needed). Tests: scripts/lib/test_kube_play.py.

CLI (what the script runs; messages go to stdout, the script sends them to stderr):
  python3 kube_play.py prepare RENDERED.yaml WORKDIR RUN_ID
      writes WORKDIR/plan.json, WORKDIR/secrets/<name>.json (flat key -> base64)
      and WORKDIR/play/<n>-<component>.yaml (ConfigMaps + one Deployment each)
  python3 kube_play.py workdir IMAGE_REF WORKDIR_IN_IMAGE PLAY.yaml...
      gives the containers of IMAGE_REF workingDir / in the played files
"""

from __future__ import annotations

import base64
import copy
import json
import os
import socket
import sys

import yaml


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(rendered, work, run, free_port=free_port):
    """The playable copy of the manifests in RENDERED; returns the plan."""
    with open(rendered) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    os.makedirs(f"{work}/secrets", exist_ok=True)
    os.makedirs(f"{work}/play", exist_ok=True)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    changes, plan = [], {"workloads": [], "secrets": [], "dropped": {}}

    # Secrets -> podman secrets (flat JSON: key -> base64 value)
    for s in by_kind.get("Secret", []):
        data = dict(s.get("data") or {})
        for k, v in (s.get("stringData") or {}).items():
            data[k] = base64.b64encode(v.encode()).decode()
        path = f"{work}/secrets/{s['metadata']['name']}.json"
        with open(path, "w") as f:
            json.dump(data, f)
        plan["secrets"].append({"name": s["metadata"]["name"], "file": path, "keys": sorted(data)})

    skip = {
        "Secret": "created with podman secret create",
        "Service": "ignored by kube play: network aliases instead",
        "ConfigMap": "played along with the workloads that use them",
    }
    for kind, objs in by_kind.items():
        if kind not in ("Deployment", "StatefulSet"):
            plan["dropped"][kind] = [o["metadata"]["name"] for o in objs]
            print(
                f"  not played: {kind} {', '.join(o['metadata']['name'] for o in objs)}"
                f" ({skip.get(kind, 'no podman equivalent')})"
            )

    configmaps = {c["metadata"]["name"]: c for c in by_kind.get("ConfigMap", [])}
    services = by_kind.get("Service", [])
    workloads = by_kind.get("StatefulSet", []) + by_kind.get("Deployment", [])
    for n, w in enumerate(workloads):
        name, kind = w["metadata"]["name"], w["kind"]
        tmpl = copy.deepcopy(w["spec"]["template"])
        labels = tmpl["metadata"].get("labels", {})
        comp = labels.get("app.kubernetes.io/component", name)
        spec = tmpl["spec"]
        psc = spec.get("securityContext", {}) or {}
        # Services selecting this pod -> network aliases
        aliases = [
            s["metadata"]["name"]
            for s in services
            if s["spec"].get("selector") and all(labels.get(k) == v for k, v in s["spec"]["selector"].items())
        ]
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        pre_volumes = []
        if kind == "StatefulSet":
            changes.append(f"{name}: StatefulSet played as a Deployment (same pod template)")
            for vct in w["spec"].get("volumeClaimTemplates", []):
                vname = f"{run}-{comp}-{vct['metadata']['name']}"
                spec.setdefault("volumes", []).append(
                    {"name": vct["metadata"]["name"], "persistentVolumeClaim": {"claimName": vname}}
                )
                pre_volumes.append(
                    {
                        "name": vname,
                        "type": "disk",
                        "uid": psc.get("runAsUser", 0),
                        "gid": psc.get("fsGroup", psc.get("runAsGroup", 0)),
                    }
                )
                changes.append(
                    f"{name}: volumeClaimTemplate {vct['metadata']['name']} -> podman volume {vname} (owner runAsUser:fsGroup)"
                )
            vols = {v["name"]: v for v in spec.get("volumes", [])}
        secret_vols = {k for k, v in vols.items() if "secret" in v}
        for v in spec.get("volumes", []):
            if "emptyDir" in v:
                vname = f"{run}-{comp}-{v['name']}"
                size = v["emptyDir"].get("sizeLimit")
                blocks = None
                if size:
                    units = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3, "K": 1000, "M": 1000**2, "G": 1000**3}
                    num, mult = size, 1
                    for u, m in units.items():
                        if size.endswith(u):
                            num, mult = size[: -len(u)], m
                            break
                    blocks = max(1, int(float(num) * mult) // 4096)
                pre_volumes.append(
                    {
                        "name": vname,
                        "type": "tmpfs",
                        "uid": psc.get("runAsUser", 0),
                        "gid": psc.get("fsGroup", psc.get("runAsGroup", 0)),
                        "blocks": blocks,
                    }
                )
                del v["emptyDir"]
                v["persistentVolumeClaim"] = {"claimName": vname}
                changes.append(f"{name}: emptyDir {v['name']} (sizeLimit {size}) -> per-pod tmpfs volume {vname}")
        containers = []
        for c in spec["containers"]:
            csc = c.get("securityContext", {}) or {}
            mounts = {m["mountPath"].rstrip("/"): m for m in c.get("volumeMounts", [])}
            env = []
            for e in c.get("env", []):
                if e["name"].endswith("_FILE") and "value" in e:
                    d, base = os.path.split(e["value"])
                    m = mounts.get(d)
                    if m and m["name"] in secret_vols:
                        sv = vols[m["name"]]["secret"]
                        key = next((i["key"] for i in sv.get("items", []) if i["path"] == base), base)
                        env.append(
                            {
                                "name": e["name"][:-5],
                                "valueFrom": {"secretKeyRef": {"name": sv["secretName"], "key": key}},
                            }
                        )
                        changes.append(
                            f"{name}/{c['name']}: env {e['name']} (file in secret volume) -> {e['name'][:-5]} from secretKeyRef {sv['secretName']}/{key}"
                        )
                        continue
                env.append(e)
            if "env" in c:
                c["env"] = env
            c["volumeMounts"] = [m for m in c.get("volumeMounts", []) if m["name"] not in secret_vols]
            probes = {p: c.pop(p) for p in ("startupProbe", "livenessProbe", "readinessProbe") if p in c}
            if probes:
                changes.append(
                    f"{name}/{c['name']}: {', '.join(probes)} removed from the played copy (run from outside)"
                )
            ports = []
            for p in c.get("ports", []):
                p["hostPort"] = free_port()
                p["hostIP"] = "127.0.0.1"
                ports.append({"name": p.get("name"), "containerPort": p["containerPort"], "hostPort": p["hostPort"]})
            changes.append(
                f"{name}/{c['name']}: ports "
                + ", ".join(f"{p['containerPort']} -> 127.0.0.1:{p['hostPort']}" for p in ports)
            )
            cms = [ef["configMapRef"]["name"] for ef in c.get("envFrom", []) if "configMapRef" in ef]
            cms += [
                e["valueFrom"]["configMapKeyRef"]["name"]
                for e in c.get("env", [])
                if "configMapKeyRef" in e.get("valueFrom", {})
            ]

            def eff(k, csc=csc, psc=psc):
                return csc.get(k, psc.get(k))

            containers.append(
                {
                    "name": c["name"],
                    "image": c["image"],
                    "probes": probes,
                    "ports": ports,
                    "uid": eff("runAsUser"),
                    "gid": eff("runAsGroup"),
                    "readOnlyRoot": bool(csc.get("readOnlyRootFilesystem")),
                    "dropAll": "ALL" in ((csc.get("capabilities") or {}).get("drop") or []),
                    "noNewPrivs": csc.get("allowPrivilegeEscalation") is False,
                    "seccomp": (eff("seccompProfile") or {}).get("type"),
                    "configMaps": sorted(set(cms)),
                    "env": [
                        {
                            "name": e["name"],
                            "value": e.get("value"),
                            "secret": (e.get("valueFrom") or {}).get("secretKeyRef"),
                        }
                        for e in c.get("env", [])
                    ],
                }
            )
        spec["volumes"] = [v for v in spec.get("volumes", []) if v["name"] not in secret_vols]
        if secret_vols:
            changes.append(
                f"{name}: secret volumes {', '.join(sorted(secret_vols))} dropped (podman 4.3.1 kube play panics on them)"
            )
        dep = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": name, "labels": w["metadata"].get("labels", {})},
            "spec": {"replicas": 1, "selector": w["spec"]["selector"], "template": tmpl},
        }
        used = sorted({cm for c in containers for cm in c["configMaps"]})
        path = f"{work}/play/{n}-{comp}.yaml"
        with open(path, "w") as f:
            yaml.safe_dump_all([configmaps[cm] for cm in used if cm in configmaps] + [dep], f, sort_keys=False)
        plan["workloads"].append(
            {
                "kind": kind,
                "name": name,
                "component": comp,
                "file": path,
                "pod": f"{name}-pod-0",
                "aliases": aliases,
                "volumes": pre_volumes,
                "configMaps": {cm: configmaps[cm]["data"] for cm in used if cm in configmaps},
                "containers": containers,
            }
        )
    plan["changes"] = changes
    with open(f"{work}/plan.json", "w") as f:
        json.dump(plan, f, indent=1)
    for ch in changes:
        print(f"  {ch}")
    return plan


def set_working_dir(ref, wd, files):
    """workingDir / for every container of image REF (whose WORKDIR WD is
    missing in the image) that sets none, in each played file."""
    for f in files:
        with open(f) as fh:
            docs = list(yaml.safe_load_all(fh))
        hit = False
        for d in docs:
            if d.get("kind") == "Deployment":
                for c in d["spec"]["template"]["spec"]["containers"]:
                    if c["image"] == ref and "workingDir" not in c:
                        c["workingDir"] = "/"
                        hit = True
                        print(
                            f"  {d['metadata']['name']}/{c['name']}: workingDir / (image WORKDIR {wd} missing in {ref})"
                        )
        if hit:
            with open(f, "w") as fh:
                yaml.safe_dump_all(docs, fh, sort_keys=False)


def main(argv):
    if len(argv) == 5 and argv[1] == "prepare":
        prepare(argv[2], argv[3], argv[4])
        return 0
    if len(argv) >= 4 and argv[1] == "workdir":
        set_working_dir(argv[2], argv[3], argv[4:])
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
