"""Cluster and ingress specs: what parses, and the message each mistake gets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bongsu.errors import SettingError
from bongsu.kube.config import (
    ClusterSpec,
    IngressSpec,
    load_clusters,
    parse_clusters,
    parse_ingress,
)


def _kubeconfig(path: Path, contexts: list[str], current: str | None) -> Path:
    document = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": "c", "cluster": {"server": "http://127.0.0.1:1"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
        "contexts": [{"name": n, "context": {"cluster": "c", "user": "u"}} for n in contexts],
    }
    if current is not None:
        document["current-context"] = current
    path.write_text(yaml.safe_dump(document))
    return path


def test_forms_parse_into_specs(tmp_path: Path) -> None:
    specs = parse_clusters(" seoul:private=/etc/k/seoul.yaml#admin , aws:public=in-cluster,"
                           "plain=~/k.yaml,,")
    assert specs == [
        ClusterSpec("seoul", "private", Path("/etc/k/seoul.yaml"), "admin"),
        ClusterSpec("aws", "public", None),
        ClusterSpec("plain", None, Path("~/k.yaml").expanduser()),
    ]
    assert specs[1].in_cluster and not specs[0].in_cluster
    assert parse_clusters("") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("seoul", r"expected NAME\[:LABEL\]=KUBECONFIG\[#CONTEXT\] .* got 'seoul'"),
        ("seoul=", "expected NAME.*got 'seoul='"),
        ("=/k.yaml", "empty cluster name in '=/k.yaml'"),
        (":private=/k.yaml", "empty cluster name in ':private=/k.yaml'"),
        ("a b=/k.yaml", "cluster name 'a b' in 'a b=/k.yaml' must be"),
        ("a=/k.yaml,a=/j.yaml", "cluster name 'a' is given twice"),
        ("a=/k.yaml#", "empty context after '#' in 'a=/k.yaml#'"),
        ("a=#ctx", "empty kubeconfig path in 'a=#ctx'"),
    ],
)
def test_bad_forms_name_the_item(text: str, message: str) -> None:
    with pytest.raises(SettingError, match="^BONGSU_KUBE_CLUSTERS: " + message):
        parse_clusters(text)


def test_load_checks_file_and_context(tmp_path: Path) -> None:
    config = _kubeconfig(tmp_path / "k.yaml", ["admin", "viewer"], "admin")
    assert load_clusters(f"a={config},b={config}#viewer")[1].context == "viewer"
    with pytest.raises(SettingError, match=r"cluster 'a': kubeconfig '.*nope.yaml' does not exist"):
        load_clusters(f"a={tmp_path / 'nope.yaml'}")
    with pytest.raises(SettingError, match=r"context 'ops' is not in kubeconfig .* "
                                           r"\(it defines: 'admin', 'viewer'\)"):
        load_clusters(f"a={config}#ops")
    bare = _kubeconfig(tmp_path / "bare.yaml", ["x"], None)
    with pytest.raises(SettingError, match="has no current-context; name one with #CONTEXT"):
        load_clusters(f"a={bare}")
    (tmp_path / "junk.yaml").write_text("- [unclosed")
    with pytest.raises(SettingError, match="cannot be read"):
        load_clusters(f"a={tmp_path / 'junk.yaml'}")
    (tmp_path / "list.yaml").write_text("- 1\n")
    with pytest.raises(SettingError, match="is not a kubeconfig"):
        load_clusters(f"a={tmp_path / 'list.yaml'}")


def test_in_cluster_outside_a_pod_is_refused() -> None:
    with pytest.raises(SettingError, match="cluster 'a': in-cluster needs KUBERNETES_SERVICE_HOST"
                                           " and KUBERNETES_SERVICE_PORT"):
        load_clusters("a=in-cluster", env={})
    with pytest.raises(SettingError, match="in-cluster needs the service account token"):
        load_clusters("a=in-cluster", env={"KUBERNETES_SERVICE_HOST": "10.0.0.1",
                                           "KUBERNETES_SERVICE_PORT": "443"})


def test_ingress_targets() -> None:
    clusters = parse_clusters("seoul=/k.yaml,aws=/j.yaml")
    assert parse_ingress("http://127.0.0.1:9/metrics?a=b, aws=https://r.example/m",
                         clusters) == [
        IngressSpec("seoul", "http://127.0.0.1:9/metrics?a=b"),
        IngressSpec("aws", "https://r.example/m"),
    ]
    with pytest.raises(SettingError, match="names cluster 'gcp', which is not in "
                                           "BONGSU_KUBE_CLUSTERS \\('seoul', 'aws'\\)"):
        parse_ingress("gcp=http://x/m", clusters)
    with pytest.raises(SettingError, match="'ftp://x' in 'seoul=ftp://x' is not an http"):
        parse_ingress("seoul=ftp://x", clusters)
    with pytest.raises(SettingError, match="bare URL 'http://x/m' belongs to the first cluster"):
        parse_ingress("http://x/m", [])
    with pytest.raises(SettingError, match="empty cluster name"):
        parse_ingress("=http://x/m", clusters)
