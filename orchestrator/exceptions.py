"""Orchestrator errors that cross module boundaries (a leaf module: tasks import it at load time)."""


class LeaseBusy(Exception):
    """Another AI turn holds this conversation's lease; the message went back to `pending`."""
