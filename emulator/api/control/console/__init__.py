"""The web console at ``/_emulator/ui``: the emulator's state as server-rendered pages.

Part of the control sub-app, so the control API's guard protects it. Pages render with
Jinja2 templates shipped in the package (no CDN, no front-end build); the only script is
the few lines that keep the Requests page up to date.
"""
