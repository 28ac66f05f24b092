"""scripts/validate_deploy.py: the shipped deployment files pass; each kind of breakage is rejected."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
import validate_deploy  # noqa: E402


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    copy = tmp_path / "deploy"
    shutil.copytree(ROOT / "deploy", copy)
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_files_pass() -> None:
    assert validate_deploy.validate(ROOT / "deploy") == []


def peer(app: str) -> str:
    """One podSelector peer of networkpolicy.yaml, as written there."""
    return f"        - podSelector:\n            matchLabels: {{app.kubernetes.io/name: {app}}}\n"


PORT_8081 = "      ports: [{port: 8081}]"

BREAKAGES: list[tuple[str, str, str, str, str]] = [
    ("k8s/gateway-web.yaml", "  replicas: 2\n", "  replica: 2\n", "Deployment/gateway-web", "replica"),
    ("k8s/rasa.yaml", "  replicas: 2\n", "  replicas: 1\n", "StatefulSet/rasa", "fewer than 2 replicas"),
    ("k8s/gateway-web.yaml", "          readinessProbe:", "          startupProbe:", "gateway-web",
     "no readinessProbe"),
    ("k8s/actions.yaml", "rasa:0.1.0-model", "rasa:latest", "actions", "uses the tag latest"),
    ("k8s/gateway-worker.yaml", "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false",
     "gateway-worker", "readOnlyRootFilesystem is not true"),
    ("k8s/rasa.yaml", "        runAsNonRoot: true\n", "", "StatefulSet/rasa", "runAsNonRoot is not set"),
    ("k8s/gateway-web.yaml", "limits: {cpu: \"1\", memory: 768Mi}", "limits: {cpu: \"1\"}", "gateway-web",
     "no memory limits"),
    ("k8s/secret.template.yaml", 'RASA_TOKEN: ""', 'RASA_TOKEN: "s3cr3t-value"', "Secret/", "RASA_TOKEN"),
    ("k8s/kustomization.yaml", "  - pdb.yaml\n", "", "pdb.yaml", "not listed in kustomization.yaml"),
    ("k8s/configmap.yaml", "kind: ConfigMap", "kind: ConfigMapp", "configmap.yaml", "no schema"),
    ("compose.yaml", "    command: [\"rasa\"]\n", "    command: [\"rasa\"]\n    ports: [\"5005:5005\"]\n",
     "service rasa", "published on all interfaces"),
    ("compose.yaml", "      - \"127.0.0.1:8081:8081\"", "      - \"8081:8081\"", "service gateway",
     "published on all interfaces"),
    ("compose.yaml", "      RASA_URLS: http://rasa:5005\n",
     "      RASA_URLS: http://rasa:5005\n      RASA_TOKEN: abcdefgh\n", "service gateway", "literal value"),
    ("compose.yaml", "    stop_grace_period: 30s\n", "    stop_grace_periods: 30s\n", "compose.yaml",
     "stop_grace_periods"),
    ("compose.yaml", "--appendonly yes", "--appendonly no", "service redis", "appendonly"),
    ("docker/Dockerfile.gateway", "USER 10001:10001\n", "", "Dockerfile.gateway", "runs as root"),
    ("docker/Dockerfile.rasa", "HEALTHCHECK --interval", "# HEALTHCHECK --interval", "Dockerfile.rasa",
     "DL"),  # the continuation line left behind is no instruction: hadolint refuses the file
    ("docker/Dockerfile.gateway", "FROM python:3.11.11-slim-bookworm AS runtime",
     "FROM python:3-slim AS runtime", "Dockerfile.gateway", "not pinned"),
    ("docker/Dockerfile.gateway", "    PYTHONUNBUFFERED=1 \\\n",
     "    PYTHONUNBUFFERED=1 \\\n    PSEUDONYM_KEY=abcdefghijklmnop \\\n", "Dockerfile.gateway",
     "PSEUDONYM_KEY has a value"),
    ("docker/Dockerfile.gateway", "WORKDIR /app\n", "WORKDIR /app\nRUN cd /tmp && ls\n", "Dockerfile.gateway",
     "DL3003"),
    # the callers of the internal port: Rasa's NLG_URL and the worker's CASE_SERVICE_URL
    ("k8s/networkpolicy.yaml", peer("rasa") + peer("actions"), peer("actions"), "rasa -> NLG_URL",
     "does not admit rasa to gateway-web:8081"),
    ("k8s/networkpolicy.yaml", peer("gateway-worker") + peer("gateway-web") + PORT_8081,
     peer("gateway-web") + PORT_8081, "gateway-worker -> CASE_SERVICE_URL", "does not admit gateway-worker"),
    ("k8s/networkpolicy.yaml", "gateway-worker}\n      ports: [{port: 5005}]",
     "gateway-worker}\n      ports: [{port: 5055}]",
     "gateway-web -> RASA_URLS http://rasa-0.rasa", "does not admit gateway-web to rasa:5005"),
    ("k8s/networkpolicy.yaml", peer("rasa") + peer("gateway-web") + "      ports: [{port: 5055}]",
     peer("gateway-web") + "      ports: [{port: 5055}]", "rasa -> ACTION_ENDPOINT_URL",
     "does not admit rasa to actions:5055"),
    ("k8s/configmap.yaml", "  NLG_URL: \"http://gateway-internal.", "  NLG_URL: \"http://gateway-intern.",
     "rasa: NLG_URL", "names no Service"),
    # probes and the Rasa ring
    ("k8s/gateway-web.yaml", "{path: /readyz, port: internal}", "{path: /readyz, port: public}",
     "gateway-web", "readinessProbe is not GET /readyz on port 8081"),
    ("k8s/gateway-web.yaml", "{path: /healthz, port: internal}", "{path: /readyz, port: internal}",
     "gateway-web", "livenessProbe is not GET /healthz"),
    ("k8s/gateway-worker.yaml", "          livenessProbe:\n", "          startupProbe:\n", "gateway-worker",
     "no livenessProbe running python -m channels.healthcheck"),
    ("k8s/backup-cronjob.yaml", "            runAsNonRoot: true\n", "", "CronJob/backup", "runAsNonRoot"),
    ("k8s/backup-cronjob.yaml", "  concurrencyPolicy: Forbid", "  concurrency: Forbid", "CronJob/backup",
     "concurrency"),
    ("k8s/rasa.yaml", "  replicas: 2\n", "  replicas: 3\n", "RASA_URLS has 2 URL(s)", "3 replicas"),
    ("../.dockerignore", "\n.env\n", "\n", ".dockerignore", "does not exclude .env"),
    ("../pyproject.toml", '  "phonenumbers>=8.13",\n]\n# Test tools',
     '  "phonenumbers>=8.13",\n  "pytest>=8",\n]\n# Test tools',
     "Dockerfile.rasa", "the extra rasa brings the test tool pytest>=8"),
    ("docker/Dockerfile.gateway", '".[gateway]"', '".[gateway,dev]"', "Dockerfile.gateway",
     "the extra dev brings the test tool"),
]


@pytest.mark.parametrize(("file", "old", "new", "where", "what"), BREAKAGES,
                         ids=[f"{b[0]}:{b[4]}" for b in BREAKAGES])
def test_a_breakage_is_rejected_with_its_place_and_reason(deploy: Path, file: str, old: str, new: str,
                                                          where: str, what: str) -> None:
    edit(deploy / file, old, new)
    problems = validate_deploy.validate(deploy)
    assert any(where in problem and what in problem for problem in problems), problems


def test_a_dockerfile_without_healthcheck_is_rejected(deploy: Path) -> None:
    path = deploy / "docker" / "Dockerfile.gateway"
    text = path.read_text(encoding="utf-8")
    start = text.index("HEALTHCHECK --")
    end = text.index("\n", text.index("CMD [\"python\", \"/usr/local/lib/healthcheck.py\"]"))
    path.write_text(text[:start] + text[end + 1:], encoding="utf-8")
    assert validate_deploy.dockerfile_problems(path) == [f"{path}: the final stage has no HEALTHCHECK"]


@pytest.mark.parametrize(("image", "ok"), [
    ("python:3.11.11-slim-bookworm", True), ("redis:7.4.1-bookworm", True),
    ("registry.example.org/x/gateway:0.1.0", True), (f"python@sha256:{'a' * 64}", True),
    ("python:latest", False), ("python", False), ("python:3", False), ("python:3-slim", False),
    ("registry:5000/x/gateway", False),
])
def test_image_pinning(image: str, ok: bool) -> None:
    assert (validate_deploy.image_problem(image) is None) is ok


def test_the_command_exits_1_and_names_the_problem(deploy: Path, run_validator: Callable) -> None:
    assert run_validator(ROOT / "deploy").returncode == 0
    edit(deploy / "k8s" / "pdb.yaml", "minAvailable: 1", "minAvaliable: 1")
    result = run_validator(deploy)
    assert result.returncode == 1
    assert "pdb.yaml" in result.stdout and "PodDisruptionBudget/gateway-web" in result.stdout


@pytest.fixture
def run_validator() -> Callable[[Path], subprocess.CompletedProcess[str]]:
    def run(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(ROOT / "scripts" / "validate_deploy.py"), str(folder)],
                              capture_output=True, text=True, check=False, timeout=120)

    return run
