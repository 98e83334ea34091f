"""Page parameters and the page envelope every list endpoint returns."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

T = TypeVar("T")

class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int | None = Field(None, description="Number of matches; at most total_cap, and null when not counted.")
    total_capped: bool = Field(False, description="True when there are more matches than total says.")
    more: bool = Field(False, description="True when a next page has results.")
