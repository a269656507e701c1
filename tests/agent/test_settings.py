from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bongsu.agent import AgentSettings, SettingError, cli_run
from bongsu.agent._cli import BOOTSTRAP_DIR, build_run_parser, run_environment
from bongsu.agent._resource import container_id, detect_resource

DOCS = Path(__file__).parents[2] / "docs" / "agent.md"


def test_bongsu_names_win_over_otel_names() -> None:
    env = {"OTEL_SERVICE_NAME": "from-otel", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318",
           "BONGSU_ENDPOINT": "http://b:4318", "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
           "OTEL_TRACES_SAMPLER_ARG": "0.25", "OTEL_EXPORTER_OTLP_HEADERS": "x-a=1,x-b=two%20words",
           "BONGSU_API_KEY": "k1", "OTEL_METRIC_EXPORT_INTERVAL": "30000"}
    s = AgentSettings.from_env(env)
    assert s.service_name == "from-otel" and s.endpoint == "http://b:4318"
    assert s.sample_ratio == 0.25 and s.metrics_interval == 30.0
    assert s.export_headers() == {"x-a": "1", "x-b": "two words", "Authorization": "Bearer k1"}
    assert AgentSettings.from_env({"OTEL_SDK_DISABLED": "true"}).enabled is False
    assert AgentSettings.from_env({"BONGSU_SAMPLE_RATIO": "0.5"}, sample_ratio=0.1).sample_ratio \
        == 0.1


@pytest.mark.parametrize(("env", "message"), [
    ({"BONGSU_SAMPLE_RATIO": "lots"}, "BONGSU_SAMPLE_RATIO"),
    ({"BONGSU_SAMPLE_RATIO": "2"}, "sample_ratio"),
    ({"OTEL_TRACES_SAMPLER": "jaeger_remote"}, "OTEL_TRACES_SAMPLER"),
    ({"BONGSU_COMPRESSION": "brotli"}, "compression"),
    ({"BONGSU_LOGS_EXPORT": "maybe"}, "BONGSU_LOGS_EXPORT"),
])
def test_bad_settings_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingError, match=message):
        AgentSettings.from_env(env)


def test_gzip_auto_only_off_loopback() -> None:
    assert not AgentSettings.from_env({}, endpoint="http://127.0.0.1:4318").gzip_bodies()
    assert AgentSettings.from_env({}, endpoint="https://apm.example:4318").gzip_bodies()
    assert AgentSettings.from_env({}, compression="gzip").gzip_bodies()


def test_every_setting_is_documented() -> None:
    text = DOCS.read_text()
    for f in dataclasses.fields(AgentSettings):
        assert f"BONGSU_{f.name.upper()}" in text, f.name
        for other in f.metadata["otel"]:
            assert other in text, other


def test_resource_from_environment(tmp_path: Path) -> None:
    env = {"POD_NAME": "web-7d9f", "POD_NAMESPACE": "shop", "NODE_NAME": "node-1",
           "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment=prod,k8s.cluster.name=seoul"}
    s = AgentSettings.from_env(env, service_name="web")
    r = detect_resource(s, environ=env, proc_root=str(tmp_path))
    assert r["service.name"] == "web" and r["k8s.pod.name"] == "web-7d9f"
    assert r["k8s.namespace.name"] == "shop" and r["k8s.node.name"] == "node-1"
    assert r["deployment.environment"] == "prod" and r["k8s.cluster.name"] == "seoul"
    assert r["process.pid"] == os.getpid() and r["telemetry.sdk.name"] == "bongsu"
    other = detect_resource(s, environ=env, proc_root=str(tmp_path))
    assert other["service.instance.id"] != r["service.instance.id"]
    assert "container.id" not in r


CID = "a" * 12 + "0123456789abcdef" * 3 + "b" * 4


def test_container_id_cgroup_v1(tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "cgroup").write_text(
        f"12:memory:/kubepods/burstable/pod1234/{CID}\n1:name=systemd:/docker/{CID}\n")
    assert container_id(str(tmp_path)) == CID


def test_container_id_cgroup_v2(tmp_path: Path) -> None:
    (tmp_path / "self").mkdir()
    (tmp_path / "self" / "cgroup").write_text("0::/\n")
    (tmp_path / "self" / "mountinfo").write_text(
        "1 2 0:3 / / rw - overlay overlay rw\n"
        f"3 4 8:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/{CID}/hostname "
        "/etc/hostname rw,relatime - ext4 /dev/sda1 rw\n")
    assert container_id(str(tmp_path)) == CID


def test_run_environment_puts_bootstrap_first() -> None:
    args = build_run_parser().parse_args(["--service-name", "orders", "--", "python", "a.py"])
    env = run_environment(args, {"PYTHONPATH": "/srv/app"})
    assert env["PYTHONPATH"].split(os.pathsep) == [BOOTSTRAP_DIR, "/srv/app"]
    assert env["BONGSU_SERVICE_NAME"] == "orders" and env["BONGSU_BOOTSTRAP"] == "1"
    assert args.command == ["--", "python", "a.py"]


def test_cli_run_without_command_or_with_a_missing_one() -> None:
    assert cli_run(["--"]) == 2
    assert cli_run(["--", "/nonexistent/program"]) == 127


def test_python_script_runs_under_the_agent(tmp_path: Path) -> None:
    script = tmp_path / "app.py"
    script.write_text("from bongsu.agent import _state\n"
                      "print(_state.agent.resource['service.name'])\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONGSU_")}
    env["BONGSU_ENDPOINT"] = "http://127.0.0.1:9"  # nothing listens: the script still runs
    out = subprocess.run([sys.executable, "-m", "bongsu.agent", "run", "--service-name", "cli",
                          "--", sys.executable, str(script)], env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    assert out.stdout.strip() == "cli"


def test_spans_of_a_short_script_are_flushed_at_exit(sink: object, tmp_path: Path) -> None:
    from .sink import Sink

    assert isinstance(sink, Sink)
    script = tmp_path / "job.py"
    script.write_text("import bongsu.agent\n"
                      "with bongsu.agent.span('nightly-job', rows=3):\n"
                      "    pass\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BONGSU_")}
    env.update(BONGSU_ENDPOINT=sink.url, BONGSU_FLUSH_INTERVAL="60")  # only the exit flush
    subprocess.run([sys.executable, "-m", "bongsu.agent", "run", "--", sys.executable,
                    str(script)], env=env, timeout=60, check=True)
    [span] = sink.wait(lambda: sink.spans())
    assert span["name"] == "nightly-job" and span["attrs"] == {"rows": 3}
    assert span["resource"]["service.name"] == "job"
