"""Writes for messaging, one module per subject."""
