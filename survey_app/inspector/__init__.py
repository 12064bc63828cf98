"""The inspectors' side (thanh tra): integrity signals (Q5/Q6, conduct complaints), read-only."""

from .views import bp

__all__ = ["bp"]
