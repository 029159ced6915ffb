#!/usr/bin/env python3
"""The large-list benchmarks' projects as CSV for the import, the same for every run (run.py and
first_page.js both use it). `projects_csv.py ROWS` writes them to stdout."""
import csv
import random
import sys

STATUSES = ["planned", "active", "on_hold", "done"]


def project_rows(rows, seed=18):
    """`rows` (name, description, status, owner) of made-up words, the same for every run: text
    that gzips about as well as real names and notes do (to a fifth, where a repeated phrase
    would shrink to a twentieth and flatter the full list), about 235 bytes a row in JSON, as
    the issue's 100,100 projects (23.5 MB)."""
    rng = random.Random(seed)
    syllables = ["ba", "ko", "ri", "tem", "sul", "an", "por", "vi", "del", "me", "ka", "lo",
                 "nis", "tra", "ge", "fo", "ur", "zen", "pa", "qui", "mar", "os", "el", "dun"]
    vocab = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
             for _ in range(3000)]

    def words(lo, hi):
        return " ".join(rng.choice(vocab) for _ in range(rng.randint(lo, hi))).capitalize()

    for i in range(1, rows + 1):
        yield (f"{words(2, 3)} {i}", f"{words(4, 8)}.", STATUSES[i % 4], f"owner{i % 50}")


def write(out, rows):
    """The header and `rows` projects, CRLF-terminated, to the text stream `out`."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(["name", "description", "status", "owner"])
    w.writerows(project_rows(rows))


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        sys.exit("usage: projects_csv.py ROWS")
    write(sys.stdout, int(sys.argv[1]))
