"""Test doubles of the SMS gateway and the mail server (never of our own code)."""

import threading
import time
from collections import Counter

from app.notifications.channels import DeliveryError, Sms
from app.notifications.mail import Email


class RecordingGateway:
    """Accepts every message and counts deliveries per outbox row id."""

    def __init__(self, *, latency_s: float = 0.0):
        self.calls: Counter[int] = Counter()
        self.texts: dict[int, str] = {}
        self.latency_s = latency_s
        self._lock = threading.Lock()

    def send(self, sms: Sms) -> None:
        if self.latency_s:
            time.sleep(self.latency_s)  # a gateway's round trip, so sweeps interleave
        with self._lock:
            self.calls[sms.id] += 1
            self.texts[sms.id] = sms.text


class RefusingGateway:
    """Refuses everything, as a gateway that is down does."""

    def __init__(self):
        self.calls: Counter[int] = Counter()

    def send(self, sms: Sms) -> None:
        self.calls[sms.id] += 1
        raise DeliveryError("gateway answered 503")


class RecordingMail:
    """A mail driver double: keeps every e-mail it is handed, by outbox row id."""

    def __init__(self):
        self.sent: dict[int, Email] = {}
        self.closed = 0

    def send(self, email: Email) -> None:
        self.sent[email.id] = email

    def close(self) -> None:
        self.closed += 1
