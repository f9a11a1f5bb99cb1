"""Stateful fakes of the provider APIs, for tests and ``make demo``.

``launcher.start(provider, ...)`` runs one in a background thread;
``python -m tests.simulators PROVIDER[:PORT] ...`` runs them from a shell.
"""
