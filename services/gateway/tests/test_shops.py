"""Shops and their credentials, against the real database (no nameko)."""

import base64
import hashlib
import hmac
import json
import stat

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from loyalty.cli import main
from services.gateway import domain
from services.gateway.auth import authenticate_admin, find_shop_by_domain
from services.gateway.domain import normalize_domain
from services.gateway.models import api_keys, metadata, shops
from services.gateway.operations import MIGRATIONS, create_shop, create_shop_cli
from shared.clock import utcnow
from shared.db import UnitOfWork, make_engine
from shared.errors import Conflict, Unauthorized, Unprocessable
from shared.migrations import upgrade_to_head
from shared.secret_box import SecretBox, secret_box
from tests.support import migrate


def authenticate(session, authorization):
    """authenticate_admin for a GET with this Authorization header (None: without one)."""
    headers = {} if authorization is None else {"Authorization": authorization}
    return authenticate_admin(session, Request(EnvironBuilder(headers=headers).get_environ()), utcnow())


@pytest.fixture
def db(gateway_env):
    upgrade_to_head(MIGRATIONS, gateway_env)
    engine = make_engine(gateway_env)
    yield lambda: UnitOfWork(sessionmaker(engine), metadata, "gateway")
    engine.dispose()


def test_create_shop_returns_credentials_once_and_stores_neither_in_plaintext(db):
    with db() as uow:
        created = create_shop(uow.session, "Cool-Shop.MyShopify.com")
        uow.commit()
    assert created["shop"]["domain"] == "cool-shop.myshopify.com"
    assert created["shop"]["id"].startswith("shp_")
    key, secret = created["admin_api_key"], created["webhook_secret"]
    assert key.startswith("lk_")
    assert len(key) >= 3 + 32

    with db() as uow:
        shop = uow.session.execute(select(shops)).mappings().one()
        key_row = uow.session.execute(select(api_keys)).mappings().one()
    stored = json.dumps({**shop, **key_row}, default=str)
    assert key not in stored
    assert key[3:] not in stored
    assert secret not in stored
    assert key_row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key_row["name"] == "admin"
    assert shop["name"] == "cool-shop"
    # Encrypted, not hashed: the gateway can get the secret back to verify HMACs.
    assert secret_box().decrypt(shop["webhook_secret_encrypted"]) == secret


def test_the_same_domain_twice_is_a_conflict(db):
    with db() as uow:
        create_shop(uow.session, "twice.myshopify.com")
        uow.commit()
    with db() as uow, pytest.raises(Conflict):
        create_shop(uow.session, "TWICE.myshopify.com")


@pytest.mark.parametrize(
    "domain",
    [
        "",
        "no spaces.com",
        "https://x.myshopify.com",
        "localhost",
        "-bad.example.com",
        "a" * 64 + ".com",
        "x.myshopify.com/admin",
    ],
)
def test_a_domain_must_be_a_hostname(domain):
    with pytest.raises(Unprocessable) as raised:
        normalize_domain(domain)
    assert raised.value.details[0]["field"] == "domain"


def test_a_shops_currency_is_an_iso_4217_code_usd_unless_given(db):
    with db() as uow:
        euro = create_shop(uow.session, "euro.myshopify.com", currency=" eur ")
        dollar = create_shop(uow.session, "dollar.myshopify.com")
        uow.commit()
    assert (euro["shop"]["currency"], dollar["shop"]["currency"]) == ("EUR", "USD")
    for wrong in ("", "€", "EURO", "E1R"):
        with db() as uow, pytest.raises(Unprocessable) as refused:
            create_shop(uow.session, f"wrong-{len(wrong)}.myshopify.com", currency=wrong)
        assert refused.value.details == [{"field": "currency", "message": "not three letters"}]


def test_the_operator_names_a_shops_currency_on_the_command_line(gateway_env, capsys):
    main(["shops", "create", "euro-cli.myshopify.com", "--currency", "eur", "--json"])
    assert json.loads(capsys.readouterr().out)["currency"] == "EUR"
    with pytest.raises(SystemExit) as refused:
        main(["shops", "create", "pound-cli.myshopify.com", "--currency", "£"])
    assert "currency must be an ISO 4217 code" in str(refused.value)


def test_shops_there_before_currencies_are_in_usd(gateway_env):
    migrate(MIGRATIONS, gateway_env, "0003_refused_webhooks")
    engine = make_engine(gateway_env)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO shops (id, domain, name, webhook_secret_encrypted, created_at) "
                "VALUES ('shp_old', 'old.myshopify.com', 'old', 'x', :t)"
            ),
            {"t": utcnow()},
        )
    migrate(MIGRATIONS, gateway_env, "head")
    with engine.connect() as conn:
        currency = conn.execute(text("SELECT currency FROM shops WHERE id = 'shp_old'")).scalar()
    engine.dispose()
    assert currency == "USD"


def test_any_hostname_is_a_domain():
    assert normalize_domain(" shop.example.co.uk. ") == "shop.example.co.uk"


def test_the_cli_applies_migrations_and_prints_what_the_merchant_needs(gateway_env):
    created = create_shop_cli("cli-shop.myshopify.com")
    assert set(created) == {"shop", "domain", "currency", "admin_api_key", "webhook_secret"}
    assert created["domain"] == "cli-shop.myshopify.com"
    assert created["currency"] == "USD"
    engine = make_engine(gateway_env)
    try:
        with UnitOfWork(sessionmaker(engine), metadata, "gateway") as uow:
            caller = authenticate(uow.session, f"Bearer {created['admin_api_key']}")
            shop = find_shop_by_domain(uow.session, "CLI-shop.myshopify.com")
    finally:
        engine.dispose()
    assert caller.shop_id == created["shop"] == shop.id
    assert shop.webhook_secret == created["webhook_secret"]
    with pytest.raises(Conflict):
        create_shop_cli("cli-shop.myshopify.com")


def test_a_key_authenticates_its_own_shop_only(db):
    with db() as uow:
        first = create_shop(uow.session, "first.myshopify.com")
        second = create_shop(uow.session, "second.myshopify.com")
        uow.commit()
    with db() as uow:
        assert authenticate(uow.session, "Bearer " + first["admin_api_key"]).shop_id == first["shop"]["id"]
        caller = authenticate(uow.session, "bearer  " + second["admin_api_key"])
        assert caller.shop_id == second["shop"]["id"]
        assert caller.actor == f"api_key:admin@{second['shop']['id']}"
        for header in (
            None,
            "",
            "Bearer",
            "Basic " + first["admin_api_key"],
            first["admin_api_key"],
            "Bearer lk_" + "x" * 43,
            "Bearer " + first["admin_api_key"] + "x",
            "Bearer " + hashlib.sha256(first["admin_api_key"].encode()).hexdigest(),
        ):
            with pytest.raises(Unauthorized):
                authenticate(uow.session, header)


def test_the_secret_key_file_is_made_once_private_and_reused(gateway_env, tmp_path, monkeypatch):
    monkeypatch.setenv("LOYALTY_DATA_DIR", str(tmp_path / "fresh"))
    box = secret_box()
    key_file = tmp_path / "fresh" / "secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    token = box.encrypt("s3cret")
    assert secret_box().decrypt(token) == "s3cret"
    assert SecretBox(key_file.read_text()).decrypt(token) == "s3cret"
    assert [p.name for p in key_file.parent.iterdir()] == ["secret.key"]


def test_an_explicit_secret_key_wins_and_a_bad_one_is_refused(monkeypatch):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    monkeypatch.setenv("LOYALTY_SECRET_KEY", key)
    token = secret_box().encrypt("s3cret")
    assert SecretBox(key).decrypt(token) == "s3cret"
    monkeypatch.setenv("LOYALTY_SECRET_KEY", "not-a-key")
    with pytest.raises(RuntimeError, match="LOYALTY_SECRET_KEY"):
        secret_box()


def test_webhook_signature_is_base64_hmac_of_the_raw_body():
    raw = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"sec", raw, hashlib.sha256).digest()).decode()
    assert domain.webhook_signature_matches("sec", raw, expected)
    assert not domain.webhook_signature_matches("sec", raw + b" ", expected)
    assert not domain.webhook_signature_matches("other", raw, expected)
    assert not domain.webhook_signature_matches("sec", raw, None)
    assert not domain.webhook_signature_matches("sec", raw, "ü")


def test_customer_token_is_hex_hmac_of_shop_and_customer():
    token = hmac.new(b"sec", b"a.myshopify.com:42", hashlib.sha256).hexdigest()
    assert domain.customer_token("sec", "a.myshopify.com", "42") == token
    assert domain.customer_token_matches("sec", "a.myshopify.com", "42", token.upper())
    assert not domain.customer_token_matches("sec", "a.myshopify.com", "43", token)
    assert not domain.customer_token_matches("sec", "b.myshopify.com", "42", token)
