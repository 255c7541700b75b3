"""crossgate: a compliance crosswalk server with Rego deployment gates."""

__version__ = "0.1.0"
