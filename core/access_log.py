"""gunicorn's access log with phone numbers masked in the request line, path, query and referrer
(`GET /chat/+48*****789 HTTP/1.1`), as every other log line has them. gunicorn.conf.py and the
devserver's gunicorn name it as `logger_class`; it loads before Django, so it needs no settings."""

from gunicorn.glogging import Logger  # type: ignore[import-untyped]

from core.redact import mask_phones_in_url

# The atoms of an access line that hold the URL (gunicorn's names; `{…}i` headers, `{…}e` environ).
URL_ATOMS = ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{query_string}e", "{http_referer}e")


class PhoneMaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time) -> dict:
        atoms = super().atoms(resp, req, environ, request_time)
        for key in URL_ATOMS:
            value = atoms.get(key)
            if isinstance(value, str):
                atoms[key] = mask_phones_in_url(value)
        return atoms
