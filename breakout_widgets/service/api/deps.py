"""Shared FastAPI dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..classes import Classes
from .auth import Caller, admin, caller


def get_classes(request: Request) -> Classes:
    return request.app.state.classes


ClassesDep = Annotated[Classes, Depends(get_classes)]
CallerDep = Annotated[Caller, Depends(caller)]
AdminDep = Annotated[Caller, Depends(admin)]
