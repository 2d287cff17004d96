"""Coaching: coaches and their availability (`coaches`, `slots`), sessions from request to
the end (`sessions`), and the tables that keep a coach's time from being booked twice
(`tables`). `from storage import coaching` gives the session operations."""

from storage.coaching.sessions import *  # noqa: F403 - the package's face is the session API
