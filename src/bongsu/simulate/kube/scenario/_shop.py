"""The shop's own workloads on one cluster: Deployments, ReplicaSets, pods and the HPA.

Pods are the simulator's instances on this site (same names as their telemetry's
``k8s.pod.name``); the public cluster's frontend follows the fleet's HPA, adding and
removing pods with the events the controllers post. PodMetrics come from each
process's CPU and memory as the generator reports them, and an OOM kill in the
generator is an OOM kill in the pod's status.
"""

from __future__ import annotations

from typing import Any

from bongsu.simulate._fleet import CPU_TARGET, SYNC_S, Fleet
from bongsu.simulate._topology import HPA_MAX, HPA_MIN, HPA_SERVICE, NAMESPACE, Instance, System
from bongsu.simulate.kube import shapes
from bongsu.simulate.kube.scenario._specs import SHOP, image
from bongsu.simulate.kube.scenario._world import World
from bongsu.simulate.kube.shapes import messages as msg

Obj = dict[str, Any]
DAY = 86_400.0


class ShopWorkloads:
    """The shop's services on ``world``'s site; see the module docstring."""

    def __init__(self, world: World, system: System, fleet: Fleet) -> None:
        self.world = world
        self.system = system
        self.fleet = fleet
        self.site = world.site
        self.instances = [i for i in system.instances if i.site.name == self.site.name]
        self.pods: dict[int, str] = {}  # slot → the pod name it runs as now
        self.replicasets: dict[str, Obj] = {}
        self.deployments: dict[str, Obj] = {}
        self.autoscaled = self.site.label == "public"
        self._hpa_replicas = HPA_MIN

    # -- objects --------------------------------------------------------------------
    def _containers(self, instance: Instance) -> list[Obj]:
        service = instance.service
        res = SHOP[service.name]
        return [shapes.container(service.name, image(service.name, service.version),
                                 cpu_request=res.cpu_request, cpu_limit=res.cpu_limit,
                                 memory_request=res.memory_request,
                                 memory_limit=res.memory_limit, port=service.port)]

    def _count(self, service: str, t_ns: int) -> int:
        return len(self.fleet.running(service, self.site, t_ns))

    def setup(self, t_ns: int) -> None:
        world, created = self.world, self.world.now - 30 * DAY
        for name, service in self.system.services.items():
            first = next((i for i in self.instances if i.service is service), None)
            if first is None:
                continue
            replicas = self._count(name, t_ns)
            dep = shapes.deployment(name, NAMESPACE, replicas=replicas,
                                    image=image(name, service.version), revision=4,
                                    containers=self._containers(first), created=created,
                                    labels={"app.kubernetes.io/part-of": "shop"})
            self.deployments[name] = world.cluster.put(dep)
            rs = shapes.replicaset(self.deployments[name], first.replica_set, replicas=replicas,
                                   created=created + 7 * DAY)
            self.replicasets[name] = world.cluster.put(rs)
        for instance in self.instances:
            if self.fleet.is_running(instance, t_ns):
                self._add_pod(instance, t_ns, quiet=True)
        if self.autoscaled:
            self._hpa_replicas = self.fleet.replicas(t_ns)
            self._put_hpa(t_ns)

    def _add_pod(self, instance: Instance, t_ns: int, quiet: bool = False) -> None:
        inc = self.fleet.incarnation(instance, t_ns)
        started = inc.started_ns / 1e9 if inc.started_ns else self.world.now - 2 * DAY
        rs = self.replicasets[instance.service.name]
        labels = {"app": instance.service.name, "pod-template-hash": instance.replica_set,
                  "app.kubernetes.io/part-of": "shop"}
        pod = self.world.pod(inc.pod, NAMESPACE, instance.node, self._containers(instance),
                             rs, labels, started=started)
        if quiet:
            self.world.cluster.put(pod)
        else:
            self.world.replicasets.record(rs, "Normal", "SuccessfulCreate",
                                          msg.created_pod(inc.pod))
            self.world.start_pod(pod)
        self.pods[instance.slot] = inc.pod

    def _put_hpa(self, t_ns: int) -> None:
        dep = self.deployments[HPA_SERVICE]
        current = self._count(HPA_SERVICE, t_ns)
        util = self.fleet.utilization(t_ns)
        request_m = int(SHOP[HPA_SERVICE].cpu_request.rstrip("m"))
        hpa = shapes.hpa(HPA_SERVICE, NAMESPACE, target=dep, min_replicas=HPA_MIN,
                         max_replicas=HPA_MAX, current=current,
                         desired=self.fleet.replicas(t_ns), cpu_current=util,
                         cpu_target=CPU_TARGET, cpu_average=f"{request_m * util // 100}m",
                         last_scale=self.fleet.last_scale_ns(t_ns) / 1e9,
                         created=self.world.start - 30 * DAY)
        self.world.cluster.put(hpa)

    # -- time -----------------------------------------------------------------------
    def second(self, t_ns: int) -> None:
        if self.autoscaled and int(t_ns // 10**9) % SYNC_S == 0:
            self._autoscale(t_ns)

    def _autoscale(self, t_ns: int) -> None:
        world = self.world
        wanted = self.fleet.replicas(t_ns)
        before = self._hpa_replicas
        if wanted != before:
            hpa = world.cluster.get("autoscaling/v2", "HorizontalPodAutoscaler", NAMESPACE,
                                    HPA_SERVICE)
            assert hpa is not None
            world.hpa.record(hpa, "Normal", "SuccessfulRescale",
                             msg.rescaled(wanted, up=wanted > before))
            dep = self.deployments[HPA_SERVICE]
            rs = self.replicasets[HPA_SERVICE]
            world.deployments.record(dep, "Normal", "ScalingReplicaSet",
                                     msg.scaled_replicaset(rs["metadata"]["name"], wanted, before))
            for instance in self.instances:
                if instance.service.name != HPA_SERVICE or instance.extra is None:
                    continue
                running = self.fleet.is_running(instance, t_ns)
                if running and instance.slot not in self.pods:
                    self._add_pod(instance, t_ns)
                elif not running and instance.slot in self.pods:
                    pod = self.pods.pop(instance.slot)
                    world.replicasets.record(rs, "Normal", "SuccessfulDelete",
                                             msg.deleted_pod(pod))
                    world.stop_pod(NAMESPACE, pod)
            self._hpa_replicas = wanted
            self._scale_objects(wanted)
        self._put_hpa(t_ns)

    def _scale_objects(self, replicas: int) -> None:
        cluster = self.world.cluster

        def scale(obj: Obj) -> None:
            obj["spec"]["replicas"] = replicas
            status = obj["status"]
            for key in ("replicas", "readyReplicas", "availableReplicas", "updatedReplicas",
                        "fullyLabeledReplicas"):
                if key in status:
                    status[key] = replicas

        self.deployments[HPA_SERVICE] = cluster.update(
            "apps/v1", "Deployment", NAMESPACE, HPA_SERVICE, scale)
        rs_name = self.replicasets[HPA_SERVICE]["metadata"]["name"]
        self.replicasets[HPA_SERVICE] = cluster.update(
            "apps/v1", "ReplicaSet", NAMESPACE, rs_name, scale)

    # -- what the generator reports -------------------------------------------------
    def process(self, t_ns: int, instance: Instance, cpu: float, rss: int) -> None:
        pod = self.pods.get(instance.slot)
        if pod is None:
            return
        self.world.cluster.put(shapes.pod_metrics(
            pod, NAMESPACE, {instance.service.name: (round(cpu, 6), rss)}, at=t_ns / 1e9,
            labels={"app": instance.service.name}))

    def oom_killed(self, t_ns: int, instance: Instance) -> None:
        pod = self.pods.get(instance.slot)
        if pod is None:
            return
        stored = self.world.restart_container(NAMESPACE, pod, "OOMKilled", 137)
        if stored is None:
            return
        # No event says OOMKilled: the kubelet only reports the restart's steps.
        kubelet = self.world.kubelets[instance.node]
        c = stored["spec"]["containers"][0]
        path = f"spec.containers{{{c['name']}}}"
        kubelet.record(stored, "Normal", "Pulled", msg.already_present(c["image"]),
                       field_path=path)
        kubelet.record(stored, "Normal", "Created", msg.created(c["name"]), field_path=path)
        kubelet.record(stored, "Normal", "Started", msg.started(c["name"]), field_path=path)
