"""Writing a message once and fanning it out to the channels a person wants.

Texts come from Jinja templates, one per kind, under ``app/templates/messages/``. Each
defines up to three macros: ``subject()``, ``sms()`` (one SMS: at most ``SMS_LENGTH``
characters with the signature) and ``body()`` (the inbox and e-mail text). Their
strings are Chinese and go through Flask-Babel like every interface string, so the
English catalog holds their English versions; a message is rendered in the language of
the account it goes to (``User.locale``), Chinese for walk-ins without an account.

Who hears what: the site inbox always keeps a copy for an account; SMS go to the phone
given (the person who will come) unless the account switched SMS off; e-mail goes to
the account's address when it has one and has not switched e-mail off.
"""

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from flask_babel import force_locale, get_locale, get_translations
from jinja2 import Environment

from app.auth.models import User
from app.auth.tokens import Caller
from app.core.phones import is_mobile
from app.notifications.models import Channel
from app.notifications.services import queue_messages

SIGNATURE = "【乡情专家行】"
SIGNATURES = {"zh": SIGNATURE, "en": "[Xiangqing] "}  # each SMS opens with its language's
SMS_LENGTH = 70  # one SMS of UCS-2 text (Chinese); longer ones are split and cost more
GSM7_LENGTH = 160  # one SMS of text the GSM 7-bit alphabet holds (plain English)
GSM7 = frozenset("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡"
                 "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_ESCAPED = frozenset("^{}\\[~]|€")  # two 7-bit characters each
DEFAULT_LOCALE = "zh"
LOCALES = ("zh", "en")
PARTS = ("subject", "sms", "body")  # the macros a message template may define


@dataclass(frozen=True)
class Recipient:
    """An account as its messages need it (plain values: safe to use under a lock)."""

    user_id: int
    email: str | None
    sms: bool
    by_email: bool
    locale: str

    @property
    def email_to(self) -> str | None:
        return self.email if self.email and self.by_email else None


def recipient_of(user: User | Caller | None) -> Recipient | None:
    if user is None:
        return None
    return Recipient(user_id=user.id, email=user.email, sms=user.notify_sms,
                     by_email=user.notify_email, locale=user.locale or DEFAULT_LOCALE)


@dataclass(frozen=True)
class Texts:
    subject: str
    sms: str
    body: str


def current_locale() -> str:
    """The language of the page being served (a verification code has no account yet)."""
    locale = get_locale()
    return "en" if locale is not None and locale.language == "en" else DEFAULT_LOCALE


def render(kind: str, *, locale: str = DEFAULT_LOCALE, only: tuple[str, ...] = PARTS,
           **values) -> Texts:
    """The texts of message ``kind`` in ``locale`` (``only`` some of them: the others
    are left empty). ``values`` may hold callables of no arguments (a date to format,
    say): they are called under the message's locale."""
    with force_locale(locale if locale in LOCALES else DEFAULT_LOCALE):
        values = {k: v() if callable(v) else v for k, v in values.items()}
        module = _message_env(locale).get_template(f"messages/{kind}.txt").make_module(values)
        parts = {name: str(getattr(module, name)()).strip()
                 if name in only and hasattr(module, name) else "" for name in PARTS}
    signature = SIGNATURES["en" if locale == "en" else DEFAULT_LOCALE]
    if parts["sms"]:
        parts["sms"] = signature + parts["sms"]
    parts["body"] = parts["body"] or parts["sms"].removeprefix(signature)
    return Texts(**parts)


def _message_env(locale: str) -> Environment:
    """The message templates' environment for ``locale``, with its catalog bound in.

    Every booking renders its confirmation and reminders, and the site's environment
    looks the catalog up through Flask-Babel's request context on every string; here
    it is looked up once per process and language. (The templates use no filters or
    globals of the site's.)"""
    locale = locale if locale in LOCALES else DEFAULT_LOCALE
    environments = current_app.extensions.setdefault("xq_message_environments", {})
    if (environment := environments.get(locale)) is None:
        site = current_app.jinja_env
        environment = Environment(loader=site.loader, extensions=["jinja2.ext.i18n"],
                                  autoescape=False, auto_reload=site.auto_reload)
        with force_locale(locale):
            environment.install_gettext_translations(get_translations(), newstyle=True)
        environment = environments.setdefault(locale, environment)
    return environment


def site_link(path: str) -> str:
    """An absolute link for a message, when the site knows its address (SITE_URL)."""
    base = current_app.config.get("SITE_URL", "").rstrip("/")
    return f"{base}{path}" if base else ""


def sms_fits(text: str) -> bool:
    """Whether ``text`` goes as one SMS: 160 characters of the GSM 7-bit alphabet (an
    escaped one counts twice), else 70 of UCS-2 (any Chinese character, a Chinese name
    in an English text too)."""
    if all(c in GSM7 or c in GSM7_ESCAPED for c in text):
        return len(text) + sum(c in GSM7_ESCAPED for c in text) <= GSM7_LENGTH
    return len(text) <= SMS_LENGTH


def sms_to(to: Recipient | None, phone: str) -> str | None:
    """The phone an SMS goes to: the one given, when it is a mobile (a walk-in may have
    a landline or none) and unless the account switched SMS off."""
    return phone if is_mobile(phone) and (to is None or to.sms) else None


def reaches(account_id: int | None, phone: str) -> bool:
    """Whether a message can reach anyone: an account's inbox, or else an SMS to a
    mobile (``routes`` queues nothing for a walk-in with a landline or no phone)."""
    return account_id is not None or sms_to(None, phone) is not None


def email_subject(texts: Texts) -> str:
    return f"【{current_app.config['SITE_NAME']}】{texts.subject}"


def send(kind: str, texts: Texts, *, now: datetime, to: Recipient | None = None,
         phone: str = "", booking_id: int | None = None, attachment: str | None = None,
         sms: bool = True) -> None:
    """Queue ``texts`` to the channels ``to`` wants (and an SMS to ``phone``)."""
    queue_messages(routes(kind, texts, now=now, to=to, phone=phone, booking_id=booking_id,
                          attachment=attachment, sms=sms))


def routes(kind: str, texts: Texts, *, now: datetime, to: Recipient | None = None,
           phone: str = "", booking_id: int | None = None, attachment: str | None = None,
           sms: bool = True) -> list[dict]:
    """``send``'s messages, as ``queue_messages`` takes them."""
    user_id = to.user_id if to else None
    common = {"kind": kind, "now": now, "booking_id": booking_id}
    messages = []
    if sms and texts.sms and (number := sms_to(to, phone)):
        messages.append({**common, "channel": Channel.SMS, "recipient": number,
                         "body": texts.sms, "user_id": user_id})
    if to is None:
        return messages
    messages.append({**common, "channel": Channel.INBOX, "user_id": to.user_id,
                     "subject": texts.subject, "body": texts.body, "sent": True})
    if to.email_to:
        messages.append({**common, "channel": Channel.EMAIL, "recipient": to.email_to,
                         "subject": email_subject(texts), "body": texts.body,
                         "user_id": to.user_id, "attachment": attachment})
    return messages


def tell_accounts(users, kind: str, *, now: datetime, **values) -> None:
    """Tell each of ``users`` (None and repeats skipped) by inbox and e-mail, each in
    their own language: the notices staff get (a stopped session, a reset link)."""
    seen = set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        to = recipient_of(user)
        send(kind, render(kind, locale=to.locale, **values), now=now, to=to, sms=False)
