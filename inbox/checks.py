"""A system check of INBOX_CHANNELS: each entry must name a `Channel` declaration of that name that
fits the message table, with a sender that imports, so a mistyped entry is an error at start-up,
not a 500 at a channel's first message."""

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.utils.module_loading import import_string

from inbox.channels import Channel
from messaging.models import Message

CHANNEL_MAX_LENGTH = Message._meta.get_field("channel").max_length or 10


def _problem(name: str, path: str) -> str | None:
    try:
        spec = import_string(path)
    except ImportError as exc:
        return f"{path} does not import ({exc})"
    if not isinstance(spec, Channel):
        return f"{path} is not an inbox.channels.Channel"
    if spec.name != name:
        return f"{path} declares the channel {spec.name!r}, not {name!r}"
    if len(name) > CHANNEL_MAX_LENGTH:
        return f"the channel name {name!r} is longer than {CHANNEL_MAX_LENGTH} characters"
    for dotted in filter(None, (spec.sender, spec.replier)):
        try:
            import_string(dotted)
        except ImportError as exc:
            return f"its sender {dotted} does not import ({exc})"
    return None


def channels_check(app_configs, **kwargs) -> list[CheckMessage]:
    errors = []
    for name, path in settings.INBOX_CHANNELS.items():
        problem = _problem(name, path)
        if problem is not None:
            errors.append(Error(f"INBOX_CHANNELS[{name!r}]: {problem}.", id="inbox.E001"))
    return errors
