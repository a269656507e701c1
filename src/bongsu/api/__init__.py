"""The HTTP query API (FastAPI): v1 JSON endpoints, OpenAPI docs, the web console."""

from bongsu.api.app import V1_ROUTERS, create_api
from bongsu.api.context import Queries, Tenant, current_tenant, query_service

__all__ = ["V1_ROUTERS", "Queries", "Tenant", "create_api", "current_tenant", "query_service"]
