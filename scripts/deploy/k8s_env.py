#!/usr/bin/env python3
"""The environment each process gets from the rendered Kubernetes manifests.

    k8s_env.py RENDERED.yaml SECRETS.json PORTS.json OUT_DIR

RENDERED.yaml is `kubectl kustomize` output; SECRETS.json maps every `ap-secrets` key to its
value (the example Secret's keys, filled with generated values). For every Deployment and the
migrate Job it resolves `envFrom` (ConfigMaps) and `env` (literals, ConfigMap and Secret key
references; a missing non-optional reference is an error, as the kubelet would refuse the pod),
writes the Secret items each pod mounts under OUT_DIR/<process>/<mountPath>, and writes
OUT_DIR/<process>.env: NUL-separated KEY=VALUE pairs for `env -i`.

The only rewrites are those a single host needs: mount paths point into OUT_DIR, listen
addresses and `http://ap-<service>:<port>` URLs point to 127.0.0.1 on the ports of PORTS.json
(service -> port). Everything else is exactly what the manifests say.
"""
import json
import os
import re
import sys

import yaml


def main():
    rendered, secrets_path, ports_path, out = sys.argv[1:5]
    docs = [d for d in yaml.safe_load_all(open(rendered)) if d]
    secrets = json.load(open(secrets_path))
    ports = json.load(open(ports_path))
    by_port = {}
    configmaps = {d["metadata"]["name"]: d.get("data", {}) for d in docs if d["kind"] == "ConfigMap"}
    example = [d for d in docs if d["kind"] == "Secret"]
    if example:
        sys.exit("a Secret is part of the rendered manifests: secrets are created out of band")
    summary = {}
    for d in docs:
        if d["kind"] not in ("Deployment", "Job"):
            continue
        spec = d["spec"]["template"]["spec"]
        container = spec["containers"][0]
        args = container.get("args", [])
        process = args[1] if args[:1] == ["serve"] else args[0]
        env = {}
        for src in container.get("envFrom", []):
            ref = src.get("configMapRef") or src.get("secretRef")
            if src.get("secretRef"):
                sys.exit(f"{process}: envFrom secretRef is not supported here")
            if ref["name"] not in configmaps:
                sys.exit(f"{process}: ConfigMap {ref['name']} is not in the manifests")
            env.update(configmaps[ref["name"]])
        for item in container.get("env", []):
            name = item["name"]
            if "value" in item:
                env[name] = str(item["value"])
                continue
            vf = item["valueFrom"]
            if "secretKeyRef" in vf:
                ref = vf["secretKeyRef"]
                if ref["name"] != "ap-secrets":
                    sys.exit(f"{process}: unknown Secret {ref['name']}")
                if ref["key"] in secrets and secrets[ref["key"]] != "":
                    env[name] = secrets[ref["key"]]
                elif not ref.get("optional"):
                    sys.exit(f"{process}: Secret key {ref['key']} ({name}) is missing")
            elif "configMapKeyRef" in vf:
                ref = vf["configMapKeyRef"]
                env[name] = configmaps[ref["name"]][ref["key"]]
            else:
                sys.exit(f"{process}: unsupported valueFrom for {name}")
        # Secret volumes: exactly the items this pod mounts.
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        root = os.path.join(out, process)
        mounts = {}
        for m in container.get("volumeMounts", []):
            vol = volumes[m["name"]]
            if "secret" not in vol:
                continue
            target = os.path.join(root, m["mountPath"].lstrip("/"))
            os.makedirs(target, exist_ok=True)
            for it in vol["secret"].get("items", []):
                if it["key"] not in secrets:
                    sys.exit(f"{process}: Secret key {it['key']} (mounted) is missing")
                path = os.path.join(target, it["path"])
                with open(path, "w") as f:
                    f.write(secrets[it["key"]])
                os.chmod(path, 0o440)
            mounts[m["mountPath"]] = target
        for name, value in list(env.items()):
            for mount, target in mounts.items():
                if value.startswith(mount + "/"):
                    value = target + value[len(mount):]
            m = re.fullmatch(r"0\.0\.0\.0:(\d+)", value)
            if m and name.endswith("_ADDR"):
                svc = name[: -len("_ADDR")].lower()
                value = f"127.0.0.1:{ports[svc]}"
            m = re.fullmatch(r"http://ap-([a-z]+):(\d+)", value)
            if m:
                value = f"http://127.0.0.1:{ports[m.group(1)]}"
            env[name] = value
        with open(os.path.join(out, f"{process}.env"), "wb") as f:
            for k, v in sorted(env.items()):
                f.write(f"{k}={v}".encode() + b"\0")
        summary[process] = sorted(env)
    json.dump(summary, open(os.path.join(out, "contracts.json"), "w"), indent=1)
    for p, names in summary.items():
        print(f"{p}: {len(names)} variables")


if __name__ == "__main__":
    main()
