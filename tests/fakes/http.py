"""The loopback stand-in lives in the project (demo/http.py: demo mode runs it too); tests import it here."""

from demo.http import *  # noqa: F403
