"""The Messages resource the stand-in serves: stored messages, what the API does with them
(create, list, fetch, update, delete) and the seeding a test does behind the API's back."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from demo.twilio_server.records import FakeTwilioState, _Record
from demo.twilio_server.wire import (
    API_VERSION,
    DEFAULT_PAGE_SIZE,
    MAX_BODY_LENGTH,
    MAX_PAGE_SIZE,
    MAX_WHATSAPP_BODY_LENGTH,
    SENT_STATUSES,
    error_body,
    first_values,
    new_sid,
    num_segments,
    parse_filter_time,
    rfc2822,
    valid_from,
    valid_to,
)


class MessagesResource:
    """The message half of FakeTwilioServer; the handler calls the underscored methods."""

    state: FakeTwilioState

    # --- seeding and state -------------------------------------------------------------------------
    def add_message(
        self,
        *,
        to: str,
        from_: str | None,
        body: str = "",
        direction: str = "outbound-api",
        status: str | None = None,
        sid: str | None = None,
        date_created: datetime | None = None,
        date_sent: datetime | None = None,
        messaging_service_sid: str | None = None,
        num_media: int = 0,
        error_code: int | None = None,
        error_message: str | None = None,
        price: str | None = None,
    ) -> dict[str, Any]:
        """Store a message as if it already existed at Twilio (not through the API, so `created()`
        leaves it out). Outbound ones default to delivered, inbound ones to received; date_sent
        defaults to date_created once the status says the message went out."""
        inbound = direction == "inbound"
        status = status or ("received" if inbound else "delivered")
        created = date_created or datetime.now(UTC)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        sent = date_sent or (created if status in SENT_STATUSES else None)
        if sent is not None and sent.tzinfo is None:
            sent = sent.replace(tzinfo=UTC)
        with self.state.lock:
            record = self._store(
                sid=sid or new_sid(),
                to=to,
                from_=from_,
                body=body,
                status=status,
                direction=direction,
                created=created,
                sent=sent,
                messaging_service_sid=messaging_service_sid,
                num_media=num_media,
                via_api=False,
                params={},
            )
            data = record.data
            data.update(error_code=error_code, error_message=error_message, price=price)
            if price is not None:
                data["price_unit"] = "USD"
            return copy.deepcopy(data)

    def add_inbound(self, *, from_: str, to: str, body: str = "", **fields: Any) -> dict[str, Any]:
        """Store a message a user sent to one of the account's numbers (direction inbound)."""
        return self.add_message(to=to, from_=from_, body=body, direction="inbound", **fields)

    def set_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: int | None = None,
        error_message: str | None = None,
        price: str | None = None,
    ) -> dict[str, Any]:
        """Move a message on (sent, delivered, failed, ...); sets date_sent when it went out."""
        now = datetime.now(UTC)
        with self.state.lock:
            record = self.state.records[sid]
            if status in SENT_STATUSES and record.sent is None:
                record.sent = now
            record.data.update(
                status=status,
                error_code=error_code,
                error_message=error_message,
                date_updated=rfc2822(now),
                date_sent=rfc2822(record.sent),
            )
            if price is not None:
                record.data.update(price=price, price_unit="USD")
            return copy.deepcopy(record.data)

    # --- the resource (called by the handler) ----------------------------------------------------
    def _authorized(self, user: str | None, password: str | None, account: str) -> bool:
        with self.state.lock:
            state = self.state
            if account != state.account_sid or user is None:
                return False
            if user == state.account_sid:
                return password == state.auth_token
            return user in state.api_keys and password == state.api_keys[user]

    def _base_uri(self) -> str:
        return f"/{API_VERSION}/Accounts/{self.state.account_sid}"

    def _not_found(self, path: str) -> dict[str, Any]:
        return error_body(404, 20404, f"The requested resource {path} was not found")

    def _account_json(self) -> dict[str, Any]:
        sid = self.state.account_sid
        base = self._base_uri()
        now = rfc2822(datetime.now(UTC))
        return {
            "auth_token": self.state.auth_token,
            "date_created": now,
            "date_updated": now,
            "friendly_name": "Fake Twilio account",
            "owner_account_sid": sid,
            "sid": sid,
            "status": "active",
            "subresource_uris": {"messages": f"{base}/Messages.json"},
            "type": "Full",
            "uri": f"{base}.json",
        }

    def _store(
        self,
        *,
        sid: str,
        to: str,
        from_: str | None,
        body: str,
        status: str,
        direction: str,
        created: datetime,
        sent: datetime | None,
        messaging_service_sid: str | None,
        num_media: int,
        via_api: bool,
        params: dict[str, list[str]],
    ) -> _Record:
        """Store one message; the caller holds the lock."""
        uri = f"{self._base_uri()}/Messages/{sid}"
        data = {
            "account_sid": self.state.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": rfc2822(created),
            "date_sent": rfc2822(sent),
            "date_updated": rfc2822(created),
            "direction": direction,
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": messaging_service_sid,
            "num_media": str(num_media),
            "num_segments": str(num_segments(body)),
            "price": None,
            "price_unit": None,
            "sid": sid,
            "status": status,
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
            "to": to,
            "uri": f"{uri}.json",
        }
        self.state.seq += 1
        record = _Record(self.state.seq, data, created, sent, via_api, params)
        self.state.records[sid] = record
        return record

    def _create(self, params: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        form = first_values(params)
        to = form.get("To", "")
        from_ = form.get("From") or None
        service = form.get("MessagingServiceSid") or None
        body = form.get("Body", "")
        media = [url for url in params.get("MediaUrl", []) if url]
        content_sid = form.get("ContentSid") or None
        if not to:
            return 400, error_body(400, 21604, "A 'To' phone number is required.")
        if not valid_to(to):
            return 400, error_body(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return 400, error_body(400, 21603, "A 'From' phone number is required.")
        if from_ and not valid_from(from_):
            message = f"The 'From' number {from_} is not a valid phone number, shortcode, or alphanumeric sender ID."
            return 400, error_body(400, 21212, message)
        if not body and not media and not content_sid:
            return 400, error_body(400, 21602, "Message body is required.")
        limit = MAX_WHATSAPP_BODY_LENGTH if to.startswith("whatsapp:") else MAX_BODY_LENGTH
        if len(body.encode("utf-16-le")) // 2 > limit:
            return 400, error_body(400, 21617, f"The concatenated message body exceeds the {limit} character limit.")
        if "ContentVariables" in form:
            try:
                json.loads(form["ContentVariables"])
            except ValueError:
                return 400, error_body(400, 21656, "The ContentVariables Parameter is invalid.")
        with self.state.lock:
            rejection = self.state.rejections.get(to)
            if rejection is not None:
                http_status, code, message = rejection
                return http_status, error_body(http_status, code, message)
            # Twilio: 'accepted' while a Messaging Service picks the sender, 'scheduled' for a later send.
            if service and form.get("ScheduleType") == "fixed" and form.get("SendAt"):
                status = "scheduled"
            elif service and not from_:
                status = "accepted"
            else:
                status = "queued"
            record = self._store(
                sid=new_sid(),
                to=to,
                from_=from_,
                body=body,
                status=status,
                direction="outbound-api",
                created=datetime.now(UTC),
                sent=None,
                messaging_service_sid=service,
                num_media=len(media),
                via_api=True,
                params=copy.deepcopy(params),
            )
            return 201, copy.deepcopy(record.data)

    def _list(self, params: dict[str, list[str]]) -> dict[str, Any]:
        form = first_values(params)
        try:
            page_size = min(max(int(form.get("PageSize") or DEFAULT_PAGE_SIZE), 1), MAX_PAGE_SIZE)
        except ValueError:
            page_size = DEFAULT_PAGE_SIZE
        try:
            page = max(int(form.get("Page") or 0), 0)
        except ValueError:
            page = 0
        token = form.get("PageToken") or ""
        filters = [(key, form[key]) for key in ("To", "From", "DateSent", "DateSent<", "DateSent>") if key in form]
        with self.state.lock:
            records = [r for r in self.state.records.values() if self._matches(r, dict(filters))]
            records.sort(key=lambda r: (r.created, r.seq), reverse=True)  # newest first
            sids = [r.data["sid"] for r in records]
            start = page * page_size
            if token[:2] == "PA" and token[2:] in sids:  # the page after the one ending with that sid
                start = sids.index(token[2:]) + 1
            elif token[:2] == "PB" and token[2:] in sids:  # the page before the one starting there
                start = max(sids.index(token[2:]) - page_size, 0)
            chunk = [copy.deepcopy(r.data) for r in records[start : start + page_size]]
            more = start + page_size < len(records)
            base = f"{self._base_uri()}/Messages.json"

        def uri(page_number: int, page_token: str | None = None) -> str:
            query = [*filters, ("PageSize", str(page_size)), ("Page", str(page_number))]
            if page_token:
                query.append(("PageToken", page_token))
            return f"{base}?{urlencode(query)}"

        return {
            "end": start + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "messages": chunk,
            "next_page_uri": uri(page + 1, "PA" + chunk[-1]["sid"]) if more and chunk else None,
            "page": page,
            "page_size": page_size,
            "previous_page_uri": uri(page - 1, "PB" + chunk[0]["sid"]) if page > 0 and chunk else None,
            "start": start,
            "uri": uri(page, token or None),
        }

    @staticmethod
    def _matches(record: _Record, filters: dict[str, str]) -> bool:
        data = record.data
        if "To" in filters and data["to"] != filters["To"]:
            return False
        if "From" in filters and data["from"] != filters["From"]:
            return False
        for key, compare in (("DateSent", "=="), ("DateSent<", "<="), ("DateSent>", ">=")):
            if key not in filters:
                continue
            bound, whole_day = parse_filter_time(filters[key])
            if bound is None or record.sent is None:
                return False
            # DateSent matches a day; DateSent< and DateSent> are inclusive bounds, whole days for a
            # bare 'YYYY-MM-DD' (Twilio's documented form) and instants for a timestamp.
            sent = record.sent.astimezone(UTC)
            if whole_day or compare == "==":
                left, right = sent.date(), bound.date()
                if (compare == "==" and left != right) or (compare == "<=" and left > right):
                    return False
                if compare == ">=" and left < right:
                    return False
            elif (compare == "<=" and sent > bound) or (compare == ">=" and sent < bound):
                return False
        return True

    def _update(self, sid: str, form: dict[str, str], path: str) -> tuple[int, dict[str, Any]]:
        with self.state.lock:
            record = self.state.records.get(sid)
            if record is None:
                return 404, self._not_found(path)
            data = record.data
            if "Body" in form and form["Body"] != "":
                return 400, error_body(400, 20001, "A message body can only be redacted: set Body to ''.")
            if "Status" in form:
                if form["Status"] != "canceled":
                    return 400, error_body(400, 20001, f"Invalid Status {form['Status']!r}: only 'canceled'.")
                if data["status"] != "scheduled":
                    return 400, error_body(400, 30409, "This message cannot be canceled")
                data["status"] = "canceled"
            if "Body" in form:
                data["body"] = ""
            data["date_updated"] = rfc2822(datetime.now(UTC))
            return 200, copy.deepcopy(data)

    def _delete(self, sid: str) -> bool:
        with self.state.lock:
            return self.state.records.pop(sid, None) is not None
