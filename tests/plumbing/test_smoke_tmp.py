import time, uuid
from nameko.standalone.rpc import ServiceRpcProxy
from tests.plumbing.sample.services import Consumer, Producer, FAULTS
from shared.topology import declare_all


def wait_for(fn, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    return fn()


def test_smoke(amqp_uri, database_url_factory, runner_factory):
    declare_all(amqp_uri, [Consumer])
    runner = runner_factory({"AMQP_URI": amqp_uri, "DATABASE_URL": database_url_factory("g")}, Producer)
    runner.start()
    crunner = runner_factory({"AMQP_URI": amqp_uri, "DATABASE_URL": database_url_factory("c")}, Consumer)
    crunner.start()
    with ServiceRpcProxy("gateway", {"AMQP_URI": amqp_uri}) as gw, ServiceRpcProxy("sample_consumer", {"AMQP_URI": amqp_uri}) as c:
        oid = uuid.uuid4().hex
        gw.place("s1", oid)
        assert wait_for(lambda: c.seen("s1", oid)) == 1
        FAULTS["remaining"] = 2
        oid2 = uuid.uuid4().hex
        gw.place("s1", oid2)
        assert wait_for(lambda: c.seen("s1", oid2)) == 1
