"""The WSGI app `devserver` hands to gunicorn when it serves HTTPS in DEBUG.

runserver serves /static/ from the apps' folders by itself; gunicorn does not, so the admin and the
Swagger UI would lose their CSS and scripts. Django's own handler for that is wrapped around the
project's application here. Production (config.wsgi) never uses this module.
"""

from django.contrib.staticfiles.handlers import StaticFilesHandler

from config.wsgi import application as project_application

application = StaticFilesHandler(project_application)
