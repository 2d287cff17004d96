"""Events and courses: the list and the card with Register / Unregister / Add to calendar
(`browse`), notices and reminders (`notices`), staff reports, attendance and cancelling
(`staff`), the calendar file (`ics`)."""
