"""The agent's set-once registry: the running agent and the parts the hot path reads.

Integrations read these module attributes on every call (one attribute load each); they
are ``None`` until :func:`bongsu.agent.init` and again after :func:`shutdown`, and every
hook then passes straight through to the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bongsu.agent._active import ActiveRequests
    from bongsu.agent._agent import Agent
    from bongsu.agent._dbstats import DbConnections
    from bongsu.agent._endpoints import EndpointStats
    from bongsu.agent._tracer import Tracer
    from bongsu.agent._users import UserKeys

__all__ = ["active", "agent", "db", "endpoints", "tracer", "users"]

agent: Agent | None = None
tracer: Tracer | None = None
active: ActiveRequests | None = None
endpoints: EndpointStats | None = None
db: DbConnections | None = None
users: UserKeys | None = None  # None also when BONGSU_USER_KEY=none
