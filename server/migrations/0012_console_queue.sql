-- The console's review queue: filters on a failed critical item, and one index that serves each
-- tab's page and its count without reading the documents.
--
-- `critical_failed` is derived with the view (1 when the visit failed a critical item), like
-- `has_conflicts`: the filter reads a column, not every document's JSON.
ALTER TABLE submission_views ADD COLUMN critical_failed INTEGER NOT NULL DEFAULT 0;
UPDATE submission_views
SET critical_failed = 1
WHERE json_valid(document) AND ifnull(json_array_length(document, '$.scores.critical_failed'), 0) > 0;

-- A tab (one status) in visit order, with every filter column after the key: a page walks the
-- tab in order and tests the filters in the index, reading the table only for the rows it
-- shows; the counts per tab read this index alone. The queue's documents are a few KiB each
-- (overflow pages), so a plan that touched the table for every candidate row would be slow.
CREATE INDEX submission_views_queue ON submission_views (
    status, ifnull(corrected_start, ''), submission_id,
    has_conflicts, critical_failed, period, unit_id, auditor, checklist_id, visit_score
);
