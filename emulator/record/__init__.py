"""Record real traffic through a proxy, replay it as scenarios, compare the emulator to it.

``proxy`` forwards ``/v2`` and ``/v3`` to an upstream (re-signing AK/SK requests),
``recorder`` writes each interaction as a scenario rule with secrets masked, and
``compare`` sends a recording's requests to an emulator and reports where it drifts.
"""
