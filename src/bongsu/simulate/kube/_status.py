"""metav1.Status bodies, the way a real API server words its errors."""

from __future__ import annotations

from typing import Any

Obj = dict[str, Any]
REASONS = {400: "BadRequest", 404: "NotFound", 405: "MethodNotAllowed", 410: "Expired",
           500: "InternalError"}


def status(code: int, message: str, details: Obj | None = None,
           reason: str | None = None) -> Obj:
    out: Obj = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": message, "reason": reason or REASONS.get(code, "Unknown"),
                "code": code}
    if details is not None:
        out["details"] = details
    return out


def not_found(plural: str, name: str, group: str = "") -> Obj:
    shown = f"{plural}.{group}" if group else plural
    return status(404, f'{shown} "{name}" not found',
                  {"name": name, **({"group": group} if group else {}), "kind": plural})


def no_such_path() -> Obj:
    return status(404, "the server could not find the requested resource", {})


def too_old(rv: int, floor: int) -> Obj:
    return status(410, f"too old resource version: {rv} ({floor})")


def continue_expired() -> Obj:
    return status(410, "The provided continue parameter is too old to display a consistent "
                       "list result. You can start a new list without the continue parameter.")
