"""Config classes read every KRUG_* variable, with the documented defaults."""
from __future__ import annotations

import importlib

import pytest


@pytest.fixture
def config_module(monkeypatch, tmp_path):
    for name in ["KRUG_HOST", "KRUG_PORT", "KRUG_PUBLIC_URL", "KRUG_DATABASE_URL", "KRUG_MESSAGE_QUEUE",
                 "KRUG_SECRET_KEY", "KRUG_TIME_SCALE", "KRUG_RETENTION_HOURS", "KRUG_ASYNC_MODE", "KRUG_ENV",
                 "KRUG_MIGRATE", "KRUG_DATA_KEY"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KRUG_INSTANCE_DIR", str(tmp_path / "instance"))
    import config

    return importlib.reload(config)


def test_defaults(config_module, tmp_path):
    cfg = config_module.Config()
    assert (cfg.HOST, cfg.PORT, cfg.PUBLIC_URL, cfg.MESSAGE_QUEUE) == ("127.0.0.1", 5000, None, None)
    assert f"sqlite:///{tmp_path / 'instance' / 'krug.sqlite3'}" == cfg.DATABASE_URL
    assert (cfg.TIME_SCALE, cfg.RETENTION_HOURS, cfg.ASYNC_MODE) == (1.0, 24.0, "eventlet")
    assert cfg.MAX_CONNECTIONS > 1024


def test_building_a_config_writes_nothing(config_module, tmp_path):
    cfg = config_module.Config()
    assert cfg.SECRET_KEY is None and cfg.DATA_KEY is None and cfg.MIGRATE is True
    assert not (tmp_path / "instance").exists()


def test_secret_key_is_generated_once_and_kept(config_module, tmp_path):
    instance = tmp_path / "instance"
    first = config_module.instance_secret_key(instance)
    assert len(first) >= 32 and config_module.instance_secret_key(instance) == first
    assert (instance / "secret_key").stat().st_mode & 0o077 == 0


def test_data_key_is_generated_once_private_and_kept(config_module, tmp_path):
    instance = tmp_path / "instance"
    first = config_module.instance_data_key(instance)
    assert len(bytes.fromhex(first)) == 32 and config_module.instance_data_key(instance) == first
    assert (instance / "data_key").stat().st_mode & 0o077 == 0


def test_several_processes_need_one_data_key(config_module, monkeypatch):
    monkeypatch.setenv("KRUG_MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    with pytest.raises(ValueError, match="KRUG_DATA_KEY"):
        config_module.Config()


def test_data_key_from_the_environment_is_checked(config_module, monkeypatch):
    monkeypatch.setenv("KRUG_DATA_KEY", "ab" * 32)
    assert config_module.Config().DATA_KEY == "ab" * 32
    monkeypatch.setenv("KRUG_DATA_KEY", "not-hex")
    with pytest.raises(ValueError, match="KRUG_DATA_KEY"):
        config_module.Config()


def test_environment_overrides(config_module, monkeypatch):
    monkeypatch.setenv("KRUG_HOST", "0.0.0.0")
    monkeypatch.setenv("KRUG_PORT", "8080")
    monkeypatch.setenv("KRUG_PUBLIC_URL", "http://krug.local:8080")
    monkeypatch.setenv("KRUG_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1/krug")
    monkeypatch.setenv("KRUG_MESSAGE_QUEUE", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("KRUG_TIME_SCALE", "0.01")
    monkeypatch.setenv("KRUG_RETENTION_HOURS", "2")
    monkeypatch.setenv("KRUG_ASYNC_MODE", "threading")
    monkeypatch.setenv("KRUG_SECRET_KEY", "s3cret")
    monkeypatch.setenv("KRUG_DATA_KEY", "cd" * 32)
    cfg = config_module.Config()
    assert (cfg.HOST, cfg.PORT, cfg.PUBLIC_URL) == ("0.0.0.0", 8080, "http://krug.local:8080")
    assert cfg.DATABASE_URL.startswith("postgresql+psycopg://")
    assert cfg.MESSAGE_QUEUE == "redis://127.0.0.1:6379/0"
    assert (cfg.TIME_SCALE, cfg.RETENTION_HOURS, cfg.ASYNC_MODE, cfg.SECRET_KEY) == (0.01, 2.0, "threading", "s3cret")


@pytest.mark.parametrize("name, value", [("KRUG_TIME_SCALE", "fast"), ("KRUG_TIME_SCALE", "0"), ("KRUG_PORT", "http")])
def test_bad_values_are_named(config_module, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        config_module.Config()


def test_production_requires_an_explicit_secret(config_module, monkeypatch):
    monkeypatch.setenv("KRUG_ENV", "production")
    with pytest.raises(RuntimeError, match="KRUG_SECRET_KEY"):
        config_module.from_environment()


def test_test_config_is_threading_and_in_memory(config_module):
    cfg = config_module.TestConfig(TIME_SCALE=0.5)
    assert (cfg.ASYNC_MODE, cfg.DATABASE_URL, cfg.MESSAGE_QUEUE, cfg.TIME_SCALE) == ("threading", "sqlite://", None, 0.5)


def test_every_krug_variable_is_read_in_config_and_documented():
    """config.py is the one place that reads the environment; the README lists every variable."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    read_here = set(re.findall(r'"(KRUG_[A-Z0-9_]+)"', (root / "config.py").read_text()))
    readme = (root / "README.md").read_text()
    assert read_here and not [name for name in read_here if f"`{name}`" not in readme]
    for path in [root / "app.py", *(root / "facilitation").rglob("*.py")]:
        assert not re.search(r"(environ|getenv)[^\n]*KRUG_", path.read_text()), path
