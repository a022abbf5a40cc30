"""Reads for messaging, one module per subject. The AI context is derived from the Message table."""
