"""Run by test_postgres_eventlet: import Krug's real entry point (eventlet patched, psycopg's
wait function set) and run three slow queries in green threads; print their time spans."""
import json
import sys

sys.path.insert(0, sys.argv[1])
import eventlet
from sqlalchemy import text

import app as krug
from facilitation.services import services


def slow_query(spans: list) -> None:
    with krug.app.app_context(), services().db.session() as s:
        # Spans measured by the database: a query the blocked hub has not sent yet cannot start.
        row = s.execute(text("SELECT extract(epoch FROM clock_timestamp()), pg_sleep(0.5), "
                             "extract(epoch FROM clock_timestamp())")).one()
        spans.append((float(row[0]), float(row[2])))


spans: list = []
pool = eventlet.GreenPool()
for _ in range(3):
    pool.spawn(slow_query, spans)
pool.waitall()
print(json.dumps(spans))
