"""Business Oasis desks: places and opening hours, bookings and their rules, the waitlist,
closures. `from storage import desks` gives the booking operations (`storage.desks.bookings`);
the other modules are imported by name."""

from storage.desks.bookings import *  # noqa: F403 - the package's face is the booking API
from storage.desks.bookings import __all__  # noqa: F401
