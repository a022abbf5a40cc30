"""The web panel under `/app/`, one namespace (`panel:`) over the pages of the apps
that own the data: conversations (messaging), reports, the profile (accounts)."""

from accounts import panel_urls as accounts_pages
from messaging import panel_urls as messaging_pages
from reports import panel_urls as reports_pages

app_name = "panel"
urlpatterns = [*messaging_pages.urlpatterns, *reports_pages.urlpatterns, *accounts_pages.urlpatterns]
