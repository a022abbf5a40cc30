"""The channel-neutral inbox: what happens to a message that comes from outside, whatever its
channel (issue 25). See apps.py for why it is an app."""
