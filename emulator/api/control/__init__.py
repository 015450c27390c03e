"""The ``/_emulator`` sub-app: the control API tests use to script, observe and reset the emulator.

Its requests stay out of the journal, and its own guard decides who may call it.
"""
