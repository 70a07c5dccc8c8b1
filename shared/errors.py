"""Errors shared by light and heavy modules alike (this one imports nothing)."""


class ConfigError(RuntimeError):
    """A configuration file is missing or wrong; the message says which and how to fix it."""
