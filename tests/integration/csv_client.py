"""Helpers for the CSV integration tests (test_csv_*.py): requests for import and export, a CSV
writer for test files, a content dump of the database, and a receiver bound at the stack's
signal socket that counts change datagrams."""
import csv
import io
import json
import os
import socket
import sqlite3
import subprocess
import time

from api_client import ApiCase


def csv_text(rows, line_end="\r\n"):
    """RFC 4180 text of `rows` (lists of cells; the first is the header)."""
    out = io.StringIO()
    csv.writer(out, lineterminator=line_end).writerows(rows)
    return out.getvalue()


# An export's checklist cell may be about 3 MB (docs/csv.md, limits); the csv module's default
# field limit is 128 KiB.
csv.field_size_limit(16 * 1024 * 1024)


def parse_csv(body):
    """The records of an export body (bytes), as lists of strings."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def dump(db_path):
    """Every row of every table (the schema and data, not the page layout): two dumps are equal
    exactly when the database content is. On PostgreSQL, the data of pg_dump less the identity
    sequences' positions (a rolled-back insert uses up ids there; SQLite gives them back)."""
    if db_path.startswith("postgres"):
        out = subprocess.run(["pg_dump", "--data-only", "-d", db_path], check=True,
                             capture_output=True, text=True).stdout
        # \restrict lines carry a random key per run.
        return [line for line in out.splitlines()
                if "pg_catalog.setval" not in line and not line.startswith(("\\restrict",
                                                                            "\\unrestrict"))]
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


class SignalReceiver:
    """A datagram socket bound at the stack's signal_socket path (the pool sends there)."""

    def __init__(self, path):
        self.path = path
        if os.path.exists(path):
            os.unlink(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)

    def close(self):
        self.sock.close()
        if os.path.exists(self.path):
            os.unlink(self.path)

    def drain(self, quiet=0.3):
        """Every datagram that arrives until none has for `quiet` seconds."""
        got = []
        while True:
            self.sock.settimeout(quiet)
            try:
                got.append(json.loads(self.sock.recv(4096)))
            except socket.timeout:
                return got


class CsvCase(ApiCase):
    def import_csv(self, entity, text, content_type="text/csv", headers=None):
        body = text.encode() if isinstance(text, str) else text
        return self.req("POST", f"/api/import/{entity}", body=body, content_type=content_type,
                        headers=headers)

    def import_ok(self, entity, text, **kw):
        r = self.import_csv(entity, text, **kw)
        self.assertEqual(r.status, 200, repr(r))
        return r.json()

    def import_errors(self, entity, text):
        """Imports a file that must be refused; returns details.errors after checking the shape."""
        r = self.import_csv(entity, text)
        err = self.assertError(r, 422, "validation_failed")
        details = err["details"]
        self.assertIsInstance(details["errors"], list)
        self.assertIsInstance(details["omitted"], int)
        for e in details["errors"]:
            self.assertEqual(set(e), {"line", "column", "message"}, e)
            self.assertIsInstance(e["line"], int)
            self.assertTrue(e["message"])
        return details["errors"]

    def export(self, entity, **kw):
        return self.req("GET", f"/api/export/{entity}.csv", **kw)

    def export_body(self, entity):
        r = self.export(entity)
        self.assertEqual(r.status, 200, repr(r))
        return r.body

    def export_rows(self, entity):
        return parse_csv(self.export_body(entity))

    def wait_for(self, condition, timeout=5):
        deadline = time.monotonic() + timeout
        while not condition():
            self.assertLess(time.monotonic(), deadline, "timed out")
            time.sleep(0.05)
