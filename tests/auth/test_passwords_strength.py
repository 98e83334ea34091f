"""The production password hasher: argon2id with at least the library's recommended cost."""

from __future__ import annotations

from argon2 import Type

from habeas.auth import passwords


def test_production_hashing_is_argon2id_at_recommended_cost():
    hasher = getattr(passwords, "PRODUCTION_HASHER", passwords._hasher)
    assert hasher.type is Type.ID
    assert hasher.time_cost >= 3 and hasher.memory_cost >= 64 * 1024 and hasher.parallelism >= 1
    assert hasher.hash("a long enough password").startswith("$argon2id$")
