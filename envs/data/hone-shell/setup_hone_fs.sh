#!/bin/bash
# hone's own shell file system (file system 5): a small project tree under /project for the
# bundled shell tasks (tasks.json). Written for hone; deterministic (no dates, no randomness),
# so every build of the image is the same.
set -e
export file_system_version=hone-1
mkdir -p /project/app/src/api /project/app/tests /project/config /project/logs/old \
  /project/data /project/notes /project/scripts /project/tmp/cache /project/backup
cd /project

cat > README.md <<'TXT'
# inventory-service

A small service that tracks stock and orders.

Run scripts/build.sh to build, scripts/deploy.sh to deploy.
Configuration lives in config/, logs in logs/.
TXT

cat > .env <<'TXT'
APP_ENV=staging
SECRET_KEY=not-a-real-secret
TXT

cat > app/src/main.py <<'TXT'
from util import slugify
from db import connect

# TODO: read the port from config/app.conf
PORT = 8080


def main():
    conn = connect("localhost")
    print("serving on", PORT, slugify("Inventory Service"))
    return conn


if __name__ == "__main__":
    main()
TXT

cat > app/src/util.py <<'TXT'
def slugify(text):
    return "-".join(text.lower().split())


def chunks(items, size):
    for i in range(0, len(items), size):
        yield items[i:i + size]
TXT

cat > app/src/db.py <<'TXT'
import sqlite3


def connect(host):
    # TODO: use host once the service moves to a real database
    return sqlite3.connect(":memory:")


def migrate(conn):
    conn.execute("create table items (sku text, qty integer)")
TXT

: > app/src/api/__init__.py

cat > app/src/api/handlers.py <<'TXT'
from db import connect


def list_items(request):
    conn = connect("localhost")
    return conn.execute("select sku, qty from items").fetchall()


def health(request):
    return "ok"
TXT

cat > app/src/api/routes.py <<'TXT'
from api.handlers import health, list_items

ROUTES = {
    "/health": health,
    "/api/items": list_items,
}
TXT

cat > app/tests/test_util.py <<'TXT'
from util import slugify, chunks


def test_slugify():
    assert slugify("A B") == "a-b"


def test_chunks():
    assert list(chunks([1, 2, 3], 2)) == [[1, 2], [3]]
TXT

cat > app/tests/test_db.py <<'TXT'
from db import connect, migrate


def test_migrate():
    conn = connect("localhost")
    migrate(conn)
TXT

cat > config/app.conf <<'TXT'
name=inventory-service
port=8080
workers=4
log_level=info
TXT

cat > config/db.conf <<'TXT'
host=localhost
port=5432
replica=localhost:5433
user=inventory
TXT

cat > config/logging.ini <<'TXT'
[logger]
level=INFO
handlers=file

[handler_file]
path=/project/logs/app.log
TXT

cat > logs/access.log <<'TXT'
10.0.0.7 - - [02/Nov/2026:08:00:00 +0000] "GET /api/items HTTP/1.1" 500 37
172.16.4.2 - - [02/Nov/2026:08:07:13 +0000] "GET /login HTTP/1.1" 404 259
10.0.0.7 - - [02/Nov/2026:08:14:26 +0000] "POST / HTTP/1.1" 200 6971
10.0.0.5 - - [02/Nov/2026:08:21:39 +0000] "POST /api/items/42 HTTP/1.1" 200 1088
172.16.4.2 - - [02/Nov/2026:08:28:52 +0000] "GET /login HTTP/1.1" 200 6619
10.0.0.5 - - [02/Nov/2026:08:35:05 +0000] "GET /api/items/42 HTTP/1.1" 200 4864
192.168.1.33 - - [02/Nov/2026:09:42:18 +0000] "GET /api/items HTTP/1.1" 404 292
192.168.1.20 - - [02/Nov/2026:09:49:31 +0000] "GET /api/items HTTP/1.1" 200 6221
10.0.0.5 - - [02/Nov/2026:09:56:44 +0000] "GET /login HTTP/1.1" 200 3494
192.168.1.33 - - [02/Nov/2026:09:03:57 +0000] "POST /health HTTP/1.1" 404 299
10.0.0.7 - - [02/Nov/2026:09:10:10 +0000] "GET /api/orders HTTP/1.1" 301 92
10.0.0.9 - - [02/Nov/2026:09:17:23 +0000] "GET /api/items/42 HTTP/1.1" 200 8724
192.168.1.33 - - [02/Nov/2026:10:24:36 +0000] "GET /api/orders HTTP/1.1" 200 1319
10.0.0.5 - - [02/Nov/2026:10:31:49 +0000] "GET /health HTTP/1.1" 200 2610
192.168.1.33 - - [02/Nov/2026:10:38:02 +0000] "GET /health HTTP/1.1" 200 5260
10.0.0.7 - - [02/Nov/2026:10:45:15 +0000] "POST /api/orders HTTP/1.1" 200 7594
10.0.0.5 - - [02/Nov/2026:10:52:28 +0000] "POST /login HTTP/1.1" 301 33
10.0.0.5 - - [02/Nov/2026:10:59:41 +0000] "POST /static/app.js HTTP/1.1" 200 4782
10.0.0.9 - - [02/Nov/2026:11:06:54 +0000] "GET /health HTTP/1.1" 404 236
192.168.1.20 - - [02/Nov/2026:11:13:07 +0000] "GET /api/items HTTP/1.1" 200 8208
10.0.0.5 - - [02/Nov/2026:11:20:20 +0000] "GET /api/items/42 HTTP/1.1" 301 126
192.168.1.33 - - [02/Nov/2026:11:27:33 +0000] "GET /health HTTP/1.1" 200 2845
192.168.1.33 - - [02/Nov/2026:11:34:46 +0000] "GET /health HTTP/1.1" 404 70
192.168.1.33 - - [02/Nov/2026:11:41:59 +0000] "GET /static/app.js HTTP/1.1" 500 194
10.0.0.7 - - [02/Nov/2026:12:48:12 +0000] "GET /api/items HTTP/1.1" 200 2598
10.0.0.5 - - [02/Nov/2026:12:55:25 +0000] "POST /api/items/42 HTTP/1.1" 200 3107
192.168.1.20 - - [02/Nov/2026:12:02:38 +0000] "GET /static/app.js HTTP/1.1" 200 6984
172.16.4.2 - - [02/Nov/2026:12:09:51 +0000] "GET /api/orders HTTP/1.1" 200 2176
10.0.0.9 - - [02/Nov/2026:12:16:04 +0000] "POST / HTTP/1.1" 200 6641
192.168.1.33 - - [02/Nov/2026:12:23:17 +0000] "POST /health HTTP/1.1" 200 6680
10.0.0.5 - - [02/Nov/2026:13:30:30 +0000] "GET /api/items/42 HTTP/1.1" 200 7339
10.0.0.7 - - [02/Nov/2026:13:37:43 +0000] "GET /login HTTP/1.1" 404 52
10.0.0.5 - - [02/Nov/2026:13:44:56 +0000] "GET /api/items HTTP/1.1" 404 186
172.16.4.2 - - [02/Nov/2026:13:51:09 +0000] "GET / HTTP/1.1" 200 6284
10.0.0.7 - - [02/Nov/2026:13:58:22 +0000] "GET /static/app.js HTTP/1.1" 404 242
10.0.0.5 - - [02/Nov/2026:13:05:35 +0000] "POST /login HTTP/1.1" 200 7990
192.168.1.33 - - [02/Nov/2026:14:12:48 +0000] "GET /static/app.js HTTP/1.1" 200 1794
10.0.0.9 - - [02/Nov/2026:14:19:01 +0000] "POST /api/orders HTTP/1.1" 301 82
172.16.4.2 - - [02/Nov/2026:14:26:14 +0000] "GET / HTTP/1.1" 200 2521
10.0.0.9 - - [02/Nov/2026:14:33:27 +0000] "GET / HTTP/1.1" 404 46
10.0.0.7 - - [02/Nov/2026:14:40:40 +0000] "GET /api/orders HTTP/1.1" 200 3770
172.16.4.2 - - [02/Nov/2026:14:47:53 +0000] "GET /api/orders HTTP/1.1" 200 4042
192.168.1.33 - - [02/Nov/2026:15:54:06 +0000] "POST /api/items/42 HTTP/1.1" 200 5945
10.0.0.9 - - [02/Nov/2026:15:01:19 +0000] "GET / HTTP/1.1" 200 7857
192.168.1.20 - - [02/Nov/2026:15:08:32 +0000] "GET /api/items/42 HTTP/1.1" 200 7447
10.0.0.7 - - [02/Nov/2026:15:15:45 +0000] "GET /api/orders HTTP/1.1" 200 1793
10.0.0.7 - - [02/Nov/2026:15:22:58 +0000] "GET /admin HTTP/1.1" 403 104
192.168.1.33 - - [02/Nov/2026:15:29:11 +0000] "GET / HTTP/1.1" 200 1509
10.0.0.5 - - [02/Nov/2026:16:10:20 +0000] "GET /health HTTP/1.1" 200 512
TXT

cat > logs/error.log <<'TXT'
2026-11-02 08:03:11 ERROR db: connection refused (host=localhost)
2026-11-02 08:05:42 WARN api: slow request /api/orders took 2.4s
2026-11-02 09:12:09 ERROR api: timeout talking to payments
2026-11-02 10:44:30 INFO worker: restarted
2026-11-02 11:01:57 ERROR db: connection refused (host=localhost)
2026-11-02 12:20:16 WARN api: slow request /api/items took 1.9s
2026-11-02 13:37:48 ERROR api: timeout talking to payments
2026-11-02 15:02:05 INFO worker: restarted
TXT

cat > logs/app.log <<'TXT'
2026-11-02 08:00:00 INFO starting inventory-service
2026-11-02 08:00:01 INFO listening on port 8080
2026-11-02 08:03:11 ERROR could not reach the database
2026-11-02 09:00:00 INFO 120 requests served
2026-11-02 10:00:00 INFO 95 requests served
2026-11-02 11:01:57 ERROR could not reach the database
2026-11-02 12:00:00 INFO 143 requests served
TXT

printf '%s\n' \
  "2026-10-30 08:00:00 INFO starting inventory-service" \
  "2026-10-30 08:10:00 ERROR disk almost full" \
  "2026-10-30 09:00:00 INFO 80 requests served" \
  "2026-10-31 08:00:00 ERROR disk almost full" \
  "2026-10-31 08:30:00 ERROR could not rotate logs" \
  "2026-10-31 09:00:00 INFO 77 requests served" | gzip -n > logs/old/app-2026-10.log.gz

cat > data/sales.csv <<'TXT'
date,region,product,units,price
2026-10-01,north,doohickey,13,30
2026-10-02,west,gadget,28,12
2026-10-03,east,widget,26,2.5
2026-10-04,west,doohickey,6,30
2026-10-05,south,gadget,9,12
2026-10-06,north,gadget,38,12
2026-10-07,west,gadget,40,12
2026-10-08,west,gizmo,10,7.25
2026-10-09,south,widget,1,2.5
2026-10-10,north,gadget,28,12
2026-10-11,south,gadget,2,12
2026-10-12,east,gadget,19,12
2026-10-13,south,gizmo,17,7.25
2026-10-14,west,gadget,4,12
2026-10-15,east,doohickey,38,30
2026-10-16,west,gadget,35,12
2026-10-17,south,widget,29,2.5
2026-10-18,south,widget,10,2.5
2026-10-19,south,gadget,31,12
2026-10-20,north,widget,21,2.5
TXT

cat > data/users.csv <<'TXT'
id,name,role,last_login
1,alice,admin,2026-11-01
2,bob,viewer,2026-10-28
3,carol,editor,
4,dave,admin,2026-11-02
5,erin,viewer,
6,frank,editor,2026-10-15
7,grace,admin,
TXT

cat > data/inventory.json <<'TXT'
{
  "warehouse": "north-1",
  "items": [
    {"sku": "W-100", "name": "widget", "qty": 120},
    {"sku": "G-200", "name": "gadget", "qty": 0},
    {"sku": "Z-300", "name": "gizmo", "qty": 14},
    {"sku": "D-400", "name": "doohickey", "qty": 0},
    {"sku": "S-500", "name": "sprocket", "qty": 3}
  ]
}
TXT

cat > notes/todo.txt <<'TXT'
- rotate the access logs weekly
- move secrets out of .env
- add a test for routes.py
TXT

cat > "notes/weekly report.txt" <<'TXT'
Week 44: orders up, two outages caused by the database host.
TXT

cat > notes/ideas.txt <<'TXT'
cache the item list
TXT

cat > notes/meeting.md <<'TXT'
# Planning meeting

The team agreed that the database is the main risk. The database host refused
connections twice this week, and the payments service timed out twice. The team
will move the database to a managed host, add a health check for the database,
and page the team when the payments service times out. The team will review the
plan next week.
TXT

cat > scripts/build.sh <<'TXT'
#!/bin/bash
set -e
python3 -m compileall -q app/src
echo build ok
TXT
chmod 755 scripts/build.sh

cat > scripts/deploy.sh <<'TXT'
#!/bin/bash
echo "deploying to $APP_ENV"
TXT
chmod 644 scripts/deploy.sh

echo "scratch" > tmp/a.tmp
: > tmp/b.tmp
: > tmp/cache/c.tmp
echo "cached" > tmp/cache/keep.dat
