"""A Flask app for the service-users test: pages behind a session cookie, and one page
where the application names its user itself."""

from flask import Flask

import bongsu.agent

app = Flask("users")


@app.get("/page/<int:n>")
def page(n: int) -> dict[str, int]:
    return {"page": n}


@app.get("/me")
def me() -> dict[str, str]:
    span = bongsu.agent.current_span()
    if span is not None:
        span.attrs["enduser.id"] = "account-42"  # the app knows its user: it wins
    return {"user": "account-42"}
