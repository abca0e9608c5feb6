-- The console's review queue: filters on a failed critical item, and one index that serves each
-- tab's page and its count without reading the documents.
--
-- `critical_failed` is derived with the view (1 when the visit failed a critical item), like
-- `has_conflicts`: the filter reads a column, not every document's JSON.
ALTER TABLE submission_views ADD COLUMN critical_failed BIGINT NOT NULL DEFAULT 0;

-- SQLite's `json_valid(document) AND ifnull(json_array_length(document, '$.scores.critical_failed'), 0)`:
-- PostgreSQL 15 has no JSON test that does not raise, so a document that is not JSON counts 0 here.
CREATE FUNCTION critical_failed_items(document TEXT) RETURNS BIGINT LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    items JSON;
BEGIN
    items := document::JSON #> '{scores,critical_failed}';
    RETURN CASE WHEN json_typeof(items) = 'array' THEN json_array_length(items) ELSE 0 END;
EXCEPTION WHEN data_exception THEN
    RETURN 0;
END
$$;
UPDATE submission_views
SET critical_failed = 1
WHERE critical_failed_items(document) > 0;
DROP FUNCTION critical_failed_items(TEXT);

-- A tab (one status) in visit order, with every filter column after the key: a page walks the
-- tab in order and tests the filters in the index, reading the table only for the rows it
-- shows; the counts per tab read this index alone. SQLite's `ifnull(corrected_start, '')` is
-- `coalesce(corrected_start, '')` here: a query uses the index when it names the same expression.
CREATE INDEX submission_views_queue ON submission_views (
    status, coalesce(corrected_start, ''), submission_id,
    has_conflicts, critical_failed, period, unit_id, auditor, checklist_id, visit_score
);
