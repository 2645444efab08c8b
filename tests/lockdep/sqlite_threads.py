# SPDX-License-Identifier: MIT
"""A multi-threaded SQLite workload, run by Debian's python3 and libsqlite3
(neither written here) under ksync-lockdep: several threads, each with its
own connection to one database file, insert rows and read them back in
transactions; SQLite's mutexes, Python's GIL (a mutex and a condition
variable) and the thread machinery are all pthread locks.

    python3 sqlite_threads.py DBFILE [THREADS] [ROWS]

Prints "sqlite ok <rows>" when every row written is read back.
"""
import os
import sqlite3
import sys
import threading

path = sys.argv[1]
nthreads = int(sys.argv[2]) if len(sys.argv) > 2 else 4
rows = int(sys.argv[3]) if len(sys.argv) > 3 else 2000

if os.path.exists(path):
    os.remove(path)
setup = sqlite3.connect(path)
setup.execute("PRAGMA journal_mode=WAL")
# No fsync per commit: the run measures locking and work, not the disk.
setup.execute("PRAGMA synchronous=OFF")
setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, owner INTEGER, v TEXT)")
setup.commit()
setup.close()

errors = []


def work(owner):
    try:
        db = sqlite3.connect(path, timeout=60)
        db.execute("PRAGMA synchronous=OFF")
        for base in range(0, rows, 50):
            with db:
                db.executemany("INSERT INTO t (owner, v) VALUES (?, ?)",
                               [(owner, "row %d" % i) for i in range(base, base + 50)])
            n = db.execute("SELECT COUNT(*) FROM t WHERE owner = ?", (owner,)).fetchone()[0]
            if n != base + 50:
                errors.append("thread %d sees %d rows, wrote %d" % (owner, n, base + 50))
        db.close()
    except Exception as e:  # reported below, as a failure
        errors.append("thread %d: %r" % (owner, e))


threads = [threading.Thread(target=work, args=(i,)) for i in range(nthreads)]
for t in threads:
    t.start()
for t in threads:
    t.join()
total = sqlite3.connect(path).execute("SELECT COUNT(*) FROM t").fetchone()[0]
if errors or total != nthreads * rows:
    print("sqlite FAILED:", errors[:3], total)
    sys.exit(1)
print("sqlite ok", total)
