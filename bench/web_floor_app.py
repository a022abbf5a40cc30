"""The framework floor of `bench/web_floor.py`: what a request costs under the web process's gunicorn
before any of our code runs. `raw_app` is a bare WSGI callable (gunicorn alone); `web_floor_settings`
serves `floor` through Django (`config.wsgi`) with no middleware or with the production stack."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

BODY = b'{"status": "ok"}'


def raw_app(environ, start_response):
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(BODY)))])
    return [BODY]


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    """A webhook's minimum: the form parsed, a JSON answer."""
    return JsonResponse({"status": "ok", "fields": len(request.POST)})


urlpatterns = [path("floor", floor), path("health", floor)]
