"""The message catalogue, by area: each module holds `TEXTS`, key -> (ru, kk, en).

One catalogue for everything people read: the PDF scorecards (`reports/i18n.py`, which holds
their texts and merges these) and the web console. A key lives in exactly one module; the merge
in `reports/i18n.py` refuses a key defined twice.
"""
