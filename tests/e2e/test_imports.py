"""Importing balances end to end (SPEC §7, docs/imports.md): a merchant
posts a CSV from their old loyalty app to the admin API, or an operator
runs `loyalty import points`; the file streams through the gateway to the
points service, which applies it in the background. Good rows become
balances once, bad rows are listed with their lines, the same file again
changes nothing, and a file that cannot be an import is a 422 that keeps
nothing."""

import json
import socket

import pytest

from tests.support import loyalty_cli, wait_for

HEADER = "customer_id,email,points,first_name,last_name"


def post_file(shop, content: bytes, file_name="balances.csv", **kwargs):
    return shop.api(
        "POST",
        "/api/imports/points",
        params={"file_name": file_name},
        data=content,
        headers={"Content-Type": "text/csv"},
        **kwargs,
    )


def finished(shop, import_id: str) -> dict:
    def done():
        response = shop.api("GET", f"/api/imports/{import_id}")
        assert response.status_code == 200, response.text
        return response.json()["status"] != "running" and response.json()

    state = wait_for(done, timeout=60)
    assert state, f"import {import_id} never finished"
    return state


def balance(shop, customer_id: str) -> int:
    response = shop.api("GET", f"/api/customers/{customer_id}")
    assert response.status_code == 200, response.text
    return response.json()["customer"]["balance"]


def test_a_file_from_another_app_becomes_balances_once_with_its_bad_rows_listed_by_line(shop):
    content = (
        f"{HEADER}\r\n"
        "7001,ann@example.com,250,Ann,Lee\r\n"
        "7002,bob@example.com,ten,Bob,Ray\r\n"
        "\r\n"
        '7003,"cy@example.com",1200,"Cy, Jr.",Park\r\n'
        "7004,not-an-email,5,Di,Fox\r\n"
    ).encode()

    posted = post_file(shop, content)
    assert posted.status_code == 202, posted.text
    state = finished(shop, posted.json()["id"])

    assert (state["status"], state["rows_total"], state["rows_done"], state["rows_failed"]) == (
        "done",
        4,
        2,
        2,
    )
    assert [(error["row"], error["message"].split(":")[0]) for error in state["errors"]] == [
        (3, "points"),
        (6, "email"),
    ]
    assert (balance(shop, "7001"), balance(shop, "7003")) == (250, 1200)
    customer = shop.api("GET", "/api/customers/7003").json()["customer"]
    assert (customer["email"], customer["name"]) == ("cy@example.com", "Cy, Jr. Park")
    history = shop.api("GET", "/api/activities/points", params={"q": "ann@"}).json()["items"]
    assert [(item["type"], item["action"], item["points"]) for item in history] == [
        ("adjusted", "Adjusted by admin: Imported balance", 250)
    ]

    again = post_file(shop, content)
    assert again.status_code == 202
    assert again.json()["id"] == posted.json()["id"]
    listed = shop.api("GET", "/api/imports").json()["items"]
    assert [(item["id"], item["file_name"], item["status"]) for item in listed] == [
        (posted.json()["id"], "balances.csv", "done")
    ]
    assert (balance(shop, "7001"), balance(shop, "7003")) == (250, 1200)


@pytest.mark.parametrize(
    ("content", "field"),
    [
        (f"{HEADER},tier\n7101,a@example.com,5,A,B,Gold\n".encode(), "tier"),
        (b"customer_id,points\n7101,5\n", "email"),
        (b"", "file"),
        (f"{HEADER}\n".encode(), "file"),
        (f"{HEADER}\n7101,a@example.com,5,A,B\n".encode() + b"7102,b@example.com,5,\xff\xfe,B\n", "file"),
    ],
    ids=["unknown column", "missing column", "empty", "header only", "not utf-8"],
)
def test_a_file_that_cannot_be_an_import_is_refused_with_why_and_keeps_nothing(shop, content, field):
    refused = post_file(shop, content)

    assert refused.status_code == 422, refused.text
    assert field in [detail["field"] for detail in refused.json()["error"]["details"]]
    assert shop.api("GET", "/api/imports").json()["items"] == []
    assert shop.api("GET", "/api/customers/7101").status_code == 404


def test_a_file_over_the_limit_is_refused_whether_its_length_is_told_or_not(shop, monkeypatch):
    import services.gateway.point_imports

    monkeypatch.setattr(services.gateway.point_imports, "MAX_IMPORT_BYTES", 2000)
    rows = "".join(f"{7200 + n},c{n}@example.com,5,A,B\n" for n in range(100))
    content = f"{HEADER}\n{rows}".encode()

    told = post_file(shop, content)
    streamed = post_file(shop, iter([content[:1500], content[1500:]]))  # chunked: no Content-Length

    assert (told.status_code, streamed.status_code) == (413, 413), (told.text, streamed.text)
    assert (
        told.json()["error"]["message"]
        == streamed.json()["error"]["message"]
        == ("an import file may be at most 0 MiB")
    )
    assert shop.api("GET", "/api/imports").json()["items"] == []


def test_a_body_that_ends_before_its_length_was_cut_off_and_keeps_nothing(shop):
    body = f"{HEADER}\n7501,a@example.com,5,A,B\n7502,b@example.com,1".encode()  # ...0 never arrives
    host, port = shop.system.url("").removeprefix("http://").rstrip("/").split(":")
    with socket.create_connection((host, int(port)), timeout=15) as connection:
        connection.sendall(
            b"POST /api/imports/points HTTP/1.1\r\nHost: shop\r\nContent-Type: text/csv\r\n"
            + f"Authorization: Bearer {shop.admin_key}\r\nContent-Length: {len(body) + 1}\r\n\r\n".encode()
            + body
        )
        connection.shutdown(socket.SHUT_WR)  # the sender goes away mid-body
        answer = connection.makefile("rb").read()

    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert b"cut off" in answer
    assert shop.api("GET", "/api/imports").json()["items"] == []
    assert shop.api("GET", "/api/customers/7501").status_code == 404


@pytest.mark.parametrize(
    ("headers", "content", "status", "words"),
    [
        ({"Content-Type": "multipart/form-data; boundary=x"}, b"--x\r\n", 415, "not a form"),
        ({"Content-Type": "text/csv"}, f"{HEADER}\n{'x,' * 40_000}\n".encode(), 422, "longer than"),
    ],
    ids=["a form", "a line too long"],
)
def test_what_is_not_a_balances_file_is_refused_with_why(shop, headers, content, status, words):
    refused = shop.api("POST", "/api/imports/points", data=content, headers=headers)

    assert refused.status_code == status, refused.text
    assert words in refused.json()["error"]["message"]
    assert shop.api("GET", "/api/imports").json()["items"] == []


def test_another_shop_cannot_see_an_import(shop, other_shop):
    posted = post_file(shop, f"{HEADER}\n7301,a@example.com,5,A,B\n".encode())
    assert posted.status_code == 202

    assert other_shop.api("GET", f"/api/imports/{posted.json()['id']}").status_code == 404
    assert other_shop.api("GET", "/api/imports").json()["items"] == []


def test_the_operator_imports_a_file_from_the_command_line(system, shop, tmp_path):
    path = tmp_path / "from-smile.csv"
    path.write_text(f"{HEADER}\n7401,ann@example.com,300,Ann,Lee\n7402,bob@example.com,-5,Bob,Ray\n")

    ran = loyalty_cli(system, "import", "points", str(path), "--shop", shop.domain, "--json")

    assert ran.returncode == 0, ran.stderr
    done = json.loads(ran.stdout)
    assert (done["status"], done["rows_done"], done["rows_failed"], done["file_name"]) == (
        "done",
        1,
        1,
        "from-smile.csv",
    )
    assert done["errors"][0]["row"] == 3
    assert balance(shop, "7401") == 300
    refused = loyalty_cli(system, "import", "points", str(path), "--shop", "no-such-shop.myshopify.com")
    assert refused.returncode == 1
    assert "no shop" in refused.stderr
