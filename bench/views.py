"""The reference for the charging API (item 2.4): the least a Django view can do for one
money movement, pgbench's five TPC-B statements by hand in one transaction, on the tables
`pgbench -i` made in the scratch database. Same gunicorn, same middleware as the API."""

from __future__ import annotations

import json
import random

from django.conf import settings
from django.db import connections, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

_SQL = (
    "UPDATE pgbench_accounts SET abalance = abalance + %(delta)s WHERE aid = %(aid)s",
    "SELECT abalance FROM pgbench_accounts WHERE aid = %(aid)s",
    "UPDATE pgbench_tellers SET tbalance = tbalance + %(delta)s WHERE tid = %(tid)s",
    "UPDATE pgbench_branches SET bbalance = bbalance + %(delta)s WHERE bid = %(bid)s",
    "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) "
    "VALUES (%(tid)s, %(bid)s, %(aid)s, %(delta)s, CURRENT_TIMESTAMP)",
)


@csrf_exempt
@require_POST
def tpcb(request: HttpRequest) -> HttpResponse:
    scale = int(getattr(settings, "BENCH_PGBENCH_SCALE", 0) or request.GET.get("scale", "1"))
    values = {
        "aid": random.randint(1, 100_000 * scale),  # noqa: S311 - load, not secrets
        "bid": random.randint(1, scale),  # noqa: S311
        "tid": random.randint(1, 10 * scale),  # noqa: S311
        "delta": random.randint(-5000, 5000),  # noqa: S311
    }
    with transaction.atomic(using="pgbench"), connections["pgbench"].cursor() as cursor:
        balance = None
        for sql in _SQL:
            cursor.execute(sql, values)
            if sql.startswith("SELECT"):
                row = cursor.fetchone()
                balance = row[0] if row else None
    return HttpResponse(json.dumps({"balance": balance}), content_type="application/json")
