-- A review decision is named by its id (a later decision on the same heads must name the one it
-- supersedes), so each stored submission document's `review` now carries it. Documents are kept,
-- not rebuilt: only the latest decision's id is added to the object already there.
--
-- SQLite's json_set writes the document back minified, every value as it was written (numbers,
-- string escapes, key order), with the review's `id` replaced where it is or else added last.
-- PostgreSQL's json type (not jsonb) keeps each value's text as written, so the same bytes are
-- put together from the minified document, key by key: nothing is parsed into numbers and
-- printed again. The minifying drops whitespace outside strings, as json_set's rendering does.
UPDATE submission_views v
SET document = (
    SELECT '{' || string_agg(
        to_json(d.key)::TEXT || ':' || CASE WHEN d.key <> 'review' THEN d.value::TEXT ELSE (
            SELECT '{' || concat_ws(',',
                string_agg(to_json(r.key)::TEXT || ':' || CASE WHEN r.key = 'id' THEN latest.id ELSE r.value::TEXT END,
                           ',' ORDER BY r.n),
                CASE WHEN coalesce(bool_or(r.key = 'id'), false) THEN NULL ELSE '"id":' || latest.id END
            ) || '}'
            FROM json_each(d.value) WITH ORDINALITY AS r (key, value, n)
        ) END,
        ',' ORDER BY d.n
    ) || '}'
    FROM json_each(regexp_replace(v.document, '("(?:[^"\\]|\\.)*")|\s+', '\1', 'g')::JSON)
        WITH ORDINALITY AS d (key, value, n),
        LATERAL (
            SELECT coalesce(max(x.id)::TEXT, 'null') AS id FROM reviews x WHERE x.submission_id = v.submission_id
        ) AS latest
)
WHERE json_typeof(v.document::JSON -> 'review') = 'object';
