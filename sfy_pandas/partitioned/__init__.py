"""Enrich a frame split into partitions, whatever engine holds them.

Nothing here knows Dask or Spark. An engine face runs :mod:`._cells` on its
workers (pure pandas, one partition at a time), finds the distinct profiles
with its own shuffle, and writes them as a Parquet dataset. The client process
then streams that dataset through one session (:mod:`._stream`), writes the
answers as a Parquet results dataset (:mod:`._results`), and the engine joins
them back on the canonical key. No request is ever sent from inside a task.
"""
