"""A fake Twilio on 127.0.0.1, for driving the real ``twilio`` SDK and our webhooks in tests.

It speaks just enough of the 2010-04-01 REST API for what the service calls:

- ``POST /2010-04-01/Accounts/{sid}/Messages.json``: checks basic auth, records the form
  fields in :attr:`FakeTwilio.requests` (every create request, accepted or not), and answers
  201 with a message resource (a unique ``SM…`` sid, status ``queued``), which it keeps in
  :attr:`FakeTwilio.messages`;
- ``GET …/Messages.json`` with the ``To``, ``From``, ``DateSent``, ``DateSent<``, ``DateSent>``
  and ``PageSize`` filters, newest first, one page;
- ``GET …/Messages/{sid}.json``.

As at Twilio, ``date_sent`` stays empty until the message is sent (:meth:`FakeTwilio.post_status`
with ``sent`` or later sets it), so a look-up filtered on ``DateSent`` misses a message that is
still queued at the provider.

Faults, each for the next ``times`` API requests (:meth:`FakeTwilio.fail_next`):

- ``SERVER_ERROR``: accept (record) a create, then answer 500;
- ``DROP``: accept a create, then close the connection without an answer;
- ``SLOW``: accept a create, then wait :attr:`FakeTwilio.slow_seconds` before answering;
- ``TOO_MANY_REQUESTS``: 429 (Twilio error 20429), nothing accepted;
- ``OPTED_OUT`` / ``INVALID_NUMBER``: 400 with Twilio error 21610 / 21211, nothing accepted.

Connection-level faults are context managers: :meth:`FakeTwilio.refusing_connections` (nothing
listens on the port) and :meth:`FakeTwilio.not_answering` (connections are never accepted, so a
client's connect times out).

It also plays Twilio's side of the webhooks: :meth:`FakeTwilio.post_status` posts a status
callback to the ``StatusCallback`` URL of an accepted message and :meth:`FakeTwilio.post_inbound`
a reply from a phone, each signed with ``X-Twilio-Signature`` as Twilio signs them.
"""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from twilio.request_validator import RequestValidator

SERVER_ERROR = "server_error"
DROP = "drop"
SLOW = "slow"
TOO_MANY_REQUESTS = "too_many_requests"
OPTED_OUT = "opted_out"
INVALID_NUMBER = "invalid_number"
FAULTS = (SERVER_ERROR, DROP, SLOW, TOO_MANY_REQUESTS, OPTED_OUT, INVALID_NUMBER)

API_VERSION = "2010-04-01"
# The sender the fake reports when a message names a Messaging Service instead of a number.
SERVICE_SENDER = "+46700000000"
# The clinic's number that replies are sent to.
CLINIC_NUMBER = "+46700000001"

_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")
_REFUSALS = {
    TOO_MANY_REQUESTS: (429, 20429, "Too Many Requests"),
    OPTED_OUT: (400, 21610, "Attempt to send to unsubscribed recipient"),
    INVALID_NUMBER: (400, 21211, "Invalid 'To' Phone Number"),
}


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC))


def _parse_date_filter(value: str) -> datetime:
    """A ``DateSent`` filter value: ``YYYY-MM-DD`` or ``YYYY-MM-DDThh:mm:ssZ``, in GMT."""
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _sent_at(resource: dict[str, Any]) -> datetime | None:
    return parsedate_to_datetime(resource["date_sent"]) if resource["date_sent"] else None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout, a dropped connection) is what the faults are for.
        pass


class FakeTwilio:
    """The fake; start it with :meth:`start` (the ``fake_twilio`` fixture does)."""

    def __init__(
        self,
        *,
        account_sid: str,
        auth_token: str,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._now = now or (lambda: datetime.now(UTC))
        self.port = 0
        # Form fields of every create request, in order, accepted or not.
        self.requests: list[dict[str, str]] = []
        # Accepted messages by sid, oldest first, as the API shows them.
        self.messages: dict[str, dict[str, Any]] = {}
        # The StatusCallback URL each accepted message was sent with.
        self.status_callbacks: dict[str, str] = {}
        # Every webhook request posted: (url, params, signature).
        self.posted: list[tuple[str, dict[str, str], str]] = []
        self.slow_seconds = 3.0
        self._faults: list[str] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- running --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to give the SDK (``messaging.twilio.api_base_url``)."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._stopping.clear()
        self._listen()

    def stop(self) -> None:
        self._stopping.set()
        self._close()

    def _listen(self) -> None:
        fake = self

        class Handler(_Handler):
            pass

        Handler.fake = fake
        self._server = _Server(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def _close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @contextmanager
    def refusing_connections(self) -> Iterator[None]:
        """Nothing listens on the port for the duration: a connection is refused."""
        self._close()
        try:
            yield
        finally:
            self._listen()

    @contextmanager
    def not_answering(self) -> Iterator[None]:
        """The port listens but never accepts, so a client's connect times out: nothing
        reaches the fake. (A backlog of 0, filled by one connection nobody accepts; Linux
        then drops further connection attempts.)"""
        self._close()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(0)
        fillers = []
        for _ in range(2):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect(("127.0.0.1", self.port))
            fillers.append(filler)
        try:
            yield
        finally:
            for filler in fillers:
                filler.close()
            listener.close()
            self._listen()

    # --- faults ---------------------------------------------------------------------------

    def fail_next(self, fault: str, times: int = 1) -> None:
        """Answer the next ``times`` API requests with ``fault`` (one of :data:`FAULTS`)."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}")
        with self._lock:
            self._faults.extend([fault] * times)

    def _take_fault(self) -> str | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    # --- the API --------------------------------------------------------------------------

    def new_sid(self, prefix: str = "SM") -> str:
        return prefix + uuid.uuid4().hex

    def _accept(self, form: dict[str, str]) -> dict[str, Any]:
        now = _rfc2822(self._now())
        sid = self.new_sid()
        resource = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": form.get("Body", ""),
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From") or SERVICE_SENDER,
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {
                "media": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}/Media.json"
            },
            "to": form.get("To", ""),
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
        }
        with self._lock:
            self.messages[sid] = resource
            if form.get("StatusCallback"):
                self.status_callbacks[sid] = form["StatusCallback"]
        return resource

    def accepted_to(self, to: str) -> list[dict[str, Any]]:
        """Accepted messages to ``to``, oldest first."""
        with self._lock:
            return [m for m in self.messages.values() if m["to"] == to]

    def _list(self, query: dict[str, list[str]]) -> dict[str, Any]:
        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        with self._lock:
            found = list(reversed(self.messages.values()))
        if first("To") is not None:
            found = [m for m in found if m["to"] == first("To")]
        if first("From") is not None:
            found = [m for m in found if m["from"] == first("From")]
        for name, keep in (
            ("DateSent>", lambda sent, bound: sent >= bound),
            ("DateSent<", lambda sent, bound: sent <= bound),
            ("DateSent", lambda sent, bound: sent.date() == bound.date()),
        ):
            value = first(name)
            if value is None:
                continue
            bound = _parse_date_filter(value)
            found = [m for m in found if (sent := _sent_at(m)) is not None and keep(sent, bound)]
        page_size = int(first("PageSize") or 50)
        uri = f"/{API_VERSION}/Accounts/{self.account_sid}/Messages.json"
        return {
            "messages": found[:page_size],
            "end": min(len(found), page_size) - 1,
            "first_page_uri": uri,
            "next_page_uri": None,
            "page": 0,
            "page_size": page_size,
            "previous_page_uri": None,
            "start": 0,
            "uri": uri,
        }

    # --- webhooks -------------------------------------------------------------------------

    def signature_for(self, url: str, params: dict[str, str]) -> str:
        return RequestValidator(self.auth_token).compute_signature(url, params)

    def post_signed(
        self, url: str, params: dict[str, str], *, signature: str | None = None
    ) -> requests.Response:
        """POST ``params`` to ``url`` as Twilio does; ``signature`` overrides the genuine one
        (a forgery or a replay)."""
        if signature is None:
            signature = self.signature_for(url, params)
        self.posted.append((url, dict(params), signature))
        return requests.post(
            url, data=params, headers={"X-Twilio-Signature": signature}, timeout=30
        )

    def status_params(
        self, sid: str, status: str, *, error_code: str | None = None
    ) -> dict[str, str]:
        """The form fields Twilio posts in a status callback for message ``sid``."""
        with self._lock:
            message = self.messages[sid]
        params = {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "From": message["from"],
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": message["to"],
        }
        if message["messaging_service_sid"]:
            params["MessagingServiceSid"] = message["messaging_service_sid"]
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return params

    def post_status(
        self,
        sid: str,
        status: str,
        *,
        error_code: str | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """Move accepted message ``sid`` to ``status`` and post the signed status callback to
        the ``StatusCallback`` URL it was sent with."""
        with self._lock:
            message = self.messages[sid]
            url = self.status_callbacks[sid]
            message["status"] = status
            message["date_updated"] = _rfc2822(self._now())
            if status in ("sent", "delivered", "undelivered", "read") and not message["date_sent"]:
                message["date_sent"] = message["date_updated"]
            if error_code is not None:
                message["error_code"] = int(error_code)
        params = self.status_params(sid, status, error_code=error_code)
        return self.post_signed(url, params, signature=signature)

    def inbound_params(
        self, from_number: str, body: str, *, message_sid: str | None = None, to: str | None = None
    ) -> dict[str, str]:
        sid = message_sid or self.new_sid()
        return {
            "AccountSid": self.account_sid,
            "ApiVersion": API_VERSION,
            "Body": body,
            "From": from_number,
            "MessageSid": sid,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsMessageSid": sid,
            "SmsSid": sid,
            "SmsStatus": "received",
            "To": to or CLINIC_NUMBER,
        }

    def post_inbound(
        self,
        url: str,
        from_number: str,
        body: str,
        *,
        message_sid: str | None = None,
        to: str | None = None,
        signature: str | None = None,
    ) -> requests.Response:
        """Post a signed incoming text from ``from_number`` to the inbound webhook ``url``."""
        params = self.inbound_params(from_number, body, message_sid=message_sid, to=to)
        return self.post_signed(url, params, signature=signature)


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio
    # HTTP/1.0: the connection closes after each answer, so no pooled connection outlives a
    # fault that stops the listener.
    protocol_version = "HTTP/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def _answer(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            pass  # the client gave up waiting

    def _error(self, status: int, code: int, message: str) -> None:
        self._answer(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _authorised(self, account: str) -> bool:
        fake = self.fake
        expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
        return (
            self.headers.get("Authorization") == f"Basic {expected}" and account == fake.account_sid
        )

    def _route(self) -> re.Match[str] | None:
        match = _PATH.match(urlsplit(self.path).path)
        if match is None:
            self._error(404, 20404, "The requested resource was not found")
            return None
        if not self._authorised(match["account"]):
            self._error(401, 20003, "Authenticate")
            return None
        return match

    def do_POST(self) -> None:  # noqa: N802
        match = self._route()
        if match is None:
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        form = {key: values[0] for key, values in parse_qs(raw, keep_blank_values=True).items()}
        fake = self.fake
        with fake._lock:
            fake.requests.append(form)
        if match["sid"] is not None:
            self._error(405, 20004, "Method not allowed")
            return
        fault = fake._take_fault()
        if fault in _REFUSALS:
            self._error(*_REFUSALS[fault])
            return
        if not form.get("To"):
            self._error(400, 21604, "A 'To' phone number is required.")
            return
        if not form.get("From") and not form.get("MessagingServiceSid"):
            self._error(400, 21603, "A 'From' phone number is required.")
            return
        resource = fake._accept(form)
        if fault == SERVER_ERROR:
            self._error(500, 20500, "Internal Server Error")
            return
        if fault == DROP:
            self.close_connection = True
            return
        if fault == SLOW and fake._stopping.wait(fake.slow_seconds):
            return
        self._answer(201, resource)

    def do_GET(self) -> None:  # noqa: N802
        match = self._route()
        if match is None:
            return
        fake = self.fake
        fault = fake._take_fault()
        if fault in _REFUSALS:
            self._error(*_REFUSALS[fault])
            return
        if fault in (SERVER_ERROR, DROP):
            self._error(500, 20500, "Internal Server Error")
            return
        if fault == SLOW and fake._stopping.wait(fake.slow_seconds):
            return
        if match["sid"] is not None:
            with fake._lock:
                message = fake.messages.get(match["sid"])
            if message is None:
                self._error(404, 20404, "The requested resource was not found")
            else:
                self._answer(200, message)
            return
        self._answer(200, fake._list(parse_qs(urlsplit(self.path).query)))
