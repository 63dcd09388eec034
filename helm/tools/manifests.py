#!/usr/bin/env python3
"""Helpers for scripts/check-chart.sh: pick apart a `helm template` rendering.

Runs with the kubernetes-validate venv's Python (it has PyYAML). Subcommands:

  split RENDERED K8S_OUT CRD_OUT   write the built-in kinds and the Prometheus Operator kinds
                                   (ServiceMonitor, PrometheusRule) to separate files; print a
                                   per-kind count
  config RENDERED OUT              write the ConfigMap's config.json to OUT
  env RENDERED                     print NAME=VALUE lines for the bridge container's env, as the
                                   pod would get them; secretKeyRef values become a placeholder
                                   (the app validates structure, not secret contents)
  rules RENDERED OUT               write the PrometheusRule's spec (the `groups:` document) to OUT
  check-crds RENDERED              structural checks of the ServiceMonitor and PrometheusRule
  check-invariants RENDERED        chart rules every scenario must keep (hardening, no secret in
                                   the ConfigMap, probes on the admin port, selectors that pick
                                   the bridge's pods only, mounts that resolve, a drain Job that
                                   runs like the bridge, ...)
  kinds RENDERED                   print the kinds, one per line

Exit status 1 with a message on stderr when a check fails.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any, Iterator

import yaml

CRD_KINDS = {"ServiceMonitor", "PrometheusRule"}
SECRET_PLACEHOLDER = "placeholder-from-secret"
SECRET_CONFIG_KEYS = {"token", "previousTokens", "password", "username"}
WORKLOAD_KINDS = {"Deployment", "StatefulSet"}


class CheckError(Exception):
    pass


def load(path: str) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [doc for doc in yaml.safe_load_all(handle) if doc]


def dump(docs: list[dict[str, Any]], path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        yaml.safe_dump_all(docs, handle, sort_keys=False)


def one(docs: list[dict[str, Any]], kinds: set[str], what: str) -> dict[str, Any]:
    found = [doc for doc in docs if doc.get("kind") in kinds]
    if len(found) != 1:
        raise CheckError(f"expected exactly one {what}, found {len(found)}")
    return found[0]


def bridge_container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    workload = one(docs, WORKLOAD_KINDS, "Deployment or StatefulSet")
    containers = workload["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "bridge")


def cmd_split(rendered: str, k8s_out: str, crd_out: str) -> None:
    docs = load(rendered)
    dump([d for d in docs if d.get("kind") not in CRD_KINDS], k8s_out)
    dump([d for d in docs if d.get("kind") in CRD_KINDS], crd_out)
    counts: dict[str, int] = {}
    for doc in docs:
        counts[doc["kind"]] = counts.get(doc["kind"], 0) + 1
    print(" ".join(f"{kind}={n}" for kind, n in sorted(counts.items())))


def cmd_kinds(rendered: str) -> None:
    for doc in load(rendered):
        print(doc["kind"])


def config_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    # the app's ConfigMap; others (the Grafana dashboard) hold no config.json
    with_config = [d for d in docs if "config.json" in (d.get("data") or {})]
    configmap = one(with_config, {"ConfigMap"}, "ConfigMap with config.json")
    return json.loads(configmap["data"]["config.json"])


def cmd_config(rendered: str, out: str) -> None:
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(config_of(load(rendered)), handle, indent=2)
        handle.write("\n")


def cmd_env(rendered: str) -> None:
    for var in bridge_container(load(rendered)).get("env", []):
        if "value" in var:
            value = str(var["value"])
        elif "secretKeyRef" in var.get("valueFrom", {}):
            value = SECRET_PLACEHOLDER
        else:
            continue  # fieldRef/resourceFieldRef: not config
        if "\n" in value:
            raise CheckError(f"env {var['name']} has a newline; cannot pass it on")
        print(f"{var['name']}={value}")


def cmd_rules(rendered: str, out: str) -> None:
    rule = one(load(rendered), {"PrometheusRule"}, "PrometheusRule")
    with open(out, "w", encoding="utf-8") as handle:
        yaml.safe_dump(rule["spec"], handle, sort_keys=False, width=1000)


DURATION = re.compile(r"^[0-9]+(ms|s|m|h|d|w|y)$")


def check_metadata(doc: dict[str, Any]) -> None:
    meta = doc.get("metadata", {})
    if doc.get("apiVersion") != "monitoring.coreos.com/v1":
        raise CheckError(f"{doc['kind']}: apiVersion must be monitoring.coreos.com/v1")
    if not meta.get("name") or not meta.get("namespace"):
        raise CheckError(f"{doc['kind']}: metadata.name and metadata.namespace are required")
    if not isinstance(meta.get("labels"), dict):
        raise CheckError(f"{doc['kind']}: labels missing")


def check_servicemonitor(sm: dict[str, Any], docs: list[dict[str, Any]]) -> None:
    check_metadata(sm)
    spec = sm["spec"]
    allowed = {"selector", "namespaceSelector", "endpoints", "jobLabel", "targetLabels", "podTargetLabels", "sampleLimit"}
    unknown = set(spec) - allowed
    if unknown:
        raise CheckError(f"ServiceMonitor: unknown spec fields {sorted(unknown)}")
    match = spec["selector"].get("matchLabels", {})
    exprs = spec["selector"].get("matchExpressions", [])

    def selected(svc: dict[str, Any]) -> bool:
        labels = svc["metadata"].get("labels", {})
        if any(labels.get(k) != v for k, v in match.items()):
            return False
        for expr in exprs:
            if expr["operator"] == "DoesNotExist" and expr["key"] in labels:
                return False
            if expr["operator"] == "Exists" and expr["key"] not in labels:
                return False
        return True

    services = [d for d in docs if d["kind"] == "Service" and selected(d)]
    if len(services) != 1:
        raise CheckError(f"ServiceMonitor selects {len(services)} Services, expected exactly 1")
    service = services[0]
    if sm["metadata"]["namespace"] not in spec["namespaceSelector"].get("matchNames", []):
        raise CheckError("ServiceMonitor: namespaceSelector does not include its own namespace")
    port_names = {p["name"] for p in service["spec"]["ports"]}
    allowed_ep = {"port", "path", "scheme", "interval", "scrapeTimeout", "relabelings", "metricRelabelings", "honorLabels", "tlsConfig"}
    for endpoint in spec["endpoints"]:
        if set(endpoint) - allowed_ep:
            raise CheckError(f"ServiceMonitor endpoint: unknown fields {sorted(set(endpoint) - allowed_ep)}")
        if endpoint.get("port") not in port_names:
            raise CheckError(f"ServiceMonitor endpoint port {endpoint.get('port')!r} is not a port of Service {service['metadata']['name']}")
        if endpoint.get("port") != "admin" or endpoint.get("path") != "/metrics":
            raise CheckError("ServiceMonitor must scrape /metrics on the admin port")
        for key in ("interval", "scrapeTimeout"):
            if key in endpoint and not DURATION.match(str(endpoint[key])):
                raise CheckError(f"ServiceMonitor endpoint {key} {endpoint[key]!r} is not a duration")


def check_prometheusrule(rule: dict[str, Any]) -> None:
    check_metadata(rule)
    groups = rule["spec"].get("groups")
    if not groups:
        raise CheckError("PrometheusRule: no groups")
    names = set()
    for group in groups:
        if not group.get("rules"):
            raise CheckError(f"PrometheusRule group {group.get('name')}: no rules")
        for item in group["rules"]:
            name = item.get("alert") or item.get("record")
            if not name or not item.get("expr"):
                raise CheckError(f"PrometheusRule: rule without alert/record name or expr: {item}")
            if "alert" in item:
                if name in names:
                    raise CheckError(f"PrometheusRule: duplicate alert {name}")
                names.add(name)
                if "severity" not in item.get("labels", {}):
                    raise CheckError(f"alert {name}: no severity label")
                if "summary" not in item.get("annotations", {}):
                    raise CheckError(f"alert {name}: no summary annotation")
                if "for" in item and not DURATION.match(str(item["for"])):
                    raise CheckError(f"alert {name}: for {item['for']!r} is not a duration")


def cmd_check_crds(rendered: str) -> None:
    docs = load(rendered)
    checked = []
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            check_servicemonitor(doc, docs)
            checked.append("ServiceMonitor")
        elif doc["kind"] == "PrometheusRule":
            check_prometheusrule(doc)
            checked.append("PrometheusRule")
    print(" ".join(checked) or "none")


def walk_keys(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield f"{path}.{key}".lstrip("."), child
            yield from walk_keys(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from walk_keys(child, f"{path}[{index}]")


def hardening_problems(what: str, pod: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """The hardened securityContext every pod of the chart that runs the bridge's image keeps."""
    problems = []
    sc = container.get("securityContext", {})
    psc = pod.get("securityContext", {})
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{what}: container root filesystem is not read-only")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{what}: allowPrivilegeEscalation is not false")
    if "ALL" not in sc.get("capabilities", {}).get("drop", []):
        problems.append(f"{what}: capabilities do not drop ALL")
    if psc.get("runAsNonRoot") is not True and sc.get("runAsNonRoot") is not True:
        problems.append(f"{what}: runAsNonRoot is not set")
    seccomp = (sc.get("seccompProfile") or psc.get("seccompProfile") or {}).get("type")
    if seccomp != "RuntimeDefault":
        problems.append(f"{what}: seccompProfile is not RuntimeDefault")
    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{what}: service account token is mounted")
    if not container.get("resources", {}).get("requests"):
        problems.append(f"{what}: no resource requests")
    return problems


def selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether a label selector (plain map or matchLabels/matchExpressions) selects labels."""
    if not selector:
        return False  # an absent or empty selector is not one this chart writes
    match = selector.get("matchLabels", selector if "matchExpressions" not in selector else {})
    if any(labels.get(k) != v for k, v in match.items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def pod_templates(docs: list[dict[str, Any]]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """The pods this rendering can create, by role: (labels, pod spec)."""
    pods = {}
    for doc in docs:
        if doc["kind"] in WORKLOAD_KINDS:
            pods["bridge"] = (doc["spec"]["template"]["metadata"].get("labels", {}), doc["spec"]["template"]["spec"])
        elif doc["kind"] == "Job":
            pods["drain"] = (doc["spec"]["template"]["metadata"].get("labels", {}), doc["spec"]["template"]["spec"])
        elif doc["kind"] == "Pod":
            pods["test"] = (doc["metadata"].get("labels", {}), doc["spec"])
    return pods


def selector_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Services, the PDB, the workload and the bridge's NetworkPolicy select the bridge's pods
    and nothing else (not the drain Job's pod, not the helm test pod); the drain NetworkPolicy
    selects only the drain pod; the HPA scales the workload that exists."""
    problems = []
    pods = pod_templates(docs)
    workload = one(docs, WORKLOAD_KINDS, "Deployment or StatefulSet")
    for doc in docs:
        kind, name = doc["kind"], doc["metadata"]["name"]
        if kind == "Service":
            selector = doc["spec"].get("selector")
        elif kind in WORKLOAD_KINDS or kind == "PodDisruptionBudget":
            selector = doc["spec"]["selector"]
        elif kind == "NetworkPolicy":
            selector = doc["spec"]["podSelector"]
        else:
            continue
        expected = {"drain"} if kind == "NetworkPolicy" and name.endswith("-drain") else {"bridge"}
        selected = {role for role, (labels, _) in pods.items() if selects(selector, labels)}
        if selected != expected:
            problems.append(f"{kind} {name} selects the {sorted(selected) or 'no'} pods, expected {sorted(expected)}")
    for hpa in (d for d in docs if d["kind"] == "HorizontalPodAutoscaler"):
        ref = hpa["spec"]["scaleTargetRef"]
        if (ref.get("kind"), ref.get("name")) != (workload["kind"], workload["metadata"]["name"]):
            problems.append(f"HPA scales {ref.get('kind')} {ref.get('name')}, but the workload is {workload['kind']} {workload['metadata']['name']}")
    return problems


def volume_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every volumeMount names a volume that exists, and the spool volume is what the mode says:
    a claim per pod (StatefulSet), an emptyDir (Deployment), the named claim (drain Job)."""
    problems = []
    workload = one(docs, WORKLOAD_KINDS, "Deployment or StatefulSet")
    claim_templates = {t["metadata"]["name"] for t in workload["spec"].get("volumeClaimTemplates", [])}
    for role, (_, pod) in pod_templates(docs).items():
        volumes = {v["name"]: v for v in pod.get("volumes", [])}
        available = set(volumes) | (claim_templates if role == "bridge" else set())
        for container in pod["containers"]:
            for mount in container.get("volumeMounts", []):
                if mount["name"] not in available:
                    problems.append(f"{role} container {container['name']} mounts {mount['name']}, which is not a volume of its pod")
        if role == "bridge":
            if workload["kind"] == "StatefulSet" and ("spool" not in claim_templates or "spool" in volumes):
                problems.append("StatefulSet: the spool must come from its volumeClaimTemplates only")
            if workload["kind"] == "Deployment" and "emptyDir" not in volumes.get("spool", {}):
                problems.append("Deployment: the spool must be an emptyDir")
        if role == "drain" and not volumes.get("spool", {}).get("persistentVolumeClaim", {}).get("claimName"):
            problems.append("drain Job: the spool must be the named claim")
    return problems


DRAIN_COMMAND = ["node", "dist/src/cli.js", "spool", "drain"]


def drain_job_problems(docs: list[dict[str, Any]]) -> list[str]:
    """The drain Job runs the bridge's drain command with the bridge's own image, env, config,
    Secret and mounts, hardened the same way, and is bounded."""
    jobs = [d for d in docs if d["kind"] == "Job"]
    if not jobs:
        return []
    problems = []
    job = one(docs, {"Job"}, "Job")
    spec = job["spec"]
    pod = spec["template"]["spec"]
    drain = next((c for c in pod["containers"] if c["name"] == "drain"), None)
    if drain is None:
        return ["drain Job: no container named drain"]
    bridge = bridge_container(docs)
    workload = one(docs, WORKLOAD_KINDS, "Deployment or StatefulSet")
    problems += hardening_problems("drain", pod, drain)
    if drain.get("command") != DRAIN_COMMAND:
        problems.append(f"drain Job: command is {drain.get('command')}, expected {DRAIN_COMMAND}")
    args = drain.get("args", [])
    if len(args) != 2 or args[0] != "--timeout-seconds" or not str(args[1]).isdigit():
        problems.append(f"drain Job: args are {args}, expected ['--timeout-seconds', N]")
    elif int(spec.get("activeDeadlineSeconds", 0)) <= int(args[1]):
        problems.append("drain Job: activeDeadlineSeconds does not outlast --timeout-seconds")
    for key in ("image", "env", "volumeMounts"):
        if drain.get(key) != bridge.get(key):
            problems.append(f"drain Job: container {key} differs from the bridge container's")
    bridge_volumes = [v for v in workload["spec"]["template"]["spec"].get("volumes", []) if v["name"] != "spool"]
    if [v for v in pod.get("volumes", []) if v["name"] != "spool"] != bridge_volumes:
        problems.append("drain Job: volumes (besides the spool) differ from the bridge's")
    if pod.get("securityContext") != workload["spec"]["template"]["spec"].get("securityContext"):
        problems.append("drain Job: pod securityContext differs from the bridge's")
    if pod.get("restartPolicy") != "Never":
        problems.append("drain Job: restartPolicy must be Never (podFailurePolicy needs it)")
    for key in ("backoffLimit", "activeDeadlineSeconds", "podFailurePolicy"):
        if key not in spec:
            problems.append(f"drain Job: no {key}")
    return problems


def cmd_check_invariants(rendered: str) -> None:
    docs = load(rendered)
    problems: list[str] = []

    # No secret value in the ConfigMap: only file paths.
    for path, value in walk_keys(config_of(docs)):
        if path.split(".")[-1].split("[")[0] in SECRET_CONFIG_KEYS and value not in ("", None, []):
            problems.append(f"ConfigMap config.json sets {path}: secrets belong in the Secret")

    workload = one(docs, WORKLOAD_KINDS, "Deployment or StatefulSet")
    pod = workload["spec"]["template"]["spec"]
    container = bridge_container(docs)
    problems += hardening_problems("bridge", pod, container)
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container.get(probe, {}).get("httpGet", {})
        if get.get("path") != path or get.get("port") != "admin":
            problems.append(f"{probe} is not GET {path} on the admin port")
    if not container.get("lifecycle", {}).get("preStop", {}).get("sleep"):
        problems.append("no preStop sleep")
    if "checksum/config" not in workload["spec"]["template"]["metadata"].get("annotations", {}):
        problems.append("no checksum/config annotation")

    # Every path the config names must be on a mounted volume, and spool + /tmp must be writable.
    config = config_of(docs)
    mounts = {m["mountPath"]: m for m in container.get("volumeMounts", [])}

    def mounted(path: str) -> dict[str, Any] | None:
        best = None
        for mount_path, mount in mounts.items():
            if path == mount_path or path.startswith(mount_path.rstrip("/") + "/"):
                if best is None or len(mount_path) > len(best["mountPath"]):
                    best = mount
        return best

    files = [(p, v) for p, v in walk_keys(config) if isinstance(v, str) and p.split(".")[-1].split("[")[0] in {"tokenFile", "passwordFile", "caFile", "certFile", "keyFile"} and v]
    files += [(p, v) for p, v in walk_keys(config) if re.search(r"previousTokenFiles\[\d+\]$", p)]
    for path, value in files:
        if not mounted(value):
            problems.append(f"config {path} = {value} is not on a mounted volume")
    for path in (config["spool"]["dir"], "/tmp"):
        mount = mounted(path)
        if not mount or mount.get("readOnly"):
            problems.append(f"{path} is not on a writable volume")

    # The Secret, when the chart makes one, must hold every key the config points at.
    secrets = [d for d in docs if d["kind"] == "Secret"]
    if secrets:
        keys = set(secrets[0].get("data", {}))
        for path, value in files:
            if value.startswith("/etc/tencent-live-kafka-bridge/secrets/"):
                key = value.rsplit("/", 1)[1]
                if key not in keys:
                    problems.append(f"config {path} points at Secret key {key}, which the Secret lacks")

    problems += selector_problems(docs)
    problems += volume_problems(docs)
    problems += drain_job_problems(docs)

    if problems:
        raise CheckError("; ".join(problems))
    print("ok")


def main(argv: list[str]) -> int:
    commands = {
        "split": (cmd_split, 3),
        "config": (cmd_config, 2),
        "env": (cmd_env, 1),
        "rules": (cmd_rules, 2),
        "check-crds": (cmd_check_crds, 1),
        "check-invariants": (cmd_check_invariants, 1),
        "kinds": (cmd_kinds, 1),
    }
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    function, _ = commands[argv[1]]
    try:
        function(*argv[2:])
    except CheckError as error:
        print(f"{argv[1]}: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
