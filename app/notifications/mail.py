"""E-mail: how a claimed outbox row leaves as a message over SMTP.

Standard library only (``smtplib`` and ``email``): the message is built with the
``SMTP`` policy, so a Chinese subject or sender name is RFC 2047-encoded, lines end in
CRLF and the UTF-8 body is transfer-encoded as it must be. The outbox row id becomes the
``Message-ID`` (``<outbox-42@host>``), the de-duplication key a mail system can use for
the one resend a crash between its acceptance and our stamp may cause.

``SMTP_URL`` names the server: ``smtp://host:25`` (plain), ``smtp+starttls://user:pass@
host:587`` or ``smtps://user:pass@host:465``; a driver keeps its connection open for
a sweep's whole pass and is closed at its end.
"""

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import Protocol
from urllib.parse import unquote, urlsplit

from app.notifications.channels import DeliveryError

log = logging.getLogger(__name__)

SMTP_TIMEOUT_S = 20
SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/calendar"
    data: bytes


@dataclass(frozen=True)
class Email:
    id: int
    to: str
    subject: str
    text: str
    attachments: tuple[Attachment, ...] = ()


class MailDriver(Protocol):
    def send(self, email: Email) -> None: ...

    def close(self) -> None: ...


def build_message(email: Email, *, sender: str, domain: str, date=None) -> EmailMessage:
    """The MIME message for ``email``: text/plain in UTF-8, attachments beside it."""
    message = EmailMessage(policy=SMTP)
    name, addr = parseaddr(sender)
    message["From"] = Address(display_name=name, addr_spec=addr) if name else addr
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Message-ID"] = f"<outbox-{email.id}@{domain}>"
    message["Date"] = format_datetime(date or datetime.now(UTC))
    message.set_content(email.text, charset="utf-8")
    for item in email.attachments:
        maintype, _, subtype = item.content_type.partition("/")
        if maintype == "text":  # text (an .ics) must say its charset to be read back
            message.add_attachment(item.data.decode("utf-8"), subtype=subtype,
                                   charset="utf-8", cte="base64", filename=item.filename)
        else:
            message.add_attachment(item.data, maintype=maintype, subtype=subtype,
                                   filename=item.filename)
    return message


class SmtpDriver:
    """Send through the server ``SMTP_URL`` names, one connection per sweep pass."""

    def __init__(self, url: str, *, sender: str, timeout: float = SMTP_TIMEOUT_S):
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://host:25, "
                             "smtp+starttls://user:pass@host:587 or smtps://user:pass@host:465")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or SCHEMES[parts.scheme]
        self.user = unquote(parts.username or "")
        self.password = unquote(parts.password or "")
        self.sender, self.timeout = sender, timeout
        self.domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.scheme == "smtps":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.scheme == "smtp+starttls":
                smtp.starttls(context=context)
        if self.user:
            smtp.login(self.user, self.password)
        return smtp

    def send(self, email: Email) -> None:
        message = build_message(email, sender=self.sender, domain=self.domain)
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise DeliveryError(f"recipient refused: {_first(exc.recipients)}") from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryError(f"mail server answered {exc.smtp_code}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryError(f"mail server unreachable: {exc}") from exc
        if refused:
            raise DeliveryError(f"recipient refused: {_first(refused)}")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _first(refused: dict) -> str:
    code, reason = next(iter(refused.values()), (0, b""))
    return f"{code} {reason.decode(errors='replace') if isinstance(reason, bytes) else reason}"


class LogMailDriver:
    """Development (no ``SMTP_URL``): the subject goes to the log, the address masked."""

    def send(self, email: Email) -> None:
        user, _, host = email.to.partition("@")
        log.info("E-mail #%s to %s***@%s: %s (%d attachment(s))", email.id, user[:1], host,
                 email.subject, len(email.attachments))

    def close(self) -> None:
        return None


class NullMailDriver(LogMailDriver):
    def send(self, email: Email) -> None:
        return None


def mail_driver(config) -> MailDriver:
    """SMTP when ``SMTP_URL`` is set; else the log (``MAIL_DRIVER=null`` for benchmarks)."""
    if config.get("MAIL_DRIVER") == "null":
        return NullMailDriver()
    if config.get("SMTP_URL"):
        return SmtpDriver(config["SMTP_URL"], sender=config["MAIL_FROM"])
    return LogMailDriver()
