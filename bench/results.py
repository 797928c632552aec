"""Reads what bench/run.sh appends to a results file (one JSON object per run and line), for the summaries of
bench/aot.sh, bench/containers.sh and bench/peers.sh (they run `PYTHONPATH=bench python3`)."""
import json
import statistics


def runs(path):
    """Every run in the file; a line that is not JSON (a run cut off while writing) is skipped."""
    with open(path) as f:
        for line in f:
            try:
                yield json.loads(line)
            except ValueError:
                continue


def median(rs, key, digits=1):
    """The median of a figure over runs, rounded; "-" when no run has it (run.sh writes -1 for "not measured")."""
    v = [r[key] for r in rs if isinstance(r.get(key), (int, float)) and r[key] >= 0]
    return "-" if not v else round(statistics.median(v), digits)
