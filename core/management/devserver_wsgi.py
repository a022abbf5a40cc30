"""The WSGI app `devserver` hands to gunicorn when it serves HTTPS in DEBUG.

runserver serves /static/ from the apps' folders by itself; gunicorn does not, so the admin and the
Swagger UI would lose their CSS and scripts. Django's own handler for that is wrapped around the
project's application here. Production (config.wsgi) never uses this module, and this one needs
none of its start-up tuning.
"""

import os

from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

application = StaticFilesHandler(get_wsgi_application())
