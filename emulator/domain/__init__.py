"""State and rules of the emulated service: projects, datasets, tasks and their clock.

Pure Python: nothing here imports aiohttp, so the rules are testable without a server.
"""
