"""SMS gateway drivers: how a claimed outbox row leaves the building.

A driver takes an :class:`Sms` (plain values, never an ORM row) and either returns
(the gateway accepted it) or raises :class:`DeliveryError` with a reason short enough
for ``messages.last_error``. The outbox row id travels with every message so that a
gateway that de-duplicates can drop the one resend a crash between its acceptance and
our stamp may cause. E-mail goes through app.notifications.mail.
"""

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from app.core.phones import mask_phone

log = logging.getLogger(__name__)

HTTP_TIMEOUT_S = 10


class DeliveryError(Exception):
    """The gateway refused the message or could not be reached."""


@dataclass(frozen=True)
class Sms:
    id: int
    phone: str
    text: str


class SmsDriver(Protocol):
    def send(self, sms: Sms) -> None: ...


class LogDriver:
    """Development: the text goes to the log (verification codes can be read there)."""

    def send(self, sms: Sms) -> None:
        log.info("SMS #%s to %s: %s", sms.id, mask_phone(sms.phone), sms.text)


class NullDriver:
    """Accepts everything and does nothing (benchmarks)."""

    def send(self, sms: Sms) -> None:
        return None


class HttpDriver:
    """A generic HTTP gateway: POST a JSON body built from a template.

    ``template`` is JSON text whose string values may hold ``{phone}``, ``{text}`` and
    ``{id}``; they are substituted value by value (so quotes in a text cannot break the
    JSON). Any 2xx answer means accepted.
    """

    def __init__(self, url: str, *, auth: str = "", template: str = "",
                 timeout: float = HTTP_TIMEOUT_S):
        if not url:
            raise ValueError("SMS_GATEWAY_URL is required for the http SMS driver")
        self.url, self.auth, self.timeout = url, auth, timeout
        self.template = json.loads(template or '{"to": "{phone}", "text": "{text}", "id": "{id}"}')

    def body(self, sms: Sms) -> bytes:
        values = {"phone": sms.phone, "text": sms.text, "id": str(sms.id)}
        return json.dumps(_fill(self.template, values), ensure_ascii=False).encode()

    def send(self, sms: Sms) -> None:
        request = urllib.request.Request(self.url, data=self.body(sms), method="POST",
                                         headers={"Content-Type": "application/json"})
        if self.auth:
            request.add_header("Authorization", self.auth)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"gateway answered {exc.code}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise DeliveryError(f"gateway unreachable: {exc}") from exc
        if not 200 <= status < 300:
            raise DeliveryError(f"gateway answered {status}")


def _fill(node, values: dict[str, str]):
    if isinstance(node, str):
        for name, value in values.items():
            node = node.replace("{" + name + "}", value)
        return node
    if isinstance(node, dict):
        return {key: _fill(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(value, values) for value in node]
    return node


def sms_driver(config) -> SmsDriver:
    """The driver the settings name (``SMS_DRIVER``: log, http or null)."""
    name = config.get("SMS_DRIVER", "log")
    if name == "log":
        return LogDriver()
    if name == "null":
        return NullDriver()
    if name == "http":
        return HttpDriver(config.get("SMS_GATEWAY_URL", ""),
                          auth=config.get("SMS_GATEWAY_AUTH", ""),
                          template=config.get("SMS_GATEWAY_TEMPLATE", ""))
    raise ValueError(f"unknown SMS_DRIVER {name!r} (log, http or null)")
