"""The post-condition every fault and race test of issue #19 ends with (docs/reliability.md): the
SQLite file is sound (`PRAGMA integrity_check`, `foreign_key_check`, read directly and read-only),
and neither the pool nor the daemon wrote a sanitizer report (the stack runs the ASan/UBSan build).
What was acknowledged and what must not exist are each test's own checks."""
from api_client import sanitizer_reports, sqlite_rows


def assert_sound(case, stack):
    """Fails `case` unless the database passes both checks and no component's log holds a
    sanitizer report."""
    case.assertEqual(sqlite_rows(stack.db_path, "PRAGMA integrity_check"), [("ok",)],
                     "integrity_check")
    case.assertEqual(sqlite_rows(stack.db_path, "PRAGMA foreign_key_check"), [],
                     "foreign_key_check")
    for name in ("fcgi", "wsd"):
        case.assertEqual(sanitizer_reports(stack, name), [], f"sanitizer report in {name}.log")
