"""A one-file Django project for the agent tests (WSGI ``application``, ASGI ``asgi_app``)."""

import django
from django.conf import settings

settings.configure(
    DEBUG=False, ALLOWED_HOSTS=["*"], ROOT_URLCONF=__name__, SECRET_KEY="test-only",
    MIDDLEWARE=[], INSTALLED_APPS=[], LOGGING_CONFIG=None,
)
django.setup()

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402


def order(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse({"id": pk})


def boom(request: HttpRequest) -> JsonResponse:
    raise ZeroDivisionError("django view failed")


urlpatterns = [path("orders/<int:pk>/", order), path("boom/", boom)]
application = get_wsgi_application()
asgi_app = get_asgi_application()
