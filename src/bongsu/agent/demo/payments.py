"""The demo's payments service: Starlette under uvicorn, calls the partner API with httpx."""

from __future__ import annotations

import asyncio
import os
import random

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

PARTNER = os.environ.get("DEMO_PARTNER_URL", "http://127.0.0.1:18931")


async def pay(request: Request) -> JSONResponse:
    async with httpx.AsyncClient(timeout=5) as client:
        rate = (await client.get(f"{PARTNER}/rates/krw")).json()["rate"]
    if random.random() < 0.03:
        raise RuntimeError("card processor declined the connection")
    if random.random() < 0.05:
        await asyncio.sleep(random.uniform(0.5, 1.5))  # a slow card network
    return JSONResponse({"order": request.path_params["order_id"], "rate": rate, "paid": True})


app = Starlette(routes=[Route("/payments/{order_id:int}", pay, methods=["POST"])])
