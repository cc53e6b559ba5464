"""Without PostgreSQL/Redis a laptop skips the service tests; CI fails them instead."""
from __future__ import annotations

import pytest

from .conftest import require_service


def test_missing_service_skips_outside_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="Redis unavailable"):
        require_service("Redis", "connection refused")


def test_missing_service_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="required in CI"):
        require_service("PostgreSQL", "connection refused")
