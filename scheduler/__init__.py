"""Time: APScheduler only times the jobs; the database says what is due."""
