"""The loopback stand-in lives in the project (demo/twilio_server/: demo mode runs it too); tests import it here."""

from demo.twilio_server import *  # noqa: F403
