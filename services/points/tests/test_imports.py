"""Importing balances (SPEC §7) through the operations, on the real
database: each valid row credits once as "Imported balance", bad rows are
reported by line while good ones apply, members are made or filled in, a
row's tier is set by hand, the same file again is the same import, and an
import interrupted between batches resumes without applying a row twice."""

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.points import repository
from services.points.models import point_activities, point_import_rows, point_imports
from services.points.operations import imports, ledger, views
from services.points.schemas import AuditQuery, CsvRow, ImportRef, ImportStart, StagedRows, UploadFinished
from services.points.tests.test_ledger import ADMIN, T0

IMPORTED = "Adjusted by admin: Imported balance"


def upload(points, lines, header="customer_id,email,points", batch=100):
    """Stage a file's data rows (line 2 on) as the gateway does; the import's id."""
    content = "\n".join([header, *lines]).encode()
    import_id = points(
        imports.begin_import, ImportStart(shop_id=points.shop_id, actor=ADMIN, file_name="b.csv")
    ).id
    rows = [CsvRow(line=number, values=line.split(",")) for number, line in enumerate(lines, start=2)]
    for start in range(0, len(rows), batch):
        points(
            imports.stage_rows,
            StagedRows(
                shop_id=points.shop_id,
                import_id=import_id,
                header=header.split(","),
                rows=rows[start : start + batch],
            ),
        )
    finished = UploadFinished(
        shop_id=points.shop_id, import_id=import_id, file_sha256=hashlib.sha256(content).hexdigest()
    )
    return points(imports.finish_upload, finished).id


def report(points, import_id):
    return points(imports.get_import, ImportRef(shop_id=points.shop_id, import_id=import_id))


def balance(points, customer_id):
    return points(views.get_customer, points.shop_id, customer_id).balance


def imported_entries(points):
    with points.unit_of_work() as uow:
        return uow.session.execute(
            select(point_activities.c.customer_id, point_activities.c.points)
            .where(point_activities.c.shop_id == points.shop_id, point_activities.c.action == IMPORTED)
            .order_by(point_activities.c.id)
        ).all()


def test_valid_rows_apply_once_and_bad_rows_are_reported_by_line_while_the_rest_apply(points):
    points.program(vip_tiers=[{"name": "Gold", "threshold": 1000}])
    import_id = upload(
        points,
        [
            "c1,ann@example.com,250",
            "c2,bob@example.com,12.5",
            "c3,not-an-email,10",
            "c4,dan@example.com,40,extra",
            "c5,eve@example.com,-10",
            "c6,fay@example.com,0",
        ],
    )
    assert report(points, import_id).status == "running"
    imports.apply_imports(points.unit_of_work)

    done = report(points, import_id)
    assert (done.status, done.rows_total, done.rows_done, done.rows_failed) == ("done", 6, 2, 4)
    assert [(error.row, error.message.split(":")[0]) for error in done.errors] == [
        (3, "points"),
        (4, "email"),
        (5, "has 4 values where the header names 3 columns"),
        (6, "points"),
    ]
    assert "whole number" in done.errors[0].message
    assert balance(points, "c1") == 250
    assert points(views.get_customer, points.shop_id, "c6").email == "fay@example.com"  # a member, no points
    assert imported_entries(points) == [("c1", 250)]
    with pytest.raises(Exception, match="not a member"):
        points(views.get_customer, points.shop_id, "c5")  # a refused row makes no member


def test_the_same_file_posted_again_is_the_same_import_and_applies_nothing_twice(points):
    lines = [f"c{n},c{n}@example.com,{n * 10}" for n in range(1, 6)]
    first = upload(points, lines)
    imports.apply_imports(points.unit_of_work)

    again = upload(points, lines)
    imports.apply_imports(points.unit_of_work)

    assert again == first
    assert [balance(points, f"c{n}") for n in range(1, 6)] == [10, 20, 30, 40, 50]
    assert len(imported_entries(points)) == 5
    with points.unit_of_work() as uow:
        assert (
            uow.session.execute(
                select(func.count())
                .select_from(point_imports)
                .where(point_imports.c.shop_id == points.shop_id)
            ).scalar_one()
            == 1
        )


def test_an_import_interrupted_between_batches_resumes_and_applies_every_row_once(points, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 10)
    import_id = upload(points, [f"c{n},c{n}@example.com,{n}" for n in range(1, 36)])
    real_credit_many = ledger.credit_many
    calls = []

    def crash_on_the_second_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the points service was killed")
        return real_credit_many(*args, **kwargs)

    monkeypatch.setattr(ledger, "credit_many", crash_on_the_second_batch)
    imports.apply_imports(points.unit_of_work)
    assert (report(points, import_id).status, report(points, import_id).rows_done) == ("running", 10)

    monkeypatch.setattr(ledger, "credit_many", real_credit_many)
    imports.apply_imports(points.unit_of_work)
    imports.apply_imports(points.unit_of_work)  # a second run finds nothing to do

    done = report(points, import_id)
    assert (done.status, done.rows_done, done.rows_failed) == ("done", 35, 0)
    assert sorted(imported_entries(points)) == sorted((f"c{n}", n) for n in range(1, 36))


def test_rows_of_one_customer_apply_in_file_order_and_may_not_take_more_than_there_is(points):
    import_id = upload(
        points,
        [
            "c1,ann@example.com,100",
            "c1,ann@example.com,-30",
            "c1,ann@example.com,-500",
            "c1,ann@example.com,5",
        ],
    )
    imports.apply_imports(points.unit_of_work)

    done = report(points, import_id)
    assert (done.rows_done, done.rows_failed) == (3, 1)
    assert done.errors[0].row == 4
    assert "not enough points" in done.errors[0].message
    assert balance(points, "c1") == 75
    assert imported_entries(points) == [("c1", 100), ("c1", -30), ("c1", 5)]


def test_a_known_member_keeps_their_profile_gets_what_it_lacked_and_the_rows_tier(points):
    points.program(vip_tiers=[{"name": "Silver", "threshold": 100}, {"name": "Gold", "threshold": 500}])
    points.join("c1", email="ann@shop.example")
    import_id = upload(
        points,
        ["c1,other@example.com,300,Ann,Lee,1990-04-02,Gold", "c2,bo@example.com,20,Bo,,,Platinum"],
        header="customer_id,email,points,first_name,last_name,birthday,vip_tier",
    )
    imports.apply_imports(points.unit_of_work)

    member = points(views.get_customer, points.shop_id, "c1")
    assert (member.email, member.name, str(member.birthday), member.vip_tier) == (
        "ann@shop.example",
        "Ann Lee",
        "1990-04-02",
        "Gold",
    )
    assert member.balance == 300
    failed = report(points, import_id).errors
    assert [(error.row, error.message) for error in failed] == [
        (3, "vip_tier: is not one of the program's tiers (Gold, Silver)")
    ]


def test_an_upload_refused_or_abandoned_leaves_nothing(points, clock):
    started = points(imports.begin_import, ImportStart(shop_id=points.shop_id, actor=ADMIN))
    ref = ImportRef(shop_id=points.shop_id, import_id=started.id)
    row = CsvRow(line=2, values=["c1", "ann@example.com", "5"])
    points(
        imports.stage_rows,
        StagedRows(**ref.model_dump(), header=["customer_id", "email", "points"], rows=[row]),
    )
    points(imports.discard_upload, ref)
    abandoned = points(imports.begin_import, ImportStart(shop_id=points.shop_id, actor=ADMIN))

    clock.advance(hours=2)
    imports.apply_imports(points.unit_of_work)

    with points.unit_of_work() as uow:
        left = uow.session.execute(
            select(point_imports.c.id).where(point_imports.c.id.in_([started.id, abandoned.id]))
        ).all()
        staged = uow.session.execute(
            select(func.count()).where(point_import_rows.c.import_id.in_([started.id, abandoned.id]))
        ).scalar_one()
    assert (left, staged) == ([], 0)


def test_an_import_whose_batches_keep_failing_is_given_up_as_failed_and_others_still_apply(
    points, monkeypatch
):
    stuck = upload(points, ["c1,ann@example.com,10"])
    monkeypatch.setattr(imports, "_apply_batch", lambda uow, shop_id, import_id: 1 / 0)
    for _ in range(imports.MAX_FAILURES - 1):
        imports.apply_imports(points.unit_of_work)
    assert report(points, stuck).status == "running"

    imports.apply_imports(points.unit_of_work)

    assert (report(points, stuck).status, report(points, stuck).rows_done) == ("failed", 0)


def test_a_customer_named_on_many_lines_does_not_cut_batches_short(points, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_ROWS", 10)
    lines = [f"c{n // 2},c{n // 2}@example.com,{n}" for n in range(20)]  # each customer on two lines
    import_id = upload(points, lines)
    batches = []
    real_apply_batch = imports._apply_batch
    monkeypatch.setattr(
        imports, "_apply_batch", lambda *args: batches.append(real_apply_batch(*args)) or batches[-1]
    )

    imports.apply_imports(points.unit_of_work)

    assert report(points, import_id).rows_done == 20
    assert batches == [5, 8, 5, 2, 0]  # a customer's second line waits a batch; the rest go on
    assert [balance(points, f"c{n}") for n in range(10)] == [4 * n + 1 for n in range(10)]


def test_columns_without_a_name_are_left_out(points):
    import_id = upload(points, ["c1,ann@example.com,10,"], header="customer_id,email,points,")
    imports.apply_imports(points.unit_of_work)

    assert (report(points, import_id).rows_done, balance(points, "c1")) == (1, 10)


def test_points_past_their_expiry_expire_before_the_imported_balance(points, clock):
    points.program(expiry_days=30)
    points.join("c1")
    points.adjust(40)
    clock.advance(days=31)
    upload(points, ["c1,c1@example.com,100"])
    imports.apply_imports(points.unit_of_work)

    assert [(kind, change, after) for kind, _, change, after in points.history("c1")] == [
        ("adjusted", 40, 40),
        ("expired", -40, 0),
        ("adjusted", 100, 100),
    ]
    points.assert_ledger_holds("c1")


def test_a_finished_import_is_in_the_audit_log_with_who_and_how_many(points):
    import_id = upload(points, ["c1,ann@example.com,10", "c2,bob@example.com,x"])
    imports.apply_imports(points.unit_of_work)

    entry = points(
        views.list_audit_log, AuditQuery(shop_id=points.shop_id, from_=T0, to=T0 + timedelta(days=1))
    )["items"][0]
    assert (entry.action, entry.actor, entry.customer_id) == ("points_imported", ADMIN, None)
    assert entry.after == {"import_id": import_id, "file_name": "b.csv", "rows_done": 1, "rows_failed": 1}


def test_the_same_file_finished_twice_at_once_is_one_import(points):
    content_sha = "b" * 64
    first = points(imports.begin_import, ImportStart(shop_id=points.shop_id, actor=ADMIN)).id
    second = points(imports.begin_import, ImportStart(shop_id=points.shop_id, actor=ADMIN)).id
    points(
        imports.finish_upload,
        UploadFinished(shop_id=points.shop_id, import_id=first, file_sha256=content_sha),
    )

    with points.unit_of_work() as uow:  # the second, as it runs while the first commits
        assert not repository.imports.start_import(
            uow.session, second, content_sha, rows_total=0, rows_failed=0
        )
        assert repository.imports.import_of(uow.session, points.shop_id, second).status == "uploading"
