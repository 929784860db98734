"""Kivy touch screens; nothing here is imported by the logic packages."""
