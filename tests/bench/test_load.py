"""bench/load.py: the data file the Lua scripts read and the result line they print."""

import pytest

from bench import load

# What wrk 4.1 prints around the line bench/wrk/lib.lua's done() writes.
WRK_OUTPUT = """Running 5s test @ http://127.0.0.1:41234
  32 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   170.02ms   40.11ms 412.50ms   70.00%
  903 requests in 5.01s, 1.20MB read
  Non-2xx or 3xx responses: 3
XQ_WRK {"counts":{"booked":880,"full":20,"status 500":3},"duration_us":5010000,\
"errors":{"connect":0,"read":2,"status":23,"timeout":0,"write":0},\
"latency_us":{"max":412500,"mean":170020,"p50":169640,"p90":230000,"p99":287810},\
"requests":903,"threads":32}
Requests/sec:    180.24
Transfer/sec:    245.12KB
"""


def test_parse_reads_the_result_line_of_a_booking_run():
    measure = load.parse("api", WRK_OUTPUT)

    assert measure == load.Measure(
        rate=175.6, seconds=5.01, requests=903, p50_ms=169.6, p99_ms=287.8,
        counts={"booked": 880, "full": 20, "status 500": 3},
        errors={"status 500": 3, "socket read": 2},
    )


def test_parse_counts_ok_answers_for_plain_gets():
    line = ('XQ_WRK {"counts":{"ok":1200},"duration_us":2000000,"errors":{"connect":0,'
            '"read":0,"status":0,"timeout":0,"write":0},"latency_us":{"max":90000,'
            '"mean":40000,"p50":38000,"p90":60000,"p99":85000},"requests":1200,"threads":32}')

    measure = load.parse("get", line)

    assert (measure.rate, measure.errors, measure.p99_ms) == (600.0, {}, 85.0)


def test_parse_counts_a_page_without_its_form_as_an_error():
    line = ('XQ_WRK {"counts":{"booked":10,"no form":1},"duration_us":1000000,"errors":{},'
            '"latency_us":{"max":1,"mean":1,"p50":1,"p90":1,"p99":1},"requests":21,"threads":2}')

    assert load.parse("page", line).errors == {"no form": 1}


def test_parse_without_a_result_line_says_so():
    with pytest.raises(ValueError, match="no result line"):
        load.parse("get", "unable to connect to 127.0.0.1:1 Connection refused\n")


def test_lua_literal_writes_nested_tables():
    data = {"paths": ["/", "/sessions/3"], "run": 2, "ok": True, "cookie": 'a="b"\\'}

    assert load.lua_literal(data) == (
        '{["paths"] = {"/", "/sessions/3"}, ["run"] = 2, ["ok"] = true, '
        '["cookie"] = "a=\\"b\\"\\\\"}')


def test_write_data_escapes_every_byte_beyond_ascii(tmp_path):
    path = load.write_data(tmp_path / "data.lua", {"name": "居民\n"})

    assert path.read_text() == 'return {["name"] = "\\229\\177\\133\\230\\176\\145\\010"}\n'


def test_command_gives_each_thread_one_connection(tmp_path):
    argv = load.command("page", "http://127.0.0.1:8000", tmp_path / "d.lua",
                        connections=32, seconds=5)

    assert argv[:8] == ["wrk", "-t", "32", "-c", "32", "-d", "5s", "--timeout"]
    assert argv[-4:] == [str(load.WRK_DIR / "page.lua"), "http://127.0.0.1:8000", "--",
                         str(tmp_path / "d.lua")]
