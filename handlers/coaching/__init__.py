"""Coaching in the chat: finding a coach and requesting a session (`browse`, `request`), the
coach's answers (`answers`), the entrepreneur's session (`sessions`), the coach's panel
(`panel`), the staff's coach management (`staff`), and the messages sent on their own
(`notices`)."""
