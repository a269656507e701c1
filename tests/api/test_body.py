"""Request bodies refuse a JSON boolean where a number is asked (Pydantic alone would read
``true`` as 1), naming the field, and still take integers for floats."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bongsu.api.body import BodyModel
from bongsu.api.metering import RateCardIn


class Example(BodyModel):
    count: int
    price: float | None = None
    flag: bool = False
    either: int | bool = 0


@pytest.mark.parametrize("data", [{"count": True}, {"count": 1, "price": False}])
def test_a_boolean_for_a_number_is_refused_by_name(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as caught:
        Example.model_validate(data)
    field = next(k for k, v in data.items() if isinstance(v, bool))
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]
    assert "expected a number, got false" in str(caught.value) or "got true" in str(
        caught.value)


def test_numbers_and_booleans_where_asked_still_validate() -> None:
    got = Example.model_validate({"count": 3, "price": 2, "flag": True, "either": True})
    assert (got.count, got.price, got.flag, got.either) == (3, 2.0, True, True)


def test_nested_bodies_refuse_it_too() -> None:
    good = {"currency": "EUR", "cpu_core_hour": 1, "memory_gib_hour": 0.5}
    assert RateCardIn.model_validate({"default": good}).default.cpu_core_hour == 1.0
    with pytest.raises(ValidationError) as caught:
        RateCardIn.model_validate({"default": good, "clusters": {
            "k": {**good, "memory_gib_hour": True}}})
    assert [e["loc"] for e in caught.value.errors()] == [("clusters", "k", "memory_gib_hour")]
