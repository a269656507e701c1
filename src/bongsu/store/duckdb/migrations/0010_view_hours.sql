-- Per-hour copies of the view rollups (0009), written by the same loads: windows over
-- 6 hours read these (a day of db_statements_1m was ~1M rows in bench/views.py, the day
-- of db_statements_1h ~5x fewer, web_1h ~25x fewer). Compaction merges a whole hour.
CREATE TABLE db_statements_1h AS SELECT * FROM db_statements_1m WHERE false;
CREATE TABLE web_1h AS SELECT * FROM web_1m WHERE false;
