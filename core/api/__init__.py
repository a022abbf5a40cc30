"""Small helpers shared by the DRF views of every app."""

from rest_framework import status
from rest_framework.response import Response


def ack(text: str, code: int = status.HTTP_200_OK) -> Response:
    """The public API's acknowledgement body `{"message": text}`."""
    return Response({"message": text}, status=code)


def validated(serializer_class, data) -> dict:
    """Validated input, or a 400 naming the field (rendered per dialect by the exception handler)."""
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
