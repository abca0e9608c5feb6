"""Tekseru's benchmark harness (issue 4): `python -m bench [--quick] [--only NAME ...] [--store S]`.

It starts a real `tekseru serve` on a free 127.0.0.1 port in a temporary data directory, creates
the organisation through the admin API (500 branch units, 5,000 staff, 64 auditors with a tablet
each, 50 assignments), measures, stops the server and removes the directory. It prints one
Markdown table (name | value | target | ok) and writes the same rows as JSON to
bench/out/latest.json.

The store (`bench.stores`, `--store sqlite|postgres|both`, default both when a PostgreSQL server
answers at `TEKSERU_BENCH_POSTGRES_URL`, by default `postgresql://postgres@127.0.0.1:5432/postgres`):
SQLite is the file in the data directory (WAL, synchronous=FULL, as shipped); PostgreSQL a
database created for the run (`TEMPLATE template0 ENCODING 'UTF8'`, code-point collation) and
dropped after it. The sync measurements run on SQLite, on PostgreSQL with one server process, and
(saturation and paced only) on PostgreSQL with two (`tekseru serve --workers 2`); `figures` and
`year` on each store. Rows name their store: "saturation (postgresql, 2 processes): throughput".

Every push carries 50 new submissions of the shipped `branch` checklist v1, each answering every
required item with a valid value (56 answers: the checklist requires 56 of its 58 items, so the
issue's "40 answers" cannot be reached without quarantining the visit). The load generator is
`bench.load`, run in its own process(es) (`--workers`), with one HTTP connection per tablet.

The measurements (`--only` takes these names):

- `raw` — raw ceiling: the rows the server stores per submission (a `submissions` row, a
  `revisions` row with a real revision's canonical JSON, a `submission_views` row with a real view
  document, a `changes` row), written by plain `sqlite3` in this process into a fresh file with
  the server's schema, WAL and synchronous=FULL, 50 submissions per transaction: submissions/s.
- `saturation` — 64 tablets each pushing again as soon as its receipts arrive: submissions/s
  applied during the window, and on SQLite its ratio to the raw ceiling (target >= 0.5; runs `raw`
  too); PostgreSQL with 2 server processes should reach at least SQLite's figure of the same run.
  Server, push-worker, PostgreSQL-backend and load-generator CPU over the window show which side
  was the bottleneck (100 % = one core).
- `paced` — 64 tablets each pushing every 2 s +- 0.25 s (about 1,600 submissions/s offered): p50
  and p99 of the push latency (request sent to receipts parsed; target p99 <= 250 ms).
- `duplicates` — one tablet, one request at a time: median time of a fresh batch of 50 and of the
  same batch pushed again (all `duplicate`); ratio fresh / duplicate (target >= 2).
- `pull` — a device never seen before of an auditor holding the 50 assignments (and no
  submissions) pulls from no cursor with limit=5000 until has_more is false: total ms, median of
  3 devices (target < 300 ms), once right after setup and once after the load runs (whose
  submissions fill the change feed of other auditors).
- `console` — the console's pages (`bench/console.py`): `/review` with 100,000 submissions in the
  database, default view and four filter combinations (target p95 < 150 ms), and a visit page
  of 60 answers, 10 revisions and 5 photos (target p95 < 100 ms), p50 and p95 of the time to
  answer, signed in as a quality lead.
- `year` — a year of data (`bench/year.py`): 300,000 visits of 56 answers made from real ones and
  written straight into each store; the newest month's figures, a unit's scorecard, the review
  queue (API and console), a fresh device's first pull and paced push p99, each on an empty
  store and with the year loaded (target: no more than twice the empty store's figure).
- `integrity` — the perceptual-hash lookup among 1,000,000 photos on each store, at the policy's
  default and widest distances (target < 20 ms), and reading one 1600x1200 photo (`bench/integrity.py`).
- always with a sync measurement: `errors` — receipts other than `applied` and failed requests in
  the load runs (target 0); `server RSS` — the peak resident set of every process of the server
  (VmRSS summed and sampled every 100 ms, or the server's VmHWM), MB (target <= 300).

`--quick` runs each load for a few seconds (a smoke check); a full run on both stores takes about
15 minutes on 2 cores.
"""
