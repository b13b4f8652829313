"""The rules of the classroom as plain Python: no web framework, no database, no clock.

Routes, the store and the timer adapt these modules; the tests drive them directly.
"""
