#!/usr/bin/env python3
"""Build vader_per_domain: the bundled VADER sample laid out as one sentiment task per domain.

SOURCE
  origin:   sample-data/vader-domains in this repository (see its SOURCE.txt: Hutto & Gilbert
            2014, the VADER human-rated sentiment sets of tweets, movie reviews, product reviews
            and news editorials).
  license:  as sample-data/vader-domains/SOURCE.txt.
  fetched:  nothing.

Tasks per text, as multi-domain sentiment sets are laid out (each row labelled for its own
domain's task only, the other tasks blank, so each task sees a quarter of the rows):
  pol_movie_review, pol_news_editorial, pol_product_review, pol_tweet
              multiclass negative / neutral / positive, the row's VADER polarity

The split is the datasets' own (a seeded hash of the normalised text), not the sample's spec.

Usage: build_vader_per_domain.py [OUTDIR]   (default datasets-build/), writes
OUTDIR/vader_per_domain/vader_per_domain.csv and its spec.toml.
"""

import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

SAMPLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "sample-data", "vader-domains", "vader_domains.csv")
LABELS = ["negative", "neutral", "positive"]


def main():
    out = _common.output_dir(sys.argv, "vader_per_domain")
    with open(SAMPLE, newline="", encoding="utf-8") as f:
        source = list(csv.DictReader(f))
    domains = sorted({r["domain"] for r in source})
    tasks = {f"pol_{d}": "multiclass" for d in domains}
    rows = []
    for r in source:
        row = {"id": r["id"], "text": r["text"], "split": _common.split_of(_common.normalise(r["text"]))}
        for d in domains:
            row[f"pol_{d}"] = r["polarity"] if r["domain"] == d else ""
        rows.append(row)
    _common.drop_rare_and_unseen(rows, tasks)
    _common.write_csv(os.path.join(out, "vader_per_domain.csv"), ["id", "text", *tasks, "split"], rows)
    _common.write_spec(os.path.join(out, "spec.toml"),
                       "VADER (sample-data/vader-domains), one polarity task per domain; built by "
                       "scripts/datasets/build_vader_per_domain.py",
                       "text", [(name, "multiclass", LABELS) for name in tasks], max_length=200)
    _common.report("vader_per_domain", rows, tasks)


if __name__ == "__main__":
    main()
