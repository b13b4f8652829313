"""Every error answer has the shape ``{"error": {"code", "message"}}``."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from ...errors import BreakoutError, InvalidInput, Unavailable, error_from_response


def error_response(error: BreakoutError) -> JSONResponse:
    headers = {}
    if "retry_after" in error.details:
        headers["Retry-After"] = str(max(1, round(float(error.details["retry_after"]))))
    if error.status == 401:  # RFC 9110 §11.6.1: a 401 names the scheme it wants
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error.to_json(), status_code=error.status, headers=headers)


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(BreakoutError)
    async def _breakout_error(_request: Request, exc: BreakoutError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(InvalidInput(_describe(exc)))

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        error = error_from_response(exc.status_code, {"error": {"message": str(exc.detail)}})
        error.status = exc.status_code
        return error_response(error)

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(Unavailable(f"internal error: {type(exc).__name__}"))
