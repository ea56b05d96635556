"""The goldsets folder, installed as the package ``harness._goldsets`` (see ``[tool.setuptools]`` in pyproject.toml).

This file only makes the folder importable under that name, so the default goldset is found with
``importlib.resources`` whether the harness runs from a checkout or from a wheel; read it through
:func:`harness.evaluate.default_goldset_path`, never by path arithmetic.
"""
