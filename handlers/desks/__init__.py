"""Booking Business Oasis desks: the flow (`flow`, `choice`), the staff's tools (`staff`,
`closures`), the messages to other people (`notices`), with their callback data, keyboards
and texts."""
