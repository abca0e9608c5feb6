-- One row per counted visit holding its per-standard scores, instead of one row per visit and
-- standard: a push of a 30-standard visit now writes one aggregation row, not thirty (the rows
-- were most of a push's SQLite work). `standards` is a JSON array of [code, score, met]; scores
-- are written with 17 significant digits, which give back the same double.
CREATE TABLE visit_scores (
    period         TEXT NOT NULL,
    counted        BIGINT NOT NULL,
    unit_id        TEXT NOT NULL,
    submission_id  TEXT NOT NULL,
    standards      TEXT NOT NULL,
    PRIMARY KEY (period, counted, unit_id, submission_id)
);

-- A double as SQLite's printf('%!.17g', x) writes it, so the packed rows are the bytes SQLite's
-- migration writes: PostgreSQL prints doubles shortest-first and casts them to numeric with 15
-- digits, so the digits are taken from the double's exact value (mantissa x 2^exponent).
CREATE FUNCTION sqlite_printf_17g(x DOUBLE PRECISION) RETURNS TEXT LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    bits BYTEA := float8send(x);
    biased INT := ((get_byte(bits, 0) & 127) << 4) | (get_byte(bits, 1) >> 4);
    mantissa NUMERIC := get_byte(bits, 1) & 15;
    shift INT;          -- |x| = mantissa * 2^shift
    digits TEXT;        -- |x| = digits * 10^-places, digits an integer
    places INT := 0;
    point INT;          -- the power of ten of the first digit
    head NUMERIC;
    body TEXT;
BEGIN
    IF x = 0 THEN
        RETURN '0.0';
    ELSIF x = 'Infinity' THEN
        RETURN 'Inf';
    ELSIF x = '-Infinity' THEN
        RETURN '-Inf';
    ELSIF x <> x THEN
        RETURN NULL;  -- SQLite stores no NaN
    END IF;
    FOR i IN 2..7 LOOP
        mantissa := mantissa * 256 + get_byte(bits, i);
    END LOOP;
    IF biased = 0 THEN
        shift := -1074;
    ELSE
        mantissa := mantissa + 4503599627370496;
        shift := biased - 1075;
    END IF;
    IF shift >= 0 THEN
        digits := trunc(mantissa * 2::NUMERIC ^ shift)::TEXT;
    ELSE
        digits := trunc(mantissa * 5::NUMERIC ^ (-shift))::TEXT;
        places := -shift;
    END IF;
    point := length(digits) - 1 - places;
    -- 17 significant digits, the 18th rounding half up as SQLite's printf does.
    IF length(digits) > 17 THEN
        head := left(digits, 17)::NUMERIC;
        IF substr(digits, 18, 1) >= '5' THEN
            head := head + 1;
        END IF;
        digits := head::TEXT;
        IF length(digits) > 17 THEN
            digits := left(digits, 17);
            point := point + 1;
        END IF;
    ELSE
        digits := rpad(digits, 17, '0');
    END IF;
    IF point < -4 OR point >= 17 THEN
        body := left(digits, 1) || '.' || coalesce(nullif(rtrim(substr(digits, 2), '0'), ''), '0') || 'e'
            || CASE WHEN point < 0 THEN '-' ELSE '+' END || CASE WHEN abs(point) < 10 THEN '0' ELSE '' END || abs(point);
    ELSIF point >= 0 THEN
        body := left(digits, point + 1) || '.' || coalesce(nullif(rtrim(substr(digits, point + 2), '0'), ''), '0');
    ELSE
        body := '0.' || repeat('0', -point - 1) || rtrim(digits, '0');
    END IF;
    RETURN CASE WHEN x < 0 THEN '-' || body ELSE body END;
END
$$;

-- Each visit's standards in code order, byte by byte as SQLite orders text (collation "C").
INSERT INTO visit_scores (period, counted, unit_id, submission_id, standards)
    SELECT period, counted, unit_id, submission_id,
           '[' || string_agg('[' || to_json(code)::TEXT || ',' || sqlite_printf_17g(score) || ',' || met || ']', ','
                             ORDER BY code COLLATE "C") || ']'
    FROM visit_standards
    GROUP BY period, counted, unit_id, submission_id;

DROP FUNCTION sqlite_printf_17g(DOUBLE PRECISION);
DROP TABLE visit_standards;
