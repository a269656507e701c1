"""What the shop's containers ask for, and the Kubernetes-only workloads beside them.

Requests and limits are chosen against the simulated processes' memory (Python 140-220
MiB, Java 560-640, Go 38-60): only ``orders``, whose one leaking pod grows ~1 MiB a
minute, reaches its 256 MiB limit and is OOM-killed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    cpu_request: str
    cpu_limit: str
    memory_request: str
    memory_limit: str


SHOP: dict[str, Resources] = {
    "frontend": Resources("250m", "1", "256Mi", "512Mi"),
    "orders": Resources("200m", "1", "192Mi", "256Mi"),
    "payments": Resources("500m", "2", "768Mi", "1Gi"),
    "inventory": Resources("100m", "500m", "64Mi", "128Mi"),
    "users": Resources("200m", "1", "256Mi", "512Mi"),
}


def image(service: str, version: str) -> str:
    return f"ghcr.io/shop/{service}:{version}"


@dataclass(frozen=True)
class Extra:
    """A Kubernetes-only workload (no agent, no OTLP): kind, namespace, name, image."""

    kind: str  # "Deployment", "StatefulSet", "DaemonSet"
    namespace: str
    name: str
    image: str
    replicas: int = 1
    cpu: float = 0.005  # cores it uses, for PodMetrics
    memory: float = 30 * 2**20  # bytes


COMMON = (
    Extra("Deployment", "kube-system", "coredns", "registry.k8s.io/coredns/coredns:v1.11.1", 2,
          0.004, 22 * 2**20),
    Extra("DaemonSet", "monitoring", "node-exporter",
          "quay.io/prometheus/node-exporter:v1.8.2", cpu=0.01, memory=18 * 2**20),
)
PUBLIC_ONLY = (
    Extra("Deployment", "ingress-nginx", "ingress-nginx-controller",
          "registry.k8s.io/ingress-nginx/controller:v1.11.2", 1, 0.05, 160 * 2**20),
    Extra("StatefulSet", "data", "redis-master", "docker.io/bitnami/redis:7.2.5", 1, 0.03,
          64 * 2**20),
)
PRIVATE_ONLY = (
    Extra("Deployment", "openshift-ingress", "router-default",
          "quay.io/openshift/origin-haproxy-router:4.16", 1, 0.04, 120 * 2**20),
    Extra("StatefulSet", "data", "redis-master", "docker.io/bitnami/redis:7.2.5", 1, 0.02,
          48 * 2**20),
)
