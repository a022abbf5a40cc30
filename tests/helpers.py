"""Helpers that tests import (fixtures live in the conftest files)."""

from rest_framework.test import APIClient

from accounts.tests.factories import PASSWORD as DEFAULT_PASSWORD


def login(client: APIClient, username: str, password: str = DEFAULT_PASSWORD) -> dict:
    response = client.post("/auth/login", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()


def client_for(user, password: str = DEFAULT_PASSWORD) -> APIClient:
    """An API client logged in as `user` with a bearer token; its tokens are on `client.tokens`."""
    client = APIClient()
    tokens = login(client, user.username, password)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}")
    client.tokens = tokens
    return client
