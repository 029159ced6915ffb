"""Compression through the real nginx: a client that accepts gzip gets JSON lists and the streamed
CSV exports gzip-compressed, decompressing to exactly the identity body; the (weakened) ETag of a
compressed answer, sent back in If-None-Match as a browser does, still gets 304; a client that
does not ask gets the identity body and the strong ETag."""
import gzip
import unittest

from csv_client import CsvCase, csv_text


class Gzip(CsvCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = [["name", "description", "owner"]] + \
               [[f"project {i}", "words " * 20, "ann"] for i in range(200)]
        r = cls.stack.request("POST", "/api/import/projects", body=csv_text(rows),
                              content_type="text/csv")
        assert r.status == 200, r

    def get(self, path, **headers):
        return self.req("GET", path, headers=headers)

    def check_compressed(self, path, content_type):
        plain = self.get(path)
        self.assertEqual(plain.status, 200)
        self.assertNotIn("content-encoding", plain.headers)
        strong = plain.headers["etag"]
        self.assertFalse(strong.startswith("W/"), strong)

        packed = self.get(path, **{"Accept-Encoding": "gzip"})
        self.assertEqual(packed.status, 200)
        self.assertEqual(packed.headers.get("content-encoding"), "gzip")
        self.assertIn("Accept-Encoding", packed.headers.get("vary", ""))
        self.assertTrue(packed.headers["content-type"].startswith(content_type))
        self.assertEqual(gzip.decompress(packed.body), plain.body)
        self.assertLess(len(packed.body), len(plain.body) / 3)

        # nginx's gzip makes the tag weak; a browser revalidates with what it got.
        tag = packed.headers["etag"]
        self.assertIn(tag, (strong, f"W/{strong}"))
        for inm in (tag, strong):
            r = self.get(path, **{"Accept-Encoding": "gzip", "If-None-Match": inm})
            self.assertEqual(r.status, 304, f"If-None-Match: {inm}")
            self.assertEqual(r.body, b"")

    def test_lists_and_pages_are_compressed_and_revalidate(self):
        self.check_compressed("/api/projects", "application/json")
        self.check_compressed("/api/projects?limit=100&owner=ann", "application/json")
        self.check_compressed("/api/projects?since=0", "application/json")

    def test_streamed_csv_exports_are_compressed_and_revalidate(self):
        self.check_compressed("/api/export/projects.csv", "text/csv")

    def test_small_answers_and_errors_stay_identity(self):
        r = self.get("/api/revisions", **{"Accept-Encoding": "gzip"})
        self.assertNotIn("content-encoding", r.headers)
        r = self.get("/api/projects?limit=0", **{"Accept-Encoding": "gzip"})
        self.assertEqual(r.status, 422)
        self.assertNotIn("content-encoding", r.headers)
        self.assertEqual(r.json()["error"]["details"], {"limit": r.json()["error"]["details"]["limit"]})


if __name__ == "__main__":
    unittest.main()
