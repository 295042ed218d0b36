"""The load: residents' browsers or apps over keep-alive HTTP, in client processes with
threads.

This module imports nothing of the app, so the client processes start fast and spend
their CPU on HTTP only. A client process runs ``threads`` threads; each thread owns one
keep-alive connection and a few residents, and books for them in turn, by one of two
paths:

- ``page``, exactly as a browser does (each resident with its own cookies): GET the
  booking form, read the CSRF token, the nonce and the patient from the HTML, POST it;
- ``api``, as the resident's app does: one ``POST /api/v1/bookings`` with the
  resident's Bearer token (from ``POST /api/v1/auth/token`` at login) and a fresh
  ``Idempotency-Key``.

The parent drives the processes phase by phase over a pipe (see :func:`client_process`).
"""

import http.client
import json
import random
import re
import signal
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

FULL = "该时段已约满"
HTTP_TIMEOUT_S = 30


def _field(html: str, name: str) -> str | None:
    """The value of the form input called ``name`` (attributes in any order)."""
    for tag in re.finditer(r"<input\b[^>]*>", html):
        text = tag.group(0)
        if re.search(rf'\bname="{re.escape(name)}"', text):
            value = re.search(r'\bvalue="([^"]*)"', text)
            return value.group(1) if value else None
    return None


class Connection:
    """One keep-alive connection to the server, reopened when the server closed it."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self.conn = http.client.HTTPConnection(host, port, timeout=HTTP_TIMEOUT_S)

    def request(self, method: str, path: str, *, body: str | None = None,
                cookies: dict[str, str] | None = None,
                extra: dict[str, str] | None = None) -> tuple[int, dict, str, list[str]]:
        """(status, headers, body text, Set-Cookie headers). A request the server
        dropped on an idle keep-alive connection is sent once more; that is safe even for
        a booking, whose nonce or Idempotency-Key makes a repeat return the first one.
        ``extra`` headers may set a JSON content type and a Bearer token."""
        headers = {"User-Agent": "xiangqing-bench/1", "Accept": "text/html"}
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        headers.update(extra or {})
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                return (response.status, dict(response.getheaders()), text,
                        response.headers.get_all("Set-Cookie") or [])
            except (http.client.RemoteDisconnected, ConnectionResetError,
                    BrokenPipeError, http.client.CannotSendRequest):
                self.conn.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Resident:
    """A logged-in resident: cookies, and the sessions still to try, in a random order."""

    phone: str
    sessions: list[int]
    cookies: dict[str, str] = field(default_factory=dict)
    token: str = ""  # the API's Bearer token (the api path)

    def remember(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            expired = "max-age=0" in header.lower() or "expires=thu, 01 jan 1970" in header.lower()
            if expired or not value:
                self.cookies.pop(name.strip(), None)
            else:
                self.cookies[name.strip()] = value


def login(conn: Connection, resident: Resident, password: str) -> None:
    """Log in through the real /login page; success is a 302."""
    status, _h, page, cookies = conn.request("GET", "/login", cookies=resident.cookies)
    resident.remember(cookies)
    token = _field(page, "csrf_token")
    if status != 200 or token is None:
        raise RuntimeError(f"GET /login answered {status} without a CSRF token")
    body = urllib.parse.urlencode({"csrf_token": token, "phone": resident.phone,
                                   "password": password})
    status, _h, _t, cookies = conn.request("POST", "/login", body=body,
                                           cookies=resident.cookies)
    resident.remember(cookies)
    if status != 302:
        raise RuntimeError(f"POST /login for {resident.phone} answered {status}, not 302")


JSON = {"Content-Type": "application/json", "Accept": "application/json"}


def login_api(conn: Connection, resident: Resident, password: str) -> None:
    """Get the resident's Bearer token from the real token endpoint; success is 201."""
    body = json.dumps({"phone": resident.phone, "password": password})
    status, _h, answer, _c = conn.request("POST", "/api/v1/auth/token", body=body, extra=JSON)
    if status != 201:
        raise RuntimeError(f"POST /api/v1/auth/token for {resident.phone} answered {status}")
    resident.token = json.loads(answer)["token"]


@dataclass
class Tally:
    """What one phase of one thread (or, summed, of everyone) saw."""

    booked: int = 0  # 302 to /bookings/…, completed before the phase's deadline
    booked_late: int = 0  # completed after the deadline (not in the rate)
    full: int = 0  # the form or the answer said the slot is full
    refused: int = 0  # another 200 answer: a policy refusal or a form error
    healthz: int = 0
    errors: dict[str, int] = field(default_factory=dict)  # "500", "transport", …
    latencies_ms: list[float] = field(default_factory=list)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    def add(self, other: "Tally") -> None:
        for name in ("booked", "booked_late", "full", "refused", "healthz"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for kind, n in other.errors.items():
            self.errors[kind] = self.errors.get(kind, 0) + n
        self.latencies_ms.extend(other.latencies_ms)


class Booker:
    """One thread's residents and what it knows about full slots."""

    def __init__(self, conn: Connection, residents: list[Resident],
                 sessions: list[list[int]], rng: random.Random, path: str = "page"):
        self.conn, self.residents, self.sessions, self.rng = conn, residents, sessions, rng
        self.path = path
        self.full_slots: set[int] = set()
        self.turn = 0

    def next_target(self) -> tuple[Resident, int] | None:
        """The next resident in turn and a slot of a session they have not booked."""
        for _ in range(len(self.residents)):
            resident = self.residents[self.turn % len(self.residents)]
            self.turn += 1
            while resident.sessions:
                open_slots = [s for s in self.sessions[resident.sessions[-1]]
                              if s not in self.full_slots]
                if open_slots:
                    return resident, self.rng.choice(open_slots)
                resident.sessions.pop()
        return None

    def book_once(self, tally: Tally, deadline: float) -> bool:
        """One booking (page: GET form then POST; api: one POST). False when no resident
        has a place left."""
        target = self.next_target()
        if target is None:
            return False
        resident, slot_id = target
        started = time.monotonic()
        outcome = (self._book_api if self.path == "api" else self._book)(resident, slot_id)
        finished = time.monotonic()
        if outcome == "booked":
            resident.sessions.pop()  # one per session: this one is done
            if finished <= deadline:
                tally.booked += 1
                tally.latencies_ms.append((finished - started) * 1000)
            else:
                tally.booked_late += 1
        elif outcome == "full":
            self.full_slots.add(slot_id)
            tally.full += 1
        elif outcome == "refused":
            resident.sessions.pop()
            tally.refused += 1
        else:
            tally.error(outcome)
        return True

    def _book(self, resident: Resident, slot_id: int) -> str:
        path = f"/slots/{slot_id}/book"
        try:
            status, _h, page, cookies = self.conn.request("GET", path, cookies=resident.cookies)
            resident.remember(cookies)
            if status != 200:
                return str(status)
            token, nonce = _field(page, "csrf_token"), _field(page, "nonce")
            patient = _field(page, "patient")  # the first choice: the resident themself
            if nonce is None:  # the page offers the waitlist instead of the form
                return "full" if FULL in page else "no form"
            if token is None or patient is None:
                return "no form"
            body = urllib.parse.urlencode({"csrf_token": token, "nonce": nonce,
                                           "patient": patient})
            status, headers, answer, cookies = self.conn.request(
                "POST", path, body=body, cookies=resident.cookies)
            resident.remember(cookies)
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return "transport"
        location = urllib.parse.urlsplit(headers.get("Location", "")).path
        if status == 302 and location.startswith("/bookings/"):
            return "booked"
        if status == 200:
            return "full" if FULL in answer else "refused"
        return str(status)


    def _book_api(self, resident: Resident, slot_id: int) -> str:
        headers = {**JSON, "Authorization": f"Bearer {resident.token}",
                   "Idempotency-Key": uuid.uuid4().hex}
        try:
            status, _h, answer, _c = self.conn.request(
                "POST", "/api/v1/bookings", body=json.dumps({"slot_id": slot_id}),
                extra=headers)
        except (OSError, http.client.HTTPException):
            self.conn.close()
            return "transport"
        if status == 201:
            return "booked"
        if status == 409:
            code = json.loads(answer).get("error", {}).get("code")
            return "full" if code == "slot_full" else "refused"
        return str(status)


def _healthz_loop(conn: Connection, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            status, _h, _b, _c = conn.request("GET", "/healthz")
        except (OSError, http.client.HTTPException):
            conn.close()
            tally.error("transport")
            continue
        if time.monotonic() > deadline:
            break
        if status == 200:
            tally.healthz += 1
        else:
            tally.error(str(status))


def _booking_loop(booker: Booker, tally: Tally, deadline: float) -> None:
    while time.monotonic() < deadline:
        if not booker.book_once(tally, deadline):  # the workload is too small for the run
            tally.error("no session left to book")
            return


def _run_threads(targets: list, phase: str, deadline: float) -> Tally:
    tallies = [Tally() for _ in targets]
    loop = _booking_loop if phase == "book" else _healthz_loop
    threads = [
        threading.Thread(target=loop, args=(target, tally, deadline), daemon=True)
        for target, tally in zip(targets, tallies, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total


def client_process(pipe, port: int, phones: list[list[str]], sessions: list[list[int]],
                   password: str, seed: int, path: str = "page") -> None:
    """A client process: one thread per entry of ``phones`` (that thread's residents).

    Commands from the parent, answered over the same pipe:
    ``("login",)`` → ``("ok", None)``; ``(phase, start_at, seconds)`` with phase "book"
    or "healthz" → ``("ok", Tally)``; ``("port", n)`` → a new server port;
    ``("stop",)`` ends the process. Any failure is answered with ``("error", text)``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us on Ctrl-C
    rng = random.Random(seed)
    bookers = []
    for thread_phones in phones:
        residents = [Resident(phone, rng.sample(range(len(sessions)), len(sessions)))
                     for phone in thread_phones]
        bookers.append(Booker(Connection("127.0.0.1", port), residents, sessions,
                              random.Random(rng.random()), path))
    while True:
        command = pipe.recv()
        try:
            if command[0] == "stop":
                break
            pipe.send(("ok", _command(bookers, command, password)))
        except Exception as exc:  # reported to the parent, which stops the run
            pipe.send(("error", f"{type(exc).__name__}: {exc}"))
    for booker in bookers:
        booker.conn.close()


def _login_all(booker: Booker, password: str, errors: list[str]) -> None:
    try:
        for resident in booker.residents:
            (login_api if booker.path == "api" else login)(booker.conn, resident, password)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


def _command(bookers: list[Booker], command: tuple, password: str):
    if command[0] == "login":
        errors: list[str] = []
        threads = [threading.Thread(target=_login_all, args=(booker, password, errors))
                   for booker in bookers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            raise RuntimeError(errors[0])
        return None
    if command[0] == "port":
        for booker in bookers:
            booker.conn.close()
            booker.conn = Connection("127.0.0.1", command[1])
        return None
    phase, start_at, seconds = command
    time.sleep(max(0.0, start_at - time.monotonic()))
    targets = bookers if phase == "book" else [b.conn for b in bookers]
    return _run_threads(targets, phase, start_at + seconds)
