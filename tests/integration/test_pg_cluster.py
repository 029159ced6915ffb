"""The throwaway PostgreSQL cluster the tests run against (pg_cluster.py, scripts/pg-cluster)."""
import os
import socket
import subprocess
import unittest
from urllib.parse import urlsplit

from pg_cluster import PgCluster


def accepts(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class PgClusterTest(unittest.TestCase):
    def test_fast_private_cluster_that_survives_a_restart_and_leaves_nothing(self):
        with PgCluster() as pg:
            uri = urlsplit(pg.uri)
            self.assertEqual((uri.scheme, uri.hostname, uri.path), ("postgresql", "127.0.0.1",
                                                                    "/livesync"))
            # Tests only: durability traded for speed.
            self.assertEqual(pg.psql("SHOW fsync; SHOW synchronous_commit"), "off\noff\n")
            self.assertEqual(pg.psql("SHOW server_encoding; SHOW lc_collate"), "UTF8\nC\n")
            # A password is needed, even on loopback.
            wrong = pg.uri.replace(f":{uri.password}@", ":wrong@")
            with self.assertRaises(subprocess.CalledProcessError) as refused:
                pg.psql("SELECT 1", uri=wrong)
            self.assertIn("password authentication failed", refused.exception.stderr)

            pg.psql("CREATE TABLE kept (x int); INSERT INTO kept VALUES (7)")
            pg.stop_server()
            self.assertFalse(accepts(uri.port))
            self.assertEqual(urlsplit(pg.start_server()).port, uri.port)
            self.assertEqual(pg.psql("SELECT x FROM kept"), "7\n")
            folder = pg.dir
        self.assertFalse(os.path.exists(folder))
        self.assertFalse(accepts(uri.port))

    def test_two_clusters_at_once_get_their_own_ports(self):
        with PgCluster() as a, PgCluster() as b:
            self.assertNotEqual(urlsplit(a.uri).port, urlsplit(b.uri).port)
            a.psql("CREATE TABLE only_in_a (x int)")
            self.assertEqual(b.psql("SELECT to_regclass('only_in_a') IS NULL"), "t\n")


if __name__ == "__main__":
    unittest.main()
