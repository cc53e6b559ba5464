"""Krug's benchmark (``python bench/run.py``) and the live-server harness the tests share."""
