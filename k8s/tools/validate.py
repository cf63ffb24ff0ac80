#!/usr/bin/env python3
"""Offline checks of rendered phi-guard manifests (called by scripts/validate-k8s).

    validate.py --secret-template k8s/base/secret.example.yaml [--rules rules.json] NAME=FILE...

Each NAME=FILE is one rendered variant (the output of `kubectl kustomize`). For every object:

1. Schema: validated with kubernetes-validate (JSON schemas of the Kubernetes API bundled in the
   PyPI package; no cluster, no network) in strict mode (unknown fields are errors), against the
   oldest and the newest Kubernetes version we claim to support.
2. Custom resources (ServiceMonitor) have no bundled schema: a structural check of the fields we
   use instead, and the kind is named in the output as not schema-validated.
3. Consistency inside the variant: selectors match pods, named ports exist, referenced
   ConfigMaps / PVCs exist, Secret keys exist in the template, every `*_file` path of the config
   lies in a mounted Secret key, the grace period covers preStop + drain, the embedded store runs
   as exactly one Recreate pod, security context hardening on every container.

Exits 1 if anything failed, printing every problem (not just the first).
"""

import argparse
import json
import re
import sys
import tomllib

import yaml
from kubernetes_validate import utils as kv

K8S_VERSIONS = ["1.30", "1.37"]
PHI_GUARD = "phi-guard"
SECRET_NAME = "phi-guard-secrets"


class Report:
    def __init__(self):
        self.errors = []
        self.notes = []

    def err(self, where, msg):
        self.errors.append(f"{where}: {msg}")

    def note(self, where, msg):
        self.notes.append(f"{where}: {msg}")


def load_docs(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    out = []
    for d in docs:
        if d.get("kind") == "List":
            out.extend(d.get("items") or [])
        else:
            out.append(d)
    return out


def kn(o):
    return f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"


def matches(selector, labels):
    """matchLabels semantics (the only selector form these manifests use)."""
    ml = (selector or {}).get("matchLabels", selector or {})
    if not ml:
        return False
    return all(labels.get(k) == v for k, v in ml.items())


# --- 1. schemas --------------------------------------------------------------------------------


def schema_check(rep, where, o):
    for v in K8S_VERSIONS:
        try:
            kv.validate(o, v, strict=True)
        except kv.ValidationError as e:
            path = ".".join(str(p) for p in e.path)
            rep.err(where, f"{kn(o)} invalid against Kubernetes {v}: {path}: {e.message}")
            return "invalid"
        except kv.SchemaNotFoundError:
            return "no-schema"
    return "ok"


def check_servicemonitor(rep, where, o):
    """monitoring.coreos.com/v1 ServiceMonitor: the fields phi-guard uses, typed."""
    if o.get("apiVersion") != "monitoring.coreos.com/v1":
        rep.err(where, f"{kn(o)}: apiVersion must be monitoring.coreos.com/v1")
    spec = o.get("spec")
    if not isinstance(spec, dict):
        rep.err(where, f"{kn(o)}: spec missing")
        return
    known = {"selector", "endpoints", "namespaceSelector", "jobLabel", "targetLabels",
             "podTargetLabels", "sampleLimit"}
    for k in spec:
        if k not in known:
            rep.err(where, f"{kn(o)}: unexpected spec field `{k}`")
    sel = spec.get("selector")
    if not isinstance(sel, dict) or not isinstance(sel.get("matchLabels"), dict):
        rep.err(where, f"{kn(o)}: spec.selector.matchLabels required")
    eps = spec.get("endpoints")
    if not isinstance(eps, list) or not eps:
        rep.err(where, f"{kn(o)}: spec.endpoints must be a non-empty list")
        return
    ep_known = {"port", "path", "interval", "scrapeTimeout", "scheme", "honorLabels",
                "relabelings", "metricRelabelings"}
    for i, ep in enumerate(eps):
        for k in ep:
            if k not in ep_known:
                rep.err(where, f"{kn(o)}: unexpected endpoints[{i}] field `{k}`")
        if not isinstance(ep.get("port"), str):
            rep.err(where, f"{kn(o)}: endpoints[{i}].port must be a Service port name")
        for k in ("interval", "scrapeTimeout"):
            if k in ep and not re.fullmatch(r"(\d+(ms|s|m|h))+", str(ep[k])):
                rep.err(where, f"{kn(o)}: endpoints[{i}].{k} is not a duration")
        if not str(ep.get("path", "/metrics")).startswith("/"):
            rep.err(where, f"{kn(o)}: endpoints[{i}].path must start with /")


def check_prometheusrule(rep, where, o):
    """monitoring.coreos.com/v1 PrometheusRule: groups of alerting rules, typed."""
    if o.get("apiVersion") != "monitoring.coreos.com/v1":
        rep.err(where, f"{kn(o)}: apiVersion must be monitoring.coreos.com/v1")
    groups = (o.get("spec") or {}).get("groups")
    if not isinstance(groups, list) or not groups:
        rep.err(where, f"{kn(o)}: spec.groups must be a non-empty list")
        return
    seen = set()
    for g in groups:
        if not isinstance(g.get("name"), str) or not isinstance(g.get("rules"), list):
            rep.err(where, f"{kn(o)}: every group needs a name and a rules list")
            continue
        for r in g["rules"]:
            name = r.get("alert") or r.get("record")
            rw = f"{kn(o)} rule {name}"
            unknown = set(r) - {"alert", "record", "expr", "for", "keep_firing_for", "labels",
                                "annotations"}
            if unknown:
                rep.err(where, f"{rw}: unexpected fields {sorted(unknown)}")
            if not name or ("alert" in r) == ("record" in r):
                rep.err(where, f"{rw}: exactly one of alert / record")
            if name in seen:
                rep.err(where, f"{rw}: duplicate name")
            seen.add(name)
            expr = r.get("expr")
            if not isinstance(expr, str) or not expr.strip():
                rep.err(where, f"{rw}: expr required")
            elif expr.count("(") != expr.count(")") or expr.count("{") != expr.count("}"):
                rep.err(where, f"{rw}: unbalanced brackets in expr")
            if "for" in r and not re.fullmatch(r"(\d+(ms|s|m|h|d))+", str(r["for"])):
                rep.err(where, f"{rw}: `for` is not a duration")
            if "alert" in r and (r.get("labels") or {}).get("severity") not in ("critical", "warning", "info"):
                rep.err(where, f"{rw}: labels.severity must be critical, warning or info")
            if "alert" in r and not (r.get("annotations") or {}).get("summary"):
                rep.err(where, f"{rw}: annotations.summary required")


CRD_CHECKS = {"ServiceMonitor": check_servicemonitor, "PrometheusRule": check_prometheusrule}


# --- 3. consistency ----------------------------------------------------------------------------


def pod_templates(objs):
    for o in objs:
        if o["kind"] in ("Deployment", "StatefulSet"):
            yield o, o["spec"]["template"]


def check_security(rep, where, o, pod):
    psc = pod["spec"].get("securityContext", {})
    if psc.get("runAsNonRoot") is not True:
        rep.err(where, f"{kn(o)}: pod securityContext.runAsNonRoot must be true")
    if psc.get("seccompProfile", {}).get("type") != "RuntimeDefault":
        rep.err(where, f"{kn(o)}: pod seccompProfile must be RuntimeDefault")
    for c in pod["spec"].get("initContainers", []) + pod["spec"]["containers"]:
        sc = c.get("securityContext", {})
        cw = f"{kn(o)} container {c['name']}"
        if sc.get("readOnlyRootFilesystem") is not True:
            rep.err(where, f"{cw}: readOnlyRootFilesystem must be true")
        if sc.get("allowPrivilegeEscalation") is not False:
            rep.err(where, f"{cw}: allowPrivilegeEscalation must be false")
        if sc.get("capabilities", {}).get("drop") != ["ALL"]:
            rep.err(where, f"{cw}: capabilities.drop must be [ALL]")
        res = c.get("resources", {})
        if "memory" not in res.get("limits", {}) or "cpu" not in res.get("requests", {}):
            rep.err(where, f"{cw}: needs a memory limit and a CPU request")


def env_value(container, name):
    for e in container.get("env", []):
        if e["name"] == name:
            return e
    return None


def check_variant(rep, name, objs, secret_keys, rule_cms):
    where = name
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], {})[o["metadata"]["name"]] = o
    cms = dict(by_kind.get("ConfigMap", {}))
    pvcs = by_kind.get("PersistentVolumeClaim", {})
    services = by_kind.get("Service", {})
    workloads = list(pod_templates(objs))

    # Services select pods; named target ports exist on those pods.
    for s in services.values():
        pods = [p for _, p in workloads if matches(s["spec"].get("selector"), p["metadata"]["labels"])]
        if not pods:
            rep.err(where, f"{kn(s)} selects no pod template")
        for port in s["spec"]["ports"]:
            tp = port.get("targetPort")
            if isinstance(tp, str):
                names = {cp.get("name") for p in pods for c in p["spec"]["containers"]
                         for cp in c.get("ports", [])}
                if tp not in names:
                    rep.err(where, f"{kn(s)} targetPort `{tp}` is not a container port name")

    for sm in by_kind.get("ServiceMonitor", {}).values():
        sel = sm["spec"].get("selector", {})
        svcs = [s for s in services.values() if matches(sel, s["metadata"].get("labels", {}))]
        if not svcs:
            rep.err(where, f"{kn(sm)} selects no Service")
        for ep in sm["spec"].get("endpoints", []):
            if not any(ep.get("port") == p.get("name") for s in svcs for p in s["spec"]["ports"]):
                rep.err(where, f"{kn(sm)} endpoint port `{ep.get('port')}` is not a Service port name")

    for h in by_kind.get("HorizontalPodAutoscaler", {}).values():
        ref = h["spec"]["scaleTargetRef"]
        if ref["name"] not in by_kind.get(ref["kind"], {}):
            rep.err(where, f"{kn(h)} targets missing {ref['kind']}/{ref['name']}")
    for pdb in by_kind.get("PodDisruptionBudget", {}).values():
        if not any(matches(pdb["spec"]["selector"], p["metadata"]["labels"]) for _, p in workloads):
            rep.err(where, f"{kn(pdb)} selects no pod template")
    for np in by_kind.get("NetworkPolicy", {}).values():
        if not any(matches(np["spec"]["podSelector"], p["metadata"]["labels"]) for _, p in workloads):
            rep.err(where, f"{kn(np)} podSelector matches no pod template")

    for o, pod in workloads:
        check_security(rep, where, o, pod)
        spec = pod["spec"]
        vols = {v["name"]: v for v in spec.get("volumes", [])}
        claim_templates = {t["metadata"]["name"] for t in o["spec"].get("volumeClaimTemplates", [])}
        for v in vols.values():
            if "configMap" in v:
                cm = v["configMap"]["name"]
                if cm not in cms and cm not in rule_cms and not v["configMap"].get("optional"):
                    rep.err(where, f"{kn(o)} volume {v['name']}: ConfigMap {cm} is not defined")
            if "secret" in v and v["secret"]["secretName"] != SECRET_NAME:
                rep.err(where, f"{kn(o)} volume {v['name']}: unexpected Secret {v['secret']['secretName']}")
            if "persistentVolumeClaim" in v and v["persistentVolumeClaim"]["claimName"] not in pvcs:
                rep.err(where, f"{kn(o)} volume {v['name']}: PVC is not defined")
        for c in spec["containers"]:
            cw = f"{kn(o)} container {c['name']}"
            ports = {p.get("name") for p in c.get("ports", [])}
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                p = c.get(probe) or {}
                port = (p.get("httpGet") or p.get("tcpSocket") or {}).get("port")
                if isinstance(port, str) and port not in ports:
                    rep.err(where, f"{cw} {probe}: port `{port}` is not a container port name")
            for m in c.get("volumeMounts", []):
                if m["name"] not in vols and m["name"] not in claim_templates:
                    rep.err(where, f"{cw}: volumeMount {m['name']} has no volume")
            for e in c.get("env", []):
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if ref:
                    if ref["name"] != SECRET_NAME or ref["key"] not in secret_keys:
                        rep.err(where, f"{cw} env {e['name']}: Secret key {ref['name']}/{ref['key']} "
                                       "is not in secret.example.yaml")
        if o["metadata"]["name"] == PHI_GUARD:
            check_phi_guard(rep, where, o, pod, cms, secret_keys, by_kind)


def mount_for(container, vols, path):
    """(volume, sub-path) of the deepest mount containing `path`."""
    best = None
    for m in container.get("volumeMounts", []):
        mp = m["mountPath"].rstrip("/")
        if path == mp or path.startswith(mp + "/"):
            if best is None or len(mp) > len(best[0]):
                best = (mp, m)
    if best is None:
        return None, None
    mp, m = best
    return vols.get(m["name"]), path[len(mp) + 1:]


def check_phi_guard(rep, where, o, pod, cms, secret_keys, by_kind):
    spec = pod["spec"]
    c = next((c for c in spec["containers"] if c["name"] == PHI_GUARD), None)
    if c is None:
        rep.err(where, f"{kn(o)}: no container named {PHI_GUARD}")
        return
    vols = {v["name"]: v for v in spec.get("volumes", [])}
    cfg_env = env_value(c, "PHI_GUARD_CONFIG")
    if not cfg_env:
        rep.err(where, f"{kn(o)}: PHI_GUARD_CONFIG is not set")
        return
    vol, rel = mount_for(c, vols, cfg_env["value"])
    if not vol or "configMap" not in vol or vol["configMap"]["name"] not in cms:
        rep.err(where, f"{kn(o)}: PHI_GUARD_CONFIG {cfg_env['value']} is not in a mounted ConfigMap")
        return
    text = cms[vol["configMap"]["name"]].get("data", {}).get(rel)
    if text is None:
        rep.err(where, f"{kn(o)}: ConfigMap {vol['configMap']['name']} has no key {rel}")
        return
    try:
        cfg = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        rep.err(where, f"{kn(o)}: {rel} is not valid TOML: {e}")
        return

    # Every *_file path must be a key of the mounted Secret.
    def files(node, prefix=""):
        for k, v in node.items():
            if isinstance(v, dict):
                yield from files(v, f"{prefix}{k}.")
            elif k.endswith("_file") and v:
                yield f"{prefix}{k}", v
    for key, path in files(cfg):
        vol, rel = mount_for(c, vols, path)
        if not vol or "secret" not in vol:
            rep.err(where, f"{kn(o)}: {key} = {path} is not under a mounted Secret")
        elif rel not in secret_keys:
            rep.err(where, f"{kn(o)}: {key} = {path}: key `{rel}` is not in secret.example.yaml")

    # Graceful shutdown: the grace period covers preStop + the service's own drain.
    drain = cfg.get("server", {}).get("shutdown_grace_seconds", 25)
    pre = c.get("lifecycle", {}).get("preStop", {})
    pre_s = 0
    cmd = pre.get("exec", {}).get("command", [])
    if len(cmd) == 2 and cmd[0].endswith("sleep"):
        pre_s = int(cmd[1])
    elif "sleep" in pre:
        pre_s = int(pre["sleep"]["seconds"])
    else:
        rep.err(where, f"{kn(o)}: no preStop sleep (endpoints must be removed before the drain)")
    tgp = spec.get("terminationGracePeriodSeconds", 30)
    if tgp < pre_s + drain + 5:
        rep.err(where, f"{kn(o)}: terminationGracePeriodSeconds {tgp} < preStop {pre_s} + "
                       f"shutdown_grace_seconds {drain} + 5")
    if cfg.get("server", {}).get("listen", "").rsplit(":", 1)[-1] != str(
        next((p["containerPort"] for p in c.get("ports", []) if p.get("name") == "http"), "")
    ):
        rep.err(where, f"{kn(o)}: server.listen port differs from the container port `http`")

    # Store backend: env wins over the file.
    b = env_value(c, "PHI_GUARD_STORE__BACKEND")
    backend = b["value"] if b else cfg.get("store", {}).get("backend", "embedded")
    if backend == "embedded":
        if o["kind"] == "Deployment":
            if o["spec"].get("replicas") != 1 or o["spec"].get("strategy", {}).get("type") != "Recreate":
                rep.err(where, f"{kn(o)}: the embedded store needs replicas: 1 and strategy Recreate")
        if "HorizontalPodAutoscaler" in by_kind:
            rep.err(where, "an HPA cannot scale the single-process embedded store")
        path = cfg.get("store", {}).get("path", "data")
        vol, _ = mount_for(c, vols, path)
        if not vol or "persistentVolumeClaim" not in vol:
            rep.err(where, f"{kn(o)}: store.path {path} is not on a PersistentVolumeClaim")
    elif backend == "redis":
        if not env_value(c, "PHI_GUARD_STORE__REDIS_URL") and not cfg.get("store", {}).get("redis_url"):
            rep.err(where, f"{kn(o)}: backend redis without PHI_GUARD_STORE__REDIS_URL")
    else:
        rep.err(where, f"{kn(o)}: unknown store backend {backend!r}")

    # Rules from ConfigMaps: the directory is mounted, each jurisdiction folder is a mount.
    d = env_value(c, "PHI_GUARD_PATTERNS__DIR")
    rules_dir = d["value"] if d else cfg.get("patterns", {}).get("dir", "")
    if rules_dir:
        juris = cfg.get("patterns", {}).get("jurisdictions", [])
        for sub in [""] + juris + ["dictionaries"]:
            p = f"{rules_dir}/{sub}".rstrip("/")
            mounted = any(m["mountPath"].rstrip("/") == p for m in c.get("volumeMounts", []))
            if not mounted:
                rep.err(where, f"{kn(o)}: rules folder {p} is not a mount of its own")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--secret-template", required=True)
    ap.add_argument("--rules", help="rendered rule ConfigMaps (k8s/tools/rules-configmaps)")
    ap.add_argument("variants", nargs="+", help="NAME=FILE")
    args = ap.parse_args()
    rep = Report()
    counts = {}

    secret = load_docs(args.secret_template)
    secret_keys = set()
    for o in secret:
        status = schema_check(rep, args.secret_template, o)
        counts[status] = counts.get(status, 0) + 1
        secret_keys |= set((o.get("stringData") or {}).keys()) | set((o.get("data") or {}).keys())

    rule_cms = set()
    # The rule ConfigMaps are created outside kustomize; when no rule tree was rendered, their
    # names are taken as given (the component's own ConfigMap names).
    rule_names_default = {f"phi-guard-rules-{f}" for f in
                          ("global", "common", "us", "fr", "health", "dictionaries")}
    if args.rules:
        for o in load_docs(args.rules):
            status = schema_check(rep, args.rules, o)
            counts[status] = counts.get(status, 0) + 1
            rule_cms.add(o["metadata"]["name"])
        missing = rule_names_default - rule_cms
        if missing:
            rep.err(args.rules, f"the component mounts ConfigMaps the rule tree does not produce: "
                                f"{sorted(missing)}")
    else:
        rule_cms = rule_names_default

    for spec in args.variants:
        name, _, path = spec.partition("=")
        objs = load_docs(path)
        kinds = []
        for o in objs:
            status = schema_check(rep, name, o)
            if status == "no-schema":
                check = CRD_CHECKS.get(o["kind"])
                if check is None:
                    rep.err(name, f"{kn(o)}: no schema and no structural check for this kind")
                else:
                    check(rep, name, o)
                    rep.note(name, f"{kn(o)}: custom resource, no bundled schema: structural check only")
                    status = "crd-structural"
            counts[status] = counts.get(status, 0) + 1
            kinds.append(o["kind"])
        check_variant(rep, name, objs, secret_keys, rule_cms)
        print(f"validate-k8s: {name}: {len(objs)} objects ({', '.join(sorted(set(kinds)))})")

    for n in rep.notes:
        print(f"validate-k8s: note: {n}")
    for e in rep.errors:
        print(f"validate-k8s: ERROR: {e}")
    print(
        f"validate-k8s: schema-valid (strict, Kubernetes {' and '.join(K8S_VERSIONS)}): "
        f"{counts.get('ok', 0)}, custom resources checked structurally: "
        f"{counts.get('crd-structural', 0)}, errors: {len(rep.errors)}"
    )
    return 1 if rep.errors else 0


if __name__ == "__main__":
    sys.exit(main())
