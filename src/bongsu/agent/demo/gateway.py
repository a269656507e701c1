"""The demo's API gateway: Starlette under uvicorn; calls orders with httpx."""

from __future__ import annotations

import asyncio
import os
import random

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ORDERS = os.environ.get("DEMO_ORDERS_URL", "http://127.0.0.1:18933")


async def order(request: Request) -> JSONResponse:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.get(f"{ORDERS}/orders/{request.path_params['order_id']}")
    return JSONResponse(r.json() if r.status_code == 200 else {"error": r.status_code},
                        status_code=r.status_code)


async def checkout(request: Request) -> JSONResponse:
    async with httpx.AsyncClient(timeout=10) as client:
        r = await client.post(f"{ORDERS}/orders")
    return JSONResponse(r.json(), status_code=r.status_code)


async def report(request: Request) -> JSONResponse:
    await asyncio.sleep(random.uniform(1.0, 3.0))  # the slow endpoint
    return JSONResponse({"report": "monthly", "rows": random.randint(100, 900)})


app = Starlette(routes=[
    Route("/api/orders/{order_id:int}", order),
    Route("/api/checkout", checkout, methods=["POST"]),
    Route("/api/reports/monthly", report),
])
