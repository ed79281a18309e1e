"""Fuzz tests need hypothesis (the `dev` extra); without it they are not collected."""

import importlib.util

if importlib.util.find_spec("hypothesis") is None:
    collect_ignore_glob = ["test_*.py"]
