"""OpenINNO Concierge."""

__version__ = "0.1.0"
