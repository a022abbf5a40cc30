"""The loopback stand-in lives in the project (demo/llm_server.py: demo mode runs it too); tests import it here."""

from demo.llm_server import *  # noqa: F403
