"""The Helm chart (``deploy/helm/bongsu``) and the plain manifests rendered from it.

Rendered by ``tests/deploy/render.py`` as ``helm template`` would; every document is
read into the official ``kubernetes`` client's models and must come back unchanged (a
key the models do not know is lost on the way, and the test says where); names, ports,
selectors and settings are checked against what the server really has; the probes are
asked of a real server started with a pod's environment; kubectl itself accepts the
manifests against a loopback API.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pydantic
import pytest
import yaml
from kubernetes import client as k8s
from tests.deploy import render
from tests.deploy.fake_apiserver import FakeApiServer
from tests.store.clickhouse_endpoint import clickhouse_url  # noqa: F401

from bongsu.meta.database import connect
from bongsu.meta.keys import KeyRing
from bongsu.settings import Settings, describe
from bongsu.store.clickhouse.client import ClickHouse
from otlp_build import span, traces
from server_process import ServerProcess

MODELS = {
    ("v1", "ConfigMap"): "V1ConfigMap",
    ("v1", "Secret"): "V1Secret",
    ("v1", "Service"): "V1Service",
    ("v1", "ServiceAccount"): "V1ServiceAccount",
    ("apps/v1", "StatefulSet"): "V1StatefulSet",
    ("networking.k8s.io/v1", "Ingress"): "V1Ingress",
    ("policy/v1", "PodDisruptionBudget"): "V1PodDisruptionBudget",
}

SCALED = {
    "replicas": 3,
    "image": {"repository": "registry.example.net/bongsu", "tag": "0.1.0-rc1"},
    "clickhouse": {"url": "https://writer:s3cret@clickhouse.data.svc:8443",
                   "database": "apm"},
    "postgresql": {"url": "postgresql://bongsu:pw@postgres.data.svc:5432/bongsu"},
    "auth": {"adminPassword": "first-admin-password"},
    "env": {"BONGSU_RETENTION_DAYS": "14", "BONGSU_QUERY_MAX_ROWS": "20000"},
    "secretEnv": {"BONGSU_SMTP_PASSWORD": "mail-pw"},
    "ingress": {"className": "nginx", "host": "apm.example.net", "tlsSecretName": "apm-tls",
                "annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "16m"}},
    "service": {"ingest": {"type": "LoadBalancer", "port": 4318}},
    "persistence": {"size": "50Gi", "storageClassName": "fast"},
    "nodeSelector": {"kubernetes.io/arch": "amd64"},
    "tolerations": [{"key": "apm", "operator": "Exists", "effect": "NoSchedule"}],
    "podAnnotations": {"prometheus.io/scrape": "false"},
}
CASES = {"defaults": {}, "scaled": SCALED}
SETTING_NAMES = {name for name, _, _ in describe()}


def docs_of(values: dict[str, Any]) -> list[dict[str, Any]]:
    return render.documents(values, release="prod", namespace="apm")


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind
             and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"{kind} {name}: {len(found)} documents"
    return found[0]


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    assert len(pod["containers"]) == 1
    found: dict[str, Any] = pod["containers"][0]
    return found


def env_names(docs: list[dict[str, Any]]) -> dict[str, str]:
    """Every BONGSU_* variable the pod gets, with where it comes from."""
    names = {n: "configmap" for n in one(docs, "ConfigMap")["data"]}
    secrets = [d for d in docs if d["kind"] == "Secret"]
    for secret in secrets:
        names.update({n: "secret" for n in secret.get("stringData", {})})
    names.update({e["name"]: "env" for e in container(docs).get("env", [])})
    return names


def unchanged_by_models(doc: dict[str, Any]) -> list[str]:
    """Paths where the document and its round trip through the client's models differ."""
    api = k8s.ApiClient()
    name = MODELS[(doc["apiVersion"], doc["kind"])]
    try:
        model = api._ApiClient__deserialize(doc, name)  # type: ignore[attr-defined]
    except pydantic.ValidationError as exc:  # a value of the wrong type
        return [f"not a {name}: {exc}"]
    back = api.sanitize_for_serialization(model)
    return _differences(doc, back, "")


def _differences(a: Any, b: Any, path: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = [f"{path}.{k}: unknown to the models" for k in a if k not in b]
        out += [f"{path}.{k}: added by the models" for k in b if k not in a]
        for k in a.keys() & b.keys():
            out += _differences(a[k], b[k], f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [f"{path}: {a!r} became {b!r}"]


@pytest.mark.parametrize("case", CASES)
def test_every_document_is_a_valid_kubernetes_object(case: str) -> None:
    docs = docs_of(CASES[case])
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(["ConfigMap", "Ingress", "PodDisruptionBudget", "Secret", "Service",
                            "Service", "Service", "ServiceAccount", "StatefulSet"])
    for doc in docs:
        assert (doc["apiVersion"], doc["kind"]) in MODELS, doc["kind"]
        problems = unchanged_by_models(doc)
        assert not problems, f"{doc['kind']} {doc['metadata']['name']}: {problems}"
        assert doc["metadata"]["labels"]["app.kubernetes.io/instance"] == "prod"


def test_a_key_the_models_do_not_know_is_caught() -> None:
    statefulset = one(docs_of({}), "StatefulSet")
    statefulset["spec"]["template"]["spec"]["containers"][0]["livenesProbe"] = {}
    problems = unchanged_by_models(statefulset)
    assert problems == [".spec.template.spec.containers[0].livenesProbe: unknown to the models"]
    statefulset["spec"]["replicas"] = "three"
    (problem,) = unchanged_by_models(statefulset)
    assert problem.startswith("not a V1StatefulSet:") and "replicas" in problem


@pytest.mark.parametrize("case", CASES)
def test_names_ports_and_selectors_agree(case: str) -> None:
    docs = docs_of(CASES[case])
    defaults = Settings()
    statefulset = one(docs, "StatefulSet")
    pod = statefulset["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert statefulset["spec"]["selector"]["matchLabels"] == labels
    assert one(docs, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"] == labels
    c = container(docs)
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    # The server listens on its settings' defaults: the chart sets no BONGSU_PORT.
    assert ports == {"console": defaults.port, "otlp": defaults.otlp_port}
    assert not {"BONGSU_PORT", "BONGSU_OTLP_PORT"} & env_names(docs).keys()
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    assert set(services) == {"prod-headless", "prod-ingest", "prod-console"}
    for service in services.values():
        assert service["spec"]["selector"] == labels
        for port in service["spec"]["ports"]:
            assert port["targetPort"] in ports
    headless = services[statefulset["spec"]["serviceName"]]
    assert headless["spec"]["clusterIP"] == "None"
    ingest = services["prod-ingest"]["spec"]["ports"]
    assert [(p["port"], p["targetPort"]) for p in ingest] == [(4318, "otlp")]
    backend = one(docs, "Ingress")["spec"]["rules"][0]["http"]["paths"][0]["backend"]
    console = services[backend["service"]["name"]]
    assert backend["service"]["port"]["name"] in {p["name"] for p in console["spec"]["ports"]}
    assert {p["targetPort"] for p in console["spec"]["ports"]} == {"console"}
    config, secret = one(docs, "ConfigMap")["metadata"]["name"], one(docs, "Secret")
    refs = [r.get("configMapRef", r.get("secretRef"))["name"] for r in c["envFrom"]]
    assert refs == [config, secret["metadata"]["name"]]
    assert pod["spec"]["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"]["port"] in ports


@pytest.mark.parametrize("case", CASES)
def test_every_variable_is_a_setting(case: str) -> None:
    names = env_names(docs_of(CASES[case]))
    assert set(names) <= SETTING_NAMES, set(names) - SETTING_NAMES
    # Credentials never sit in the ConfigMap.
    for name in ("BONGSU_CLICKHOUSE_URL", "BONGSU_META_URL", "BONGSU_ADMIN_PASSWORD",
                 "BONGSU_SMTP_PASSWORD"):
        assert names.get(name, "secret") == "secret", name


def test_no_service_link_variables_reach_the_settings() -> None:
    """Kubernetes' service links would give the pod NAME_PORT=tcp://IP:PORT for every
    Service of its namespace; a Service called bongsu-otlp would break BONGSU_OTLP_PORT."""
    docs = docs_of({})
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    assert pod["enableServiceLinks"] is False
    linked = {"bongsu-otlp": "BONGSU_OTLP_PORT", "bongsu": "BONGSU_PORT"}
    for service, variable in linked.items():
        assert service.upper().replace("-", "_") + "_PORT" == variable
        assert variable in SETTING_NAMES


def test_each_replica_keeps_its_name_and_its_ingest_log() -> None:
    docs = docs_of(SCALED)
    statefulset = one(docs, "StatefulSet")
    assert statefulset["spec"]["replicas"] == 3
    c = container(docs)
    log_id = next(e for e in c["env"] if e["name"] == "BONGSU_CLICKHOUSE_LOG_ID")
    assert log_id["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    config = one(docs, "ConfigMap")["data"]
    data_dir = config["BONGSU_DATA_DIR"]
    claim = statefulset["spec"]["volumeClaimTemplates"][0]
    mounts = {m["name"]: m["mountPath"] for m in c["volumeMounts"]}
    assert mounts[claim["metadata"]["name"]] == data_dir
    assert Settings.from_env({"BONGSU_DATA_DIR": data_dir}).wal_dir.parent == Path(data_dir)
    assert claim["spec"]["resources"]["requests"]["storage"] == "50Gi"
    assert claim["spec"]["storageClassName"] == "fast"


def test_scaled_values_reach_the_server_settings() -> None:
    """The pod's environment, as the server reads it, has what the values asked for."""
    docs = docs_of(SCALED)
    env = {**one(docs, "ConfigMap")["data"], **one(docs, "Secret")["stringData"],
           "BONGSU_CLICKHOUSE_LOG_ID": "prod-2"}
    settings = Settings.from_env(env)
    assert settings.store == "clickhouse"
    assert settings.clickhouse_url == SCALED["clickhouse"]["url"]
    assert settings.clickhouse_database == "apm"
    assert settings.meta_url == SCALED["postgresql"]["url"]
    assert settings.admin_password == "first-admin-password"
    assert settings.smtp_password == "mail-pw"
    assert settings.retention_days == 14.0 and settings.query_max_rows == 20_000
    assert settings.allowed_hosts == "apm.example.net"
    assert settings.console_url == "https://apm.example.net"
    assert settings.cookie_secure == "true"
    assert (settings.host, settings.otlp_host) == ("0.0.0.0", "0.0.0.0")
    assert container(docs)["image"] == "registry.example.net/bongsu:0.1.0-rc1"
    ingress = one(docs, "Ingress")["spec"]
    assert ingress["tls"] == [{"hosts": ["apm.example.net"], "secretName": "apm-tls"}]
    assert ingress["ingressClassName"] == "nginx"
    assert one(docs, "Service", "prod-ingest")["spec"]["type"] == "LoadBalancer"


def test_defaults_leave_out_what_is_not_set() -> None:
    docs = docs_of({})
    secret = one(docs, "Secret")["stringData"]
    # An empty BONGSU_META_URL would be read as "" anyway; an empty admin password must
    # not be set at all (the server then makes a random one).
    assert set(secret) == {"BONGSU_CLICKHOUSE_URL"}
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    assert not {"nodeSelector", "tolerations", "affinity", "imagePullSecrets"} & pod.keys()
    assert container(docs)["image"] == "bongsu:" + yaml.safe_load(
        (render.CHART / "Chart.yaml").read_text())["appVersion"]


def test_an_existing_secret_replaces_the_charts() -> None:
    docs = docs_of({"existingSecret": "bongsu-credentials", "replicas": 2})
    assert not [d for d in docs if d["kind"] == "Secret"]
    refs = [r.get("secretRef") for r in container(docs)["envFrom"]]
    assert {"name": "bongsu-credentials"} in refs


@pytest.mark.parametrize(("values", "message"), [
    ({"replicas": 3, "postgresql": {"url": ""}}, "set postgresql.url"),
    ({"replicas": 2, "store": "duckdb",
      "postgresql": {"url": "postgresql://u:p@db:5432/b"}}, "set store to clickhouse"),
    ({"auth": {"mode": "single-user"}}, "single-user is refused"),
])
def test_settings_that_cannot_work_in_a_cluster_are_refused(
        values: dict[str, Any], message: str) -> None:
    with pytest.raises(render.TemplateError, match=message):
        docs_of(values)


def test_pods_run_as_the_images_user_on_a_read_only_root() -> None:
    docs = docs_of({})
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    uid = re.search(r"--uid (\d+)", (render.ROOT / "deploy" / "Dockerfile").read_text())
    assert uid is not None
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == int(uid.group(1))
    c = container(docs)
    assert c["securityContext"]["readOnlyRootFilesystem"] is True
    assert c["securityContext"]["capabilities"]["drop"] == ["ALL"]
    # What the server writes lives on mounted volumes: the data directory and /tmp.
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/var/lib/bongsu", "/tmp"}


def test_the_grace_period_covers_the_pre_stop_wait() -> None:
    docs = docs_of({})
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    command = container(docs)["lifecycle"]["preStop"]["exec"]["command"]
    assert command[0] == "sleep"
    assert pod["terminationGracePeriodSeconds"] >= int(command[1]) + 60


def pod_environment(docs: list[dict[str, Any]], pod: str) -> dict[str, str]:
    """The environment the StatefulSet gives pod ``pod``: envFrom, then env."""
    env = {**one(docs, "ConfigMap")["data"], **one(docs, "Secret")["stringData"]}
    for item in container(docs)["env"]:
        field = item["valueFrom"]["fieldRef"]["fieldPath"]
        assert field == "metadata.name", field
        env[item["name"]] = pod
    return env


def get(port: int, path: str, host: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host, "User-Agent": "kube-probe/1.32"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_server_on_the_pods_environment_answers_probes_and_ingress(  # type: ignore[no-untyped-def]
        server_factory) -> None:
    """A real server started with the environment the chart gives a pod (one replica on
    the DuckDB store, so no ClickHouse is needed): each probe's GET as a kubelet sends it
    (Host: the pod's IP), the console by the Ingress's host name, and a clean stop well
    inside the grace period."""
    docs = docs_of({"store": "duckdb"})
    c = container(docs)
    env = pod_environment(docs, "prod-0")
    # Only what differs between a pod and this test: loopback, free ports (flags).
    server: ServerProcess = server_factory(
        {**env, "BONGSU_HOST": "127.0.0.1", "BONGSU_OTLP_HOST": "127.0.0.1"}).start()
    defaults = Settings()
    on_port = {defaults.port: server.api_port, defaults.otlp_port: server.otlp_port}
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        action = c[probe]["httpGet"]
        pod_port = ports[action["port"]]
        status, body = get(on_port[pod_port], action["path"], f"10.244.1.7:{pod_port}")
        assert status == 200, (probe, status, body[:200])
        assert json.loads(body)["status"] == "ok", body[:200]
    ingress_host = one(docs, "Ingress")["spec"]["rules"][0]["host"]
    status, body = get(server.api_port, "/", ingress_host)
    assert status == 200 and b"<html" in body.lower()
    assert get(server.api_port, "/", "elsewhere.example.org")[0] == 400
    pod = one(docs, "StatefulSet")["spec"]["template"]["spec"]
    started = time.monotonic()
    server.stop()
    stopped_in = time.monotonic() - started
    pre_stop = int(c["lifecycle"]["preStop"]["exec"]["command"][1])
    assert stopped_in + pre_stop < pod["terminationGracePeriodSeconds"] / 2, stopped_in


def test_a_pod_on_clickhouse_loads_under_its_own_name(  # type: ignore[no-untyped-def]
        server_factory, clickhouse_url: str) -> None:  # noqa: F811
    """The chart's defaults (the ClickHouse store) pointed at the local ClickHouse
    endpoint: the server makes its tables in the chart's database and records what it
    loaded under the pod's name, the StatefulSet's log id."""
    database = f"chart_{uuid.uuid4().hex[:10]}"
    docs = docs_of({"clickhouse": {"url": clickhouse_url, "database": database}})
    env = pod_environment(docs, "prod-1")
    assert env["BONGSU_STORE"] == "clickhouse"
    server: ServerProcess = server_factory(
        {**env, "BONGSU_HOST": "127.0.0.1", "BONGSU_OTLP_HOST": "127.0.0.1"})
    server.data_dir.mkdir(parents=True)
    ring = KeyRing(connect(f"sqlite:///{server.data_dir / 'meta.sqlite'}"))
    key = ring.create("acme").key
    ring.close()
    server.start(timeout=120)
    ch = ClickHouse.connect(clickhouse_url, database, create=False)
    try:
        body = traces([span() for _ in range(3)]).SerializeToString()
        # As an agent in the cluster sends it: to the ingest Service's name.
        ingest = one(docs, "Service", "prod-ingest")
        host = f"{ingest['metadata']['name']}.apm.svc:{ingest['spec']['ports'][0]['port']}"
        status, _, answer = server.post("/v1/traces", body, headers={
            "Authorization": f"Bearer {key}", "Host": host})
        assert status == 200, answer
        server.wait_loaded()
        rows = ch.run("SELECT log_id, max(lsn) FROM ingest_position GROUP BY log_id")
        assert [log_id for log_id, _ in rows] == ["prod-1"] and rows[0][1] > 0
        assert ch.run("SELECT tenant, count() FROM spans GROUP BY tenant") == [("acme", 3)]
        server.stop()
    finally:
        ch.command(f"DROP DATABASE IF EXISTS {database}")
        ch.close()


def test_plain_manifests_are_the_rendered_chart() -> None:
    committed = (render.MANIFESTS / "bongsu.yaml").read_text()
    assert committed == render.plain_manifests(), (
        "deploy/kubernetes/bongsu.yaml is out of date: python -m tests.deploy.render --write")
    docs = [d for d in yaml.safe_load_all(committed) if d]
    # Credentials come from a Secret the user makes (docs/deploy.md), never from the file.
    assert not [d for d in docs if d["kind"] == "Secret"]
    for doc in docs:
        assert not unchanged_by_models(doc), doc["kind"]


KUBECTL = shutil.which("kubectl")


@pytest.mark.parametrize("case", [*CASES, "plain"])
def test_kubectl_accepts_the_manifests(case: str, tmp_path: Path) -> None:
    assert KUBECTL is not None, "no kubectl: scripts/setup.sh installs kubernetes-client"
    if case == "plain":
        stream = (render.MANIFESTS / "bongsu.yaml").read_text()
    else:
        stream = render.as_stream(CASES[case], release="prod")
    manifests = tmp_path / "manifests.yaml"
    manifests.write_text(stream)
    api = FakeApiServer()
    try:
        kubeconfig = api.kubeconfig(tmp_path / "kubeconfig")
        # No OpenAPI document here, so kubectl's own schema check is off; the models'
        # round trip above is that check.
        done = subprocess.run(
            [KUBECTL, "--kubeconfig", str(kubeconfig), "apply", "--dry-run=client",
             "--validate=false", "-f", str(manifests)],
            capture_output=True, text=True, timeout=60,
            env={"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path)})
    finally:
        api.close()
    assert done.returncode == 0, done.stderr
    created = sorted(line.removesuffix(" created (dry run)").split("/", 1)[0]
                     for line in done.stdout.splitlines())
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(stream) if d)
    assert len(created) == len(kinds), done.stdout
    assert all(line.endswith("created (dry run)") for line in done.stdout.splitlines())
    statefulset = "GET", "/apis/apps/v1/namespaces/bongsu/statefulsets/" + (
        "bongsu" if case == "plain" else "prod")
    assert statefulset in api.requests


def test_every_value_is_documented() -> None:
    """docs/deploy.md's table of values names every key of values.yaml (two levels)."""
    doc = (render.ROOT / "docs" / "deploy.md").read_text()
    table = doc.split("### Values", 1)[1].split("\n## ", 1)[0]
    values = yaml.safe_load((render.CHART / "values.yaml").read_text())
    for key, value in values.items():
        assert f"`{key}" in table, key
        # env, secretEnv and resources hold settings and Kubernetes' own fields.
        if isinstance(value, dict) and key not in ("env", "secretEnv", "resources"):
            for sub in value:
                assert re.search(rf"[`.]{sub}\b|\b{sub}`|, {sub}\b|/{sub}\b", table), (
                    f"{key}.{sub}")
