"""Themes: what customers are saying (insights contract v1, "Themes").

The verbatim comments of the period's responses (after filters) are grouped
into K themes by a model trained here, on those comments, offline:
scikit-learn's TF-IDF and non-negative matrix factorisation (NMF). Each
comment belongs to its strongest theme. The previous period's comments are
put through the same model, so a theme's count can be compared with
before. Comments are text for the model: they are the one thing that leaves
the engine row by row, and only the period's (and its predecessor's)."""

from __future__ import annotations

import functools

import duckdb
import numpy as np
import pandas as pd

from cxhub import access
from cxhub.db import query_df
from cxhub.kpis.period import Filters, Period
from cxhub.kpis.sources import Source, filtered_rows

MIN_COMMENTS = 50
DEFAULT_THEMES = 6
TOP_TERMS = 6
EXAMPLES = 3
MAX_FEATURES = 5000


def comments(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters()) -> pd.DataFrame:
    """comment, nps, csat of the responses in the period that have a comment,
    in the order they were answered: the model is fitted on the same rows in
    the same order on every engine and every run, so its themes are too."""
    source = Source("surveys", "responded_at", "x.comment, x.nps, x.csat, x.response_id")
    sql, params = filtered_rows(source, filters, period, None)
    return query_df(con, f"SELECT comment, nps, csat FROM ({sql}) f "
                         f"WHERE comment IS NOT NULL AND trim(comment) <> '' ORDER BY d, response_id", params)


def _label(terms: list[str]) -> str:
    """The first three distinct words of the top terms ('app · crashes ·
    checkout', never 'okay · okay eventually · okay suppose')."""
    words: list[str] = []
    for term in terms:
        words += [w for w in term.split() if w not in words]
    return " · ".join(words[:3])


def _nps(scores: pd.Series) -> float | None:
    s = scores.dropna()
    return None if s.empty else float(100.0 * ((s >= 9).sum() - (s <= 6).sum()) / len(s))


def _csat(scores: pd.Series) -> float | None:
    s = scores.dropna()
    return None if s.empty else float(100.0 * (s >= 4).sum() / len(s))


def fit(texts: list[str], k: int):
    """The TF-IDF vectoriser and NMF model trained on these comments, and
    each comment's theme weights."""
    from sklearn.decomposition import NMF  # loaded with the first themes
    from sklearn.feature_extraction.text import TfidfVectorizer

    # The same words and word pairs as the vectoriser's own analysis, each distinct text analysed
    # once: comments repeat ("great service"), and analysing text is most of the cost.
    analyse = functools.lru_cache(maxsize=None)(
        TfidfVectorizer(stop_words="english", ngram_range=(1, 2)).build_analyzer())
    vectoriser = TfidfVectorizer(analyzer=analyse, min_df=2, max_df=0.5, max_features=MAX_FEATURES,
                                 sublinear_tf=True)
    matrix = vectoriser.fit_transform(texts)
    k = max(1, min(k, matrix.shape[1], matrix.shape[0]))
    model = NMF(n_components=k, init="nndsvda", random_state=0, max_iter=400)
    weights = model.fit_transform(matrix)
    return vectoriser, model, weights


def themes(con: duckdb.DuckDBPyConnection, period: Period, filters: Filters = Filters(),
           k: int = DEFAULT_THEMES) -> dict:
    """The contract's document: n_comments and the themes by count, each
    with label, terms, count, share, nps, csat, previous_count and up to
    three examples, unmasked: whoever shows it passes it through masked()."""
    if k < 1:
        raise ValueError("--themes must be at least 1")
    now = comments(con, period, filters)
    doc = {"n_comments": int(len(now)), "themes": []}
    if len(now) < MIN_COMMENTS:
        return {**doc, "reason": f"{len(now)} comments in the period: fewer than {MIN_COMMENTS}, too few to "
                                 "find themes"}
    try:
        vectoriser, model, weights = fit(now["comment"].tolist(), k)
    except ValueError:  # no term occurs in two comments: nothing to group on
        return {**doc, "reason": "the comments share no words: no themes to find"}
    strongest = np.where(weights.max(axis=1) > 0, weights.argmax(axis=1), -1)
    before = comments(con, period.previous(), filters)
    if len(before):
        previous_weights = model.transform(vectoriser.transform(before["comment"].tolist()))
        previous = np.where(previous_weights.max(axis=1) > 0, previous_weights.argmax(axis=1), -1)
    else:
        previous = np.array([], dtype=int)
    vocabulary = vectoriser.get_feature_names_out()
    texts = now["comment"].tolist()  # a list: indexing a frame's column per comment is slow
    rows = []
    for t in range(weights.shape[1]):
        members = np.flatnonzero(strongest == t)
        if len(members) == 0:
            continue
        terms = [str(vocabulary[i]) for i in np.argsort(model.components_[t])[::-1][:TOP_TERMS]]
        part = now.iloc[members]
        closest = members[np.argsort(weights[members, t])[::-1]]
        examples, seen = [], set()
        for i in closest:  # the most typical comments, each text once
            text = texts[i]
            if text not in seen:
                seen.add(text)
                examples.append(text)
            if len(examples) == EXAMPLES:
                break
        rows.append({"label": _label(terms), "terms": terms, "count": int(len(members)),
                     "share": float(100.0 * len(members) / len(now)), "nps": _nps(part["nps"]),
                     "csat": _csat(part["csat"]), "previous_count": int((previous == t).sum()),
                     "examples": examples})
    rows.sort(key=lambda r: (-r["count"], r["label"]))
    return {**doc, "themes": rows}


def masked(doc: dict, person: access.Person | None) -> dict:
    """The document as this person may see it: examples withheld for a role
    without see_customer_detail (themes, counts and scores stay)."""
    if access.may(person, "see_customer_detail"):
        return doc
    return {**doc, "themes": [{**t, "examples": [access.WITHHELD] * len(t["examples"])} for t in doc["themes"]]}
