#!/usr/bin/env python3
"""Tests for eval.py against a tiny hand-made corpus and fake scanner output (stdlib unittest).

Run: python3 -m unittest discover -s tests/corpus -p 'test_*.py'
"""

import contextlib
import io
import json
import os
import stat
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import eval as ev  # noqa: E402

TEXT1 = "Hi Maria Ortiz, SSN 123-45-6788, order #12345, diabetes."
TEXT2 = "Call 415-555-0132 at 10:30 — café ☕ maria@example.com"
DOCS = [
    {"id": "a", "text": TEXT1, "html": False, "spans": [
        {"start": 3, "end": 14, "label": "NAME"},
        {"start": 20, "end": 31, "label": "SSN", "check": "ssn"}]},
    {"id": "b", "text": TEXT2, "html": False, "spans": [
        {"start": 5, "end": 17, "label": "PHONE", "check": "us_phone"},
        {"start": 36, "end": 53, "label": "EMAIL", "check": "email"}]},
]


def finding(start, end, label, rule="r"):
    return {"start": start, "end": end, "label": label, "rule": rule, "score": 0.9}


class EvalTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.corpus = os.path.join(self.dir.name, "c.jsonl")
        with open(self.corpus, "w", encoding="utf-8") as f:
            for d in DOCS:
                f.write(json.dumps(d, ensure_ascii=False) + "\n")

    def tearDown(self):
        self.dir.cleanup()

    def run_eval(self, findings_by_id, *extra):
        path = os.path.join(self.dir.name, "f.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for doc_id, fs in findings_by_id.items():
                f.write(json.dumps({"id": doc_id, "findings": fs}) + "\n")
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ev.main(["--corpus", self.corpus, "--findings", path, *extra])
        return code, out.getvalue(), err.getvalue()

    def test_gold_slices_match(self):
        self.assertEqual(TEXT1[3:14], "Maria Ortiz")
        self.assertEqual(TEXT2[36:53], "maria@example.com")

    def test_perfect_output_scores_one(self):
        perfect = {d["id"]: [finding(s["start"], s["end"], s["label"]) for s in d["spans"]]
                   for d in DOCS}
        code, out, _ = self.run_eval(perfect, "--min-token-recall", "1", "--min-token-precision",
                                     "1", "--min-structured-recall", "1", "--min-label-f1", "1")
        self.assertEqual(code, 0, out)
        self.assertIn("precision 1.0000  recall 1.0000", out)
        self.assertIn("structured-identifier recall: 1.0000", out)

    def test_no_findings_fails_thresholds(self):
        code, out, err = self.run_eval({"a": [], "b": []}, "--min-token-recall", "0.5")
        self.assertEqual(code, 1)
        self.assertIn("recall 0.0000", out)
        self.assertIn("THRESHOLD NOT MET", err)

    def test_token_counts_and_false_positive_rules(self):
        # Finds the name and the SSN; wrongly flags "12345" (order id) and "10:30"; misses all of b
        # except the phone, which it calls FAX (label-aware miss, structured hit).
        found = {
            "a": [finding(3, 14, "NAME"), finding(20, 31, "SSN"), finding(40, 45, "MRN", "mrn"),
                  finding(47, 55, "HEALTH_CONDITION", "health")],
            "b": [finding(5, 17, "FAX"), finding(21, 26, "DATE", "time_as_date")],
        }
        code, out, _ = self.run_eval(found)
        self.assertEqual(code, 0)
        # gold tokens: Maria Ortiz 123 45 6788 | 415 555 0132 maria example com  -> 11
        # predicted: 6 in a (incl. 12345) + 3 phone + 10, 30 -> tp 8, fp 3, fn 3 (e-mail)
        self.assertIn("(tp 8, fp 3, fn 3)", out)
        self.assertIn("mrn: 1  a", out)
        self.assertIn("time_as_date: 1  b", out)
        self.assertNotIn("health", out)  # HEALTH_* context ignored
        self.assertIn("PHONE 1/1", out)  # FAX finding counts for a PHONE in structured recall
        self.assertIn("EMAIL 0/1", out)
        self.assertNotIn("12345'", out)  # no text without --show-text
        _, out2, _ = self.run_eval(found, "--show-text")
        self.assertIn("'12345'", out2)

    def test_health_plan_id_is_phi_not_context(self):
        doc = {"a": [finding(3, 14, "HEALTH_PLAN_ID", "hp")]}
        _, out, _ = self.run_eval(doc)
        self.assertIn("hp: 1  a", out)  # scored (as a false positive here), not dropped

    def test_bad_output_is_an_error(self):
        code, _, err = self.run_eval({"a": [finding(0, 999, "NAME")]})
        self.assertEqual(code, 2)
        self.assertIn("outside text", err)
        code, _, err = self.run_eval({"zzz": []})
        self.assertEqual(code, 2)

    def test_runs_a_binary(self):
        fake = os.path.join(self.dir.name, "phi-guard")
        with open(fake, "w") as f:
            f.write("#!" + sys.executable + "\n"
                    "import json, sys\n"
                    "assert sys.argv[1:4] == ['scan', '--format', 'jsonl'], sys.argv\n"
                    "for line in sys.stdin:\n"
                    "    d = json.loads(line)\n"
                    "    i = d['text'].find('@')\n"
                    "    fs = [] if i < 0 else [{'start': i - 5, 'end': i + 12, 'label': 'EMAIL',"
                    " 'rule': 'email', 'score': 1.0}]\n"
                    "    print(json.dumps({'id': d['id'], 'findings': fs}))\n"
                    "sys.exit(1)\n")
        os.chmod(fake, os.stat(fake).st_mode | stat.S_IXUSR)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = ev.main(["--corpus", self.corpus, "--binary", fake])
        self.assertEqual(code, 0, out.getvalue())
        self.assertIn("EMAIL 1/1", out.getvalue())
        broken = os.path.join(self.dir.name, "broken")
        with open(broken, "w") as f:
            f.write("#!/bin/sh\necho boom >&2\nexit 2\n")
        os.chmod(broken, 0o755)
        err = io.StringIO()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
            self.assertEqual(ev.main(["--corpus", self.corpus, "--binary", broken]), 2)
        self.assertIn("boom", err.getvalue())


class CorpusTest(unittest.TestCase):
    def test_dev_corpus_is_well_formed(self):
        path = Path(__file__).resolve().parent / "dev.jsonl"
        docs = ev.load_corpus(path)
        self.assertGreaterEqual(len(docs), 1000)
        labels = set()
        for d in docs:
            prev_end = 0
            for s in d["spans"]:
                self.assertLessEqual(prev_end, s["start"], d["id"])
                self.assertLess(s["start"], s["end"])
                self.assertLessEqual(s["end"], len(d["text"]))
                prev_end = s["end"]
                labels.add(s["label"])
        self.assertGreaterEqual(len(labels), 18)

    def test_handwritten_jsonl_matches_markup(self):
        import generate
        here = Path(__file__).resolve().parent
        names = ["handwritten", "handwritten2", "handwritten3", "handwritten4", "handwritten5",
                 "handwritten6", "handwritten7", "handwritten8"]
        # A new hand-written set must be added here (and keep its .jsonl regenerated).
        found = sorted(p.stem for p in here.glob("handwritten*.txt"))
        self.assertEqual(found, sorted(names))
        for name in names:
            with self.subTest(name=name):
                docs = generate.parse_markup(here / f"{name}.txt")
                committed = [json.loads(line) for line in
                             (here / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()]
                self.assertEqual(docs, committed, f"regenerate {name}.jsonl (see README)")
                self.assertGreaterEqual(len(docs), 10)

    def test_generator_is_deterministic(self):
        import generate
        a = generate.build(7, 40)
        b = generate.build(7, 40)
        self.assertEqual(a, b)
        self.assertNotEqual(a, generate.build(8, 40))


if __name__ == "__main__":
    unittest.main()
