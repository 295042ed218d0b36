"""SMS drivers: the HTTP driver against a real local server, and driver selection."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.notifications.channels import (
    DeliveryError,
    HttpDriver,
    LogDriver,
    NullDriver,
    Sms,
    mask_phone,
    sms_driver,
)
from app.notifications.models import Message, MessageStatus
from app.notifications.services import queue_sms
from app.notifications.sweep import sweep
from tests.factories import NOW

TEMPLATE = '{"mobile": "{phone}", "content": "{text}", "requestId": "{id}", "sign": "XQ"}'


@pytest.fixture
def gateway():
    """A gateway on 127.0.0.1 that records each request and answers the next status."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers["Content-Length"])
            server.received.append((self.headers.get("Authorization"),
                                    json.loads(self.rfile.read(length))))
            self.send_response(server.statuses.pop(0) if server.statuses else 200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.received, server.statuses = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()


def _driver(server) -> HttpDriver:
    return HttpDriver(f"http://127.0.0.1:{server.server_port}/sms", auth="Bearer k3y",
                      template=TEMPLATE)


def test_http_driver_posts_the_template_with_the_row_id(gateway):
    _driver(gateway).send(Sms(id=42, phone="13900000001", text='【乡情】说 "你好"'))

    assert gateway.received == [("Bearer k3y", {
        "mobile": "13900000001", "content": '【乡情】说 "你好"', "requestId": "42",
        "sign": "XQ"})]


def test_http_driver_raises_on_an_error_answer(gateway):
    gateway.statuses = [500]

    with pytest.raises(DeliveryError) as info:
        _driver(gateway).send(Sms(id=1, phone="13900000001", text="x"))

    assert str(info.value) == "gateway answered 500"


def test_http_driver_raises_when_the_gateway_is_unreachable(gateway):
    driver = _driver(gateway)
    gateway.shutdown()
    gateway.server_close()

    with pytest.raises(DeliveryError):
        driver.send(Sms(id=1, phone="13900000001", text="x"))


def test_sweep_through_the_http_gateway_retries_a_refusal(db, gateway):
    refused = queue_sms("13900000001", kind="test", body="one", now=NOW)
    accepted = queue_sms("13900000002", kind="test", body="two", now=NOW)
    db.session.commit()
    gateway.statuses = [500, 200]

    stats = sweep(now=NOW, driver=_driver(gateway))

    db.session.expire_all()
    assert (stats.sent, stats.retried) == (1, 1)
    assert [body["requestId"] for _, body in gateway.received] == [
        str(refused.id), str(accepted.id)]
    assert (db.session.get(Message, refused.id).status,
            db.session.get(Message, refused.id).last_error) == (
        MessageStatus.PENDING, "gateway answered 500")
    assert db.session.get(Message, accepted.id).status == MessageStatus.SENT


@pytest.mark.parametrize(("config", "kind"), [
    ({}, LogDriver),
    ({"SMS_DRIVER": "log"}, LogDriver),
    ({"SMS_DRIVER": "null"}, NullDriver),
    ({"SMS_DRIVER": "http", "SMS_GATEWAY_URL": "http://127.0.0.1:9/"}, HttpDriver),
])
def test_sms_driver_follows_the_setting(config, kind):
    assert type(sms_driver(config)) is kind


def test_sms_driver_refuses_an_unknown_name_and_http_without_url():
    with pytest.raises(ValueError):
        sms_driver({"SMS_DRIVER": "carrier-pigeon"})
    with pytest.raises(ValueError):
        sms_driver({"SMS_DRIVER": "http"})


def test_mask_phone_keeps_only_the_ends():
    assert mask_phone("13912345678") == "139****5678"
