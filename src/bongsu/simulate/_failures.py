"""The exceptions the simulated services raise, with stack traces in each language's format.

Example::

    failure = handler_failure("python", "orders", "POST /orders")
    failure.type, failure.message, failure.stacktrace
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    type: str
    message: str
    stacktrace: str


_HANDLER = {
    "python": ("KeyError", "'shipping_address'"),
    "java": ("java.lang.NullPointerException",
             'Cannot invoke "String.length()" because "token" is null'),
    "go": ("*errors.errorString", "reservation ledger: sku not found"),
}
_DATABASE = {
    "python": ("psycopg.errors.QueryCanceled", "canceling statement due to statement timeout"),
    "java": ("org.postgresql.util.PSQLException",
             "ERROR: canceling statement due to statement timeout"),
    "go": ("*pgconn.PgError", "ERROR: deadlock detected (SQLSTATE 40P01)"),
}
_CACHE = ("redis.exceptions.TimeoutError", "Timeout reading from socket")
_EXTERNAL = ("java.net.SocketTimeoutException", "Read timed out")


def _module(service: str, route: str) -> str:
    words = [w for w in route.split(" ", 1)[1].split("/") if w and "{" not in w]
    return words[-1] if words else service


def _stack(language: str, service: str, route: str, kind: str, message: str) -> str:
    module = _module(service, route)
    if language == "python":
        return (
            "Traceback (most recent call last):\n"
            '  File "/usr/local/lib/python3.12/site-packages/starlette/routing.py", line 74,'
            " in app\n    response = await f(request)\n"
            f'  File "/app/{service}/views/{module}.py", line 88, in handle\n'
            f"    result = await {module}_service.process(payload)\n"
            f'  File "/app/{service}/services/{module}.py", line 142, in process\n'
            "    row = await self.repository.fetch(key)\n"
            f"{kind}: {message}"
        )
    if language == "java":
        package = f"com.shop.{service}"
        cls = module.capitalize()
        return (
            f"{kind}: {message}\n"
            f"\tat {package}.service.{cls}Service.process({cls}Service.java:131)\n"
            f"\tat {package}.web.{cls}Controller.handle({cls}Controller.java:57)\n"
            "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke("
            "DirectMethodHandleAccessor.java:103)\n"
            "\tat org.springframework.web.servlet.FrameworkServlet.service("
            "FrameworkServlet.java:885)\n"
            "\tat org.apache.catalina.core.ApplicationFilterChain.doFilter("
            "ApplicationFilterChain.java:166)"
        )
    return (
        f"panic: {message} [recovered]\n\ngoroutine 412 [running]:\n"
        f"github.com/shop/{service}/internal/{module}.(*Handler).ServeHTTP(...)\n"
        f"\t/src/internal/{module}/handler.go:96 +0x1d4\n"
        "net/http.serverHandler.ServeHTTP({0xc000132000?}, {0x1a2b3c0, 0xc0004a61c0})\n"
        "\t/usr/local/go/src/net/http/server.go:3210 +0x8e"
    )


def handler_failure(language: str, service: str, route: str) -> Failure:
    kind, message = _HANDLER.get(language, _HANDLER["python"])
    return Failure(kind, message, _stack(language, service, route, kind, message))


def query_failure(language: str, system: str, service: str, route: str) -> Failure:
    kind, message = _CACHE if system == "redis" else _DATABASE.get(language, _DATABASE["go"])
    return Failure(kind, message, _stack(language, service, route, kind, message))


def external_failure(language: str, service: str, route: str) -> Failure:
    kind, message = _EXTERNAL
    return Failure(kind, message, _stack(language, service, route, kind, message))


def upstream_failure(language: str, service: str, route: str, url: str) -> Failure:
    if language == "python":
        kind = "httpx.HTTPStatusError"
        message = f"Server error '500 Internal Server Error' for url '{url}'"
    elif language == "java":
        kind = "org.springframework.web.client.HttpServerErrorException$InternalServerError"
        message = f'500 Internal Server Error: "{url}"'
    else:
        kind, message = "*url.Error", f"upstream {url} returned 500"
    return Failure(kind, message, _stack(language, service, route, kind, message))
