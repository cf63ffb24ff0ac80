#!/usr/bin/env python3
"""Scores phi-guard's detector against the labelled corpus (stdlib only).

Runs `phi-guard scan --format jsonl [--min-score X]` over the corpus (input lines
{"id", "text", "html"}) or reads precomputed output with --findings FILE, then reports:

- per-label precision / recall / F1 with span-overlap matching (a gold span is found if a finding
  with the same label overlaps it; a finding is correct if it overlaps a gold span of its label);
- label-blind token-level precision / recall: tokens are maximal runs of alphanumeric characters
  (str.isalnum); a token is gold-positive if it overlaps any gold span and predicted-positive if it
  overlaps any finding;
- recall on the structured identifiers (SSN, PHONE/FAX, EMAIL, DATE, MRN, payment cards,
  IP_ADDRESS, URL): found if overlapped by a finding of the same label (PHONE and FAX count as
  the same here);
- the rule ids with the most false positives and the labels with the most misses, with document
  ids. Matched text is printed only with --show-text (local debugging; never in CI logs).

HEALTH_* findings other than HEALTH_PLAN_ID are health context, not PHI: they are ignored. Offsets are Unicode scalar
values into the document text (for HTML documents: into the raw HTML).

Exit status: 0 if every threshold given (--min-token-recall, --min-token-precision,
--min-structured-recall, --min-label-f1) is met, 1 if one is not, 2 on error (binary failed, bad
output, offsets out of range).

Examples:
  python3 tests/corpus/eval.py                      # target/release/phi-guard, rules' threshold
  python3 tests/corpus/eval.py --binary target/debug/phi-guard --min-score 0.6
  python3 tests/corpus/eval.py --findings out.jsonl --min-token-recall 0.95
"""

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
STRUCTURED = ["SSN", "PHONE", "EMAIL", "DATE", "MRN", "CARD", "IP_ADDRESS", "URL"]


def is_health_context(label):
    """HEALTH_CONDITION, HEALTH_MEDICATION, ... are context, not PHI; HEALTH_PLAN_ID is PHI."""
    return label.startswith("HEALTH_") and label != "HEALTH_PLAN_ID"


class EvalError(Exception):
    pass


def load_corpus(path):
    docs = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
                docs.append({"id": d["id"], "text": d["text"], "html": bool(d.get("html")),
                             "spans": d.get("spans", []), "kind": d.get("kind", "")})
            except (ValueError, KeyError) as e:
                raise EvalError(f"{path}:{n}: bad corpus line ({e})") from e
    return docs


def run_binary(binary, docs, min_score, timeout, patterns=None):
    payload = "".join(json.dumps({"id": d["id"], "text": d["text"], "html": d["html"]},
                                 ensure_ascii=False) + "\n" for d in docs)
    cmd = [binary, "scan", "--format", "jsonl"]
    if min_score is not None:
        cmd += ["--min-score", str(min_score)]
    if patterns is not None:
        cmd += ["--patterns", patterns]
    try:
        proc = subprocess.run(cmd, input=payload.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise EvalError(f"could not run {binary}: {e}") from e
    # grep-like exit codes: 0 nothing found, 1 something found, 2 error.
    if proc.returncode not in (0, 1):
        err = proc.stderr.decode("utf-8", "replace").strip().splitlines()[-5:]
        raise EvalError(f"{binary} exited {proc.returncode}: " + " | ".join(err))
    return proc.stdout.decode("utf-8").splitlines()


def parse_findings(lines, docs):
    by_id = {d["id"]: d for d in docs}
    out = {}
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            doc_id = rec["id"]
            findings = rec.get("findings", [])
        except (ValueError, KeyError, TypeError) as e:
            raise EvalError(f"findings line {n}: not a {{id, findings}} object ({e})") from e
        if doc_id not in by_id:
            raise EvalError(f"findings line {n}: unknown id {doc_id!r}")
        length = len(by_id[doc_id]["text"])
        kept = []
        for f in findings:
            try:
                start, end, label = int(f["start"]), int(f["end"]), str(f["label"])
            except (KeyError, ValueError, TypeError) as e:
                raise EvalError(f"findings line {n}: finding without start/end/label ({e})") from e
            if not 0 <= start < end <= length:
                raise EvalError(f"findings line {n} ({doc_id}): span {start}..{end} outside "
                                f"text of length {length}")
            if is_health_context(label):
                continue
            kept.append({"start": start, "end": end, "label": label,
                         "rule": str(f.get("rule", "?")), "score": f.get("score")})
        out.setdefault(doc_id, []).extend(kept)
    return out


def overlaps(a, b):
    return a["start"] < b["end"] and b["start"] < a["end"]


def compatible(gold_label, found_label, loose_phone):
    if gold_label == found_label:
        return True
    return loose_phone and {gold_label, found_label} <= {"PHONE", "FAX"}


def tokens(text):
    out = []
    start = None
    for i, ch in enumerate(text):
        if ch.isalnum():
            if start is None:
                start = i
        elif start is not None:
            out.append((start, i))
            start = None
    if start is not None:
        out.append((start, len(text)))
    return out


def covered(tok, spans):
    s, e = tok
    return any(sp["start"] < e and s < sp["end"] for sp in spans)


def prf(tp_p, n_pred, tp_r, n_gold):
    p = tp_p / n_pred if n_pred else (1.0 if n_gold == 0 else 0.0)
    r = tp_r / n_gold if n_gold else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def evaluate(docs, found):
    per_label = defaultdict(lambda: {"gold": 0, "found_gold": 0, "pred": 0, "correct_pred": 0})
    tok = Counter()
    tok_kind = defaultdict(Counter)
    structured = defaultdict(lambda: [0, 0])
    fp_rules = defaultdict(list)
    fn_labels = defaultdict(list)
    missing_ids = 0
    for d in docs:
        if d["id"] not in found:
            missing_ids += 1
        preds = found.get(d["id"], [])
        gold = d["spans"]
        for g in gold:
            st = per_label[g["label"]]
            st["gold"] += 1
            hit = any(overlaps(g, p) and compatible(g["label"], p["label"], False) for p in preds)
            st["found_gold"] += hit
            if not hit:
                fn_labels[g["label"]].append((d["id"], g))
            key = "CARD" if g.get("check") == "card" else ("PHONE" if g["label"] == "FAX"
                                                           else g["label"])
            if key in STRUCTURED:
                structured[key][0] += 1
                structured[key][1] += any(
                    overlaps(g, p) and compatible(g["label"], p["label"], True) for p in preds)
        for p in preds:
            st = per_label[p["label"]]
            st["pred"] += 1
            ok = any(overlaps(g, p) and compatible(g["label"], p["label"], False) for g in gold)
            st["correct_pred"] += ok
            if not ok:
                fp_rules[p["rule"]].append((d["id"], p))
        for t in tokens(d["text"]):
            g, p = covered(t, gold), covered(t, preds)
            for c in (tok, tok_kind[d["kind"] or "-"]):
                c["tp"] += g and p
                c["fp"] += p and not g
                c["fn"] += g and not p
    return per_label, tok, tok_kind, structured, fp_rules, fn_labels, missing_ids


def report(docs, per_label, tok, tok_kind, structured, fp_rules, fn_labels, missing_ids,
           show_text, top):
    text_of = {d["id"]: d["text"] for d in docs}
    print(f"documents: {len(docs)}   gold spans: {sum(len(d['spans']) for d in docs)}"
          + (f"   (no output line for {missing_ids} documents)" if missing_ids else ""))
    print()
    print(f"{'label':<16}{'gold':>7}{'pred':>7}{'prec':>8}{'recall':>8}{'f1':>8}")
    f1s = {}
    for label in sorted(per_label):
        st = per_label[label]
        p, r, f = prf(st["correct_pred"], st["pred"], st["found_gold"], st["gold"])
        f1s[label] = f
        print(f"{label:<16}{st['gold']:>7}{st['pred']:>7}{p:>8.3f}{r:>8.3f}{f:>8.3f}")
    tp, fp, fn = tok["tp"], tok["fp"], tok["fn"]
    tp_, tr_, tf_ = prf(tp, tp + fp, tp, tp + fn)
    print()
    print(f"token-level (label-blind): precision {tp_:.4f}  recall {tr_:.4f}  f1 {tf_:.4f}"
          f"   (tp {tp}, fp {fp}, fn {fn})")
    if len(tok_kind) > 1:
        print("  by document kind:")
        for k, c in sorted(tok_kind.items()):
            kp, kr, _ = prf(c["tp"], c["tp"] + c["fp"], c["tp"], c["tp"] + c["fn"])
            print(f"    {k:<16} precision {kp:.3f}  recall {kr:.3f}   (tp {c['tp']}, fp {c['fp']},"
                  f" fn {c['fn']})")
    total = [0, 0]
    parts = []
    for key in STRUCTURED:
        n, hit = structured.get(key, [0, 0])
        total[0] += n
        total[1] += hit
        if n:
            parts.append(f"{key} {hit}/{n}")
    srec = total[1] / total[0] if total[0] else 1.0
    print(f"structured-identifier recall: {srec:.4f}   " + ", ".join(parts))
    print()
    print(f"top false-positive rules (rule: count, first documents):")
    for rule, items in sorted(fp_rules.items(), key=lambda kv: -len(kv[1]))[:top]:
        ids = sorted({i for i, _ in items})[:6]
        print(f"  {rule}: {len(items)}  {', '.join(ids)}")
        if show_text:
            for doc_id, p in items[:5]:
                print(f"      {doc_id} {p['label']} {text_of[doc_id][p['start']:p['end']]!r}")
    print(f"top missed labels (label: count, first documents):")
    for label, items in sorted(fn_labels.items(), key=lambda kv: -len(kv[1]))[:top]:
        ids = sorted({i for i, _ in items})[:6]
        checks = Counter(g.get("check", "-") for _, g in items)
        print(f"  {label}: {len(items)}  by check {dict(checks)}  {', '.join(ids)}")
        if show_text:
            for doc_id, g in items[:5]:
                print(f"      {doc_id} {text_of[doc_id][g['start']:g['end']]!r}")
    return {"token_precision": tp_, "token_recall": tr_, "structured_recall": srec, "f1": f1s}


def main(argv=None):
    ap = argparse.ArgumentParser(description="Score phi-guard on the labelled corpus.")
    ap.add_argument("--binary", default="target/release/phi-guard")
    ap.add_argument("--corpus", default=str(HERE / "dev.jsonl"))
    ap.add_argument("--findings", help="read precomputed `scan --format jsonl` output instead")
    ap.add_argument("--min-score", type=float,
                    help="score threshold passed to the scanner (default: the rules' own)")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--patterns", help="rules directory passed to `scan --patterns` (default: the "
                    "rules embedded in the binary)")
    ap.add_argument("--show-text", action="store_true",
                    help="print matched/missed values (local debugging only)")
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("--min-token-recall", type=float)
    ap.add_argument("--min-token-precision", type=float)
    ap.add_argument("--min-structured-recall", type=float)
    ap.add_argument("--min-label-f1", type=float,
                    help="every label with gold spans must reach this F1")
    args = ap.parse_args(argv)
    try:
        docs = load_corpus(args.corpus)
        if args.findings:
            with open(args.findings, encoding="utf-8") as f:
                lines = f.read().splitlines()
        else:
            lines = run_binary(args.binary, docs, args.min_score, args.timeout,
                               args.patterns)
        found = parse_findings(lines, docs)
    except (EvalError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    res = evaluate(docs, found)
    m = report(docs, *res, show_text=args.show_text, top=args.top)
    failed = []
    if args.min_token_recall is not None and m["token_recall"] < args.min_token_recall:
        failed.append(f"token recall {m['token_recall']:.4f} < {args.min_token_recall}")
    if args.min_token_precision is not None and m["token_precision"] < args.min_token_precision:
        failed.append(f"token precision {m['token_precision']:.4f} < {args.min_token_precision}")
    if (args.min_structured_recall is not None
            and m["structured_recall"] < args.min_structured_recall):
        failed.append(f"structured recall {m['structured_recall']:.4f} < "
                      f"{args.min_structured_recall}")
    if args.min_label_f1 is not None:
        gold_labels = {s["label"] for d in docs for s in d["spans"]}
        for label in sorted(gold_labels):
            if m["f1"].get(label, 0.0) < args.min_label_f1:
                failed.append(f"{label} F1 {m['f1'].get(label, 0.0):.3f} < {args.min_label_f1}")
    for f in failed:
        print(f"THRESHOLD NOT MET: {f}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
