"""The simulated shop: services, their instances, endpoints and what each endpoint calls.

Five services, each running on two Kubernetes clusters: a private one in the shop's own
data centre and a public one in the cloud, behind a global load balancer that sends them
30 % and 70 % of the users (``bongsu.simulate._fleet``). A request stays in the cluster it
entered. ``frontend`` is the entry point; on the public cluster an HPA adds up to three
frontend pods when the load rises. The step lists read like the handlers they stand for:
each step is an internal span, a SQL query, a Redis command, a call to another service or
a call to an external API.

Example::

    system = build_system(random.Random(7))
    system.entry[0].route  # "GET /"
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

NAMESPACE = "shop"
USERS = 300  # distinct ``enduser.id`` values, so active-user counts stay plausible


@dataclass(frozen=True)
class Site:
    """One Kubernetes cluster of the shop."""

    name: str  # k8s.cluster.name
    label: str  # "private" or "public"
    provider: str
    nodes: tuple[str, ...]
    share: float  # of user traffic, from the global load balancer


PRIVATE = Site("onprem-seoul", "private", "onprem",
               ("seoul-k8s-worker-01", "seoul-k8s-worker-02", "seoul-k8s-worker-03"), 0.3)
PUBLIC = Site("aws-apne2", "public", "aws",
              ("ip-10-0-1-23.ap-northeast-2.compute.internal",
               "ip-10-0-2-41.ap-northeast-2.compute.internal",
               "ip-10-0-3-17.ap-northeast-2.compute.internal"), 0.7)
SITES = (PRIVATE, PUBLIC)
HPA_SERVICE, HPA_MIN, HPA_MAX = "frontend", 2, 5  # the public cluster's autoscaled deployment


@dataclass(frozen=True)
class Database:
    system: str  # "postgresql" or "redis"
    name: str
    host: str
    port: int


@dataclass(frozen=True)
class Internal:
    name: str
    median_ms: float
    sigma: float = 0.5


@dataclass(frozen=True)
class Query:
    db: Database
    operation: str
    table: str
    statement: str
    median_ms: float
    sigma: float = 0.6


@dataclass(frozen=True)
class Call:
    service: str
    route: str  # "METHOD /template", must exist on the callee
    probability: float = 1.0


@dataclass(frozen=True)
class External:
    host: str
    method: str
    path: str
    median_ms: float
    sigma: float


Step = Internal | Query | Call | External


@dataclass(frozen=True)
class Endpoint:
    route: str  # "METHOD /template"
    median_ms: float  # the handler's own time, spread around its steps
    sigma: float
    steps: tuple[Step, ...] = ()
    weight: float = 0.0  # share of user traffic, entry endpoints only
    error_rate: float = 0.0  # requests failing from here (entry endpoints only)
    client_error: tuple[int, float] = (0, 0.0)  # (4xx status, rate), entry endpoints only

    @property
    def method(self) -> str:
        return self.route.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return self.route.split(" ", 1)[1]


@dataclass(frozen=True, eq=False)
class Instance:
    service: Service
    index: int  # within its service
    slot: int  # within the whole system
    resource: tuple[tuple[str, str], ...]
    pod: str
    leaks_memory: bool = False
    site: Site = PUBLIC
    node: str = ""
    replica_set: str = ""  # the pod-template-hash
    extra: int | None = None  # an HPA-added pod (0, 1 …): runs only while scaled out

    def renamed(self, pod: str, instance_id: str) -> tuple[tuple[str, str], ...]:
        """This instance's resource as another pod of the same ReplicaSet."""
        new = {"service.instance.id": instance_id, "host.name": pod, "k8s.pod.name": pod}
        return tuple((k, new.get(k, v)) for k, v in self.resource)


@dataclass(frozen=True, eq=False)
class Service:
    name: str
    language: str  # telemetry.sdk.language
    version: str
    host: str  # server.address its callers use
    port: int
    endpoints: dict[str, Endpoint]
    instances: list[Instance] = field(default_factory=list, repr=False)


@dataclass(frozen=True)
class System:
    services: dict[str, Service]
    instances: list[Instance]
    entry: list[Endpoint]  # frontend endpoints users hit, with weights


def _databases() -> dict[str, Database]:
    return {
        "orders": Database("postgresql", "orders", "orders-db.data.svc.cluster.local", 5432),
        "users": Database("postgresql", "users", "users-db.data.svc.cluster.local", 5432),
        "inventory": Database("postgresql", "inventory", "inventory-db.data.svc.cluster.local",
                              5432),
        "cache": Database("redis", "0", "redis-master.data.svc.cluster.local", 6379),
    }


def _services() -> list[tuple[str, str, str, tuple[int, int], list[Endpoint]]]:
    """(name, language, version, (pods on the private cluster, on the public one), endpoints)."""
    db = _databases()
    cache = db["cache"]
    stripe = External("api.stripe.example", "POST", "/v1/payment_intents", 420, 0.75)
    geo = External("maps.geo.example", "GET", "/v2/geocode", 60, 0.5)
    frontend = [
        Endpoint("GET /", 12, 0.5, (
            Query(cache, "GET", "session", "GET session:?", 0.4, 0.4),
            Call("users", "GET /users/{id}", 0.7),
            Call("inventory", "GET /inventory/featured"),
            Internal("render home.html", 6),
        ), weight=30, error_rate=0.006),
        Endpoint("GET /products/{id}", 9, 0.5, (
            Query(cache, "GET", "product", "GET product:?", 0.4, 0.4),
            Call("inventory", "GET /inventory/{sku}"),
            Internal("render product.html", 5),
        ), weight=38, error_rate=0.006, client_error=(404, 0.03)),
        Endpoint("GET /search", 10, 0.6, (
            Call("inventory", "GET /inventory/search"),
            Internal("render search.html", 5),
        ), weight=8, error_rate=0.008, client_error=(400, 0.02)),
        Endpoint("POST /login", 8, 0.4, (
            Call("users", "POST /users/login"),
            Query(cache, "SET", "session", "SET session:? ? EX 3600", 0.5, 0.4),
        ), weight=9, error_rate=0.006, client_error=(401, 0.08)),
        Endpoint("GET /orders/{id}", 10, 0.5, (
            Call("orders", "GET /orders/{id}"),
            Internal("render order.html", 5),
        ), weight=7, error_rate=0.008, client_error=(404, 0.02)),
        Endpoint("POST /checkout", 15, 0.5, (
            Query(cache, "GET", "cart", "GET cart:?", 0.4, 0.4),
            Call("users", "GET /users/{id}"),
            Call("orders", "POST /orders"),
            Query(cache, "DEL", "cart", "DEL cart:?", 0.4, 0.4),
        ), weight=8, error_rate=0.045, client_error=(400, 0.02)),
    ]
    orders = [
        Endpoint("POST /orders", 8, 0.5, (
            Internal("validate cart", 2),
            Call("inventory", "POST /inventory/reserve"),
            Call("payments", "POST /payments/authorize"),
            Query(db["orders"], "INSERT", "orders",
                  "INSERT INTO orders (user_id, total, status, created_at) "
                  "VALUES (?, ?, ?, now()) RETURNING id", 3.0),
            Query(db["orders"], "INSERT", "order_items",
                  "INSERT INTO order_items (order_id, sku, quantity, price) VALUES (?, ?, ?, ?)",
                  2.0),
        )),
        Endpoint("GET /orders/{id}", 4, 0.5, (
            Query(db["orders"], "SELECT", "orders", "SELECT * FROM orders WHERE id = ?", 1.5),
            Query(db["orders"], "SELECT", "order_items",
                  "SELECT sku, quantity, price FROM order_items WHERE order_id = ?", 2.0),
            Call("payments", "GET /payments/{id}/status"),
        )),
    ]
    payments = [
        Endpoint("POST /payments/authorize", 25, 0.6, (
            Internal("FraudCheck.score", 12, 0.7),
            stripe,
            Internal("PaymentRepository.save", 4),
        )),
        Endpoint("GET /payments/{id}/status", 6, 0.5, (
            Internal("PaymentRepository.findById", 3),
        )),
    ]
    inventory = [
        Endpoint("GET /inventory/{sku}", 2, 0.5, (
            Query(db["inventory"], "SELECT", "products",
                  "SELECT id, name, price, stock FROM products WHERE sku = ?", 1.2),
        )),
        Endpoint("GET /inventory/featured", 2, 0.5, (
            Query(cache, "GET", "featured", "GET featured:products", 0.3, 0.4),
            Query(db["inventory"], "SELECT", "products",
                  "SELECT id, name, price FROM products WHERE featured = true "
                  "ORDER BY rank LIMIT ?", 4.0),
        )),
        Endpoint("GET /inventory/search", 3, 0.5, (
            Query(db["inventory"], "SELECT", "products",
                  "SELECT id, name, price FROM products WHERE name ILIKE ? "
                  "ORDER BY popularity DESC LIMIT ?", 18.0, 0.8),
        )),
        Endpoint("POST /inventory/reserve", 3, 0.5, (
            Query(db["inventory"], "UPDATE", "stock",
                  "UPDATE stock SET reserved = reserved + ? WHERE sku = ? AND available >= ?",
                  3.5, 0.7),
        )),
    ]
    users = [
        Endpoint("GET /users/{id}", 3, 0.5, (
            Query(cache, "GET", "user", "GET user:?", 0.3, 0.4),
            Query(db["users"], "SELECT", "users",
                  "SELECT id, email, name, tier FROM users WHERE id = ?", 1.0),
        )),
        Endpoint("POST /users/login", 5, 0.4, (
            Query(db["users"], "SELECT", "users",
                  "SELECT id, password_hash FROM users WHERE email = ?", 1.2),
            Internal("bcrypt.checkpw", 45, 0.2),
            geo,
            Query(db["users"], "UPDATE", "users", "UPDATE users SET last_login = now() "
                  "WHERE id = ?", 1.5),
        )),
    ]
    return [
        ("frontend", "python", "2.14.1", (1, HPA_MIN), frontend),
        ("orders", "python", "1.8.0", (1, 2), orders),
        ("payments", "java", "3.2.7", (1, 1), payments),
        ("inventory", "go", "0.19.4", (1, 1), inventory),
        ("users", "python", "1.3.2", (1, 1), users),
    ]


def _pod_suffix(rng: random.Random, length: int) -> str:
    # Kubernetes' own alphabet for generated names: no vowels, no 0/1/3.
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz2456789") for _ in range(length))


def _instance_id(rng: random.Random) -> str:
    return "-".join((
        f"{rng.getrandbits(32):08x}", f"{rng.getrandbits(16):04x}",
        f"4{rng.getrandbits(12):03x}", f"{0x8000 | rng.getrandbits(14):04x}",
        f"{rng.getrandbits(48):012x}"))  # a version-4 UUID


def build_system(rng: random.Random) -> System:
    """Build the shop; pod names and instance ids come from ``rng``."""
    services: dict[str, Service] = {}
    instances: list[Instance] = []
    on_node = dict.fromkeys((s.name for s in SITES), 0)
    for name, language, version, counts, endpoints in _services():
        service = Service(name, language, version, host=name, port=8080,
                          endpoints={e.route: e for e in endpoints})
        replica_set = _pod_suffix(rng, 9)  # one template, so one hash in both clusters
        extras = HPA_MAX - HPA_MIN if name == HPA_SERVICE else 0
        slots: list[tuple[Site, int | None]] = [
            (site, None) for site, n in zip(SITES, counts, strict=True) for _ in range(n)]
        slots += [(PUBLIC, k) for k in range(extras)]
        for index, (site, extra) in enumerate(slots):
            pod = f"{name}-{replica_set}-{_pod_suffix(rng, 5)}"
            node = site.nodes[on_node[site.name] % len(site.nodes)]
            on_node[site.name] += 1
            resource: tuple[tuple[str, str], ...] = (
                ("service.name", name),
                ("service.namespace", NAMESPACE),
                ("service.version", version),
                ("service.instance.id", _instance_id(rng)),
                ("host.name", pod),
                ("k8s.pod.name", pod),
                ("k8s.namespace.name", NAMESPACE),
                ("k8s.cluster.name", site.name),
                ("k8s.node.name", node),
                ("k8s.deployment.name", name),
                ("k8s.replicaset.name", f"{name}-{replica_set}"),
                ("container.name", name),
                ("telemetry.sdk.language", language),
                ("telemetry.sdk.name", "opentelemetry"),
                ("deployment.environment", "production"),
            )
            if site.provider == "aws":
                resource += (("cloud.provider", "aws"), ("cloud.region", "ap-northeast-2"))
            leaks = name == "orders" and index == 0
            service.instances.append(Instance(
                service, index, len(instances) + index, resource, pod, leaks, site, node,
                replica_set, extra))
        instances.extend(service.instances)
        services[name] = service
    _check_calls(services)
    entry = [e for e in services["frontend"].endpoints.values() if e.weight > 0]
    return System(services, instances, entry)


def _check_calls(services: dict[str, Service]) -> None:
    for service in services.values():
        for endpoint in service.endpoints.values():
            for step in endpoint.steps:
                if isinstance(step, Call) and step.route not in services[step.service].endpoints:
                    raise ValueError(f"{service.name} calls unknown {step.service} {step.route}")


def expand(template: str, rng: random.Random) -> str:
    """Fill a route template's ``{param}`` parts with plausible values."""
    if "{" not in template:
        return template
    out = []
    for part in template.split("/"):
        if part == "{sku}":
            part = f"SKU-{rng.randint(10000, 10499)}"
        elif part == "{id}":
            part = str(rng.randint(1, 500))
        out.append(part)
    return "/".join(out)

