"""The base of every request and response body: a JSON ``true`` is not a number.

Pydantic's lax mode reads ``true`` as ``1`` for an ``int`` or ``float`` field, so a
request the schema says is invalid (``"cpu_core_hour": true``) would be stored as 1.0.
:class:`BodyModel` refuses a boolean wherever a field takes a number (and not a boolean), with
the field's name in the message; everything else validates as before.

Example::

    class RateIn(BodyModel):
        cpu_core_hour: float
    RateIn.model_validate({"cpu_core_hour": True})  # ValidationError: cpu_core_hour: …
"""

from __future__ import annotations

import types
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationInfo, field_validator


def _wants_number(annotation: Any) -> bool:
    """Whether a field of this type takes a number and never a boolean."""
    if annotation in (int, float):
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        args = get_args(annotation)
        return bool not in args and any(a in (int, float) for a in args)
    return False


class BodyModel(BaseModel):
    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and _wants_number(field.annotation):
            raise ValueError(f"expected a number, got {str(value).lower()}")
        return value
