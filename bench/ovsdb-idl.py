"""The python-ovs IDL side of bench/ovsdb-cluster.ts (run with the system python3).

  ovsdb-idl.py sync   REMOTES SCHEMA             initial sync of Item; prints {"ms": ..., "rows": ...}
  ovsdb-idl.py update REMOTES SCHEMA NAME TARGET  after sync prints "ready"; then times each idl.run()
                                                  that applied a change until row NAME has n == TARGET;
                                                  prints {"updates": k, "us_per_update": ...}
  ovsdb-idl.py write  REMOTES SCHEMA PREFIX       after sync prints "ready"; then inserts PREFIX<i>
                                                  rows one transaction at a time, printing the epoch ms
                                                  of each commit ("ok <ms>") or failure ("fail <ms>")

REMOTES is comma-separated (the IDL tries them in turn); leader_only=True.
"""
import json
import sys
import time

import ovs.db.idl
import ovs.poller


def make_idl(remotes, schema_file):
    helper = ovs.db.idl.SchemaHelper(location=schema_file)
    helper.register_table("Item")
    return ovs.db.idl.Idl(remotes, helper, leader_only=True)


def wait_synced(idl, timeout_s=120):
    deadline = time.time() + timeout_s
    while idl.change_seqno == 0 or not idl.has_ever_connected():
        idl.run()
        if time.time() > deadline:
            raise SystemExit("no initial sync")
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.timer_wait(100)
        poller.block()


def sync(remotes, schema_file):
    t0 = time.perf_counter()
    idl = make_idl(remotes, schema_file)
    wait_synced(idl)
    ms = (time.perf_counter() - t0) * 1000
    print(json.dumps({"ms": ms, "rows": len(idl.tables["Item"].rows)}), flush=True)


def update(remotes, schema_file, name, target):
    idl = make_idl(remotes, schema_file)
    wait_synced(idl)
    print("ready", flush=True)
    busy = 0.0
    updates = 0
    while True:
        seq = idl.change_seqno
        t0 = time.perf_counter()
        idl.run()
        t1 = time.perf_counter()
        if idl.change_seqno != seq:
            busy += t1 - t0
            updates += 1
            row = next((r for r in idl.tables["Item"].rows.values() if r.name == name), None)
            if row is not None and row.n == target:
                break
        poller = ovs.poller.Poller()
        idl.wait(poller)
        poller.block()
    print(json.dumps({"updates": updates, "us_per_update": busy * 1e6 / max(updates, 1)}), flush=True)


def write(remotes, schema_file, prefix):
    idl = make_idl(remotes, schema_file)
    wait_synced(idl)
    print("ready", flush=True)
    i = 0
    while True:
        txn = ovs.db.idl.Transaction(idl)
        row = txn.insert(idl.tables["Item"])
        row.name = "%s%d" % (prefix, i)
        row.n = i
        status = txn.commit_block()
        now = time.time() * 1000
        if status == ovs.db.idl.Transaction.SUCCESS:
            print("ok %.1f" % now, flush=True)
            i += 1
        else:
            print("fail %.1f %s" % (now, status), flush=True)
            # commit_block returns at once while disconnected: wait for the IDL to reconnect.
            poller = ovs.poller.Poller()
            idl.run()
            idl.wait(poller)
            poller.timer_wait(10)
            poller.block()


def main():
    mode = sys.argv[1]
    if mode == "sync":
        sync(sys.argv[2], sys.argv[3])
    elif mode == "update":
        update(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    elif mode == "write":
        write(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
