-- A review decision is named by its id (a later decision on the same heads must name the one it
-- supersedes), so each stored submission document's `review` now carries it. Documents are kept,
-- not rebuilt: only the latest decision's id is added to the object already there.
UPDATE submission_views
SET document = json_set(
    document,
    '$.review.id',
    (SELECT max(r.id) FROM reviews r WHERE r.submission_id = submission_views.submission_id)
)
WHERE json_type(document, '$.review') = 'object';
