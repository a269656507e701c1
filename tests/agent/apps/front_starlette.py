"""The front service of the agent end-to-end tests: Starlette calling back with httpx."""

import os

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BACK = os.environ["BACK_URL"]


async def checkout(request: Request) -> JSONResponse:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{BACK}/orders/{request.path_params['order_id']}")
    return JSONResponse({"back": r.json(), "pid": os.getpid()})


async def fail(request: Request) -> JSONResponse:
    async with httpx.AsyncClient() as client:
        r = await client.get(f"{BACK}/boom")
    return JSONResponse({"status": r.status_code}, status_code=502)


app = Starlette(routes=[Route("/checkout/{order_id:int}", checkout), Route("/fail", fail)])
