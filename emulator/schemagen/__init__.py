"""Maintainer tool: derive the emulator's contract files from the ModelArts reference pages."""
