"""Widgets shared by the conversations: menus, language picker, filters."""
