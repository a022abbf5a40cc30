"""Everything the project needs, read from the environment with embedded defaults: one module per
subject in `components/` (each imports what it reads from another), gathered here. local,
production and test start from this."""

from config.settings.components.ai import *  # noqa: F403
from config.settings.components.auth import *  # noqa: F403
from config.settings.components.celery import *  # noqa: F403
from config.settings.components.channels import *  # noqa: F403
from config.settings.components.data import *  # noqa: F403
from config.settings.components.knowledge import *  # noqa: F403
from config.settings.components.twilio import *  # noqa: F403
from config.settings.components.web import *  # noqa: F403
