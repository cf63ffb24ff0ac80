#!/usr/bin/env python3
"""Generates the labelled development corpus tests/corpus/dev.jsonl (stdlib only, deterministic).

Each output line: {"id", "kind", "text", "html": bool, "spans": [{"start", "end", "label"}]} with
start/end in Unicode scalar offsets (Python str indices) into "text" (for HTML documents: into the
raw HTML source). Every span is self-checked: text[start:end] is the value that was planted.

Documents: support tickets, chat transcripts (end-user / AI agent / human agent turns), clinical
notes, French HDS messages, HTML comment bodies and PHI-free "look-alike" documents (order
confirmations, release notes, shipping notices). Fake people are drawn from the dictionaries in
patterns/dictionaries/. All identifiers are synthetic: check digits are computed so validators
accept them, but they are random.

Spans may carry "check": the phi-guard validator that must accept the value (tests/validators.rs
verifies this against the Rust validators, keeping generator and validators consistent).

Labelling conventions (what a detector is scored against):
- NAME covers the name tokens only, not titles ("Dr. [Ana Ortiz]", "Mme [Dupont]").
- ADDRESS covers a street line and/or "city, ST ZIP" (or French "75011 Paris") as written.
- DATE covers any date more specific than a year (a bare year is not labelled).
- AGE_OVER_89 covers only the number ("[92]-year-old"); ages under 90 are not labelled.
- Titles, health terms, prices, versions, order/ticket/tracking ids, times are never labelled.
- FINESS (a facility id) is labelled OTHER_ID; RPPS/ADELI/NPI/DEA/state licences LICENSE_NUMBER;
  NIR/INS NATIONAL_ID; routing + bank account + card numbers ACCOUNT_NUMBER; MBI/HICN/member ids
  HEALTH_PLAN_ID; passport/employee/case ids OTHER_ID.

Usage: python3 tests/corpus/generate.py [--seed N] [--docs N] [--out PATH] [--stats]
       python3 tests/corpus/generate.py --markup handwritten.txt --out handwritten.jsonl
"""

import argparse
import json
import random
import string
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DICT = HERE.parent.parent / "patterns" / "dictionaries"

LABELS = {
    "NAME", "ADDRESS", "DATE", "AGE_OVER_89", "PHONE", "FAX", "EMAIL", "SSN", "NATIONAL_ID",
    "MRN", "HEALTH_PLAN_ID", "ACCOUNT_NUMBER", "LICENSE_NUMBER", "VEHICLE_ID", "DEVICE_ID",
    "URL", "IP_ADDRESS", "BIOMETRIC_ID", "OTHER_ID",
}


def load(name, limit=None):
    out = []
    for line in (DICT / name).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            out.append(line.split("\t")[0])
    return out[:limit] if limit else out


FIRST = load("first_names.txt", 1200)
LAST = load("last_names.txt", 4000)
WORD_NAMES = load("common_word_names.txt")
FR_FIRST = load("fr_first_names.txt", 600)
FR_LAST = load("fr_last_names.txt", 2000)
US_CITIES = load("us_cities.txt", 800)
FR_CITIES = load("fr_cities.txt", 300)
STATES = [line.split("\t") for line in (DICT / "us_states.txt").read_text().splitlines()
          if line and not line.startswith("#")]
CONDITIONS = load("health_conditions.txt")
MEDS = load("health_medications.txt")
PROCS = load("health_procedures.txt")

STREETS_US = ["Oak", "Maple", "Cedar", "Pine", "Elm", "Washington", "Lake", "Hill", "Park",
              "Main", "Church", "Highland", "Sunset", "Ridge", "Meadow", "Franklin", "Lincoln",
              "Jefferson", "Madison", "Willow", "Cherry", "Walnut", "Spring", "Mill", "River",
              "2nd", "5th", "Forest", "Valley", "Orchard", "Jackson", "Magnolia", "Dogwood"]
SUFFIX_US = ["Street", "St", "St.", "Avenue", "Ave", "Ave.", "Road", "Rd", "Boulevard", "Blvd",
             "Lane", "Ln", "Drive", "Dr", "Court", "Ct", "Way", "Place", "Pl", "Terrace",
             "Circle", "Parkway", "Pkwy"]
UNIT_US = ["Apt 4B", "Apt. 12", "Suite 210", "Unit 3", "#5", "Apt 1207", "Ste 400"]
FR_STREET = ["rue", "avenue", "boulevard", "place", "chemin", "impasse", "allée", "quai",
             "route", "cours", "rue"]
FR_STREET_NAMES = ["de la Paix", "Victor Hugo", "Jean Jaurès", "de la République",
                   "Pasteur", "du Général de Gaulle", "des Lilas", "Gambetta", "Voltaire",
                   "de la Gare", "Saint-Michel", "des Écoles", "du Moulin", "Émile Zola",
                   "de Verdun", "Carnot", "des Acacias", "du Château"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December"]
MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre"]
DOMAINS = ["gmail.com", "yahoo.com", "outlook.com", "hotmail.com", "icloud.com", "aol.com",
           "comcast.net", "protonmail.com", "example.org", "mail.example.com"]
FR_DOMAINS = ["orange.fr", "free.fr", "laposte.net", "gmail.com", "wanadoo.fr", "sfr.fr"]


class Doc:
    """Accumulates text and labelled spans with exact Unicode scalar offsets."""

    def __init__(self, html=False):
        self.parts = []
        self.len = 0
        self.spans = []
        self.html = html

    def t(self, s):
        self.parts.append(s)
        self.len += len(s)
        return self

    def v(self, value, label, check=None):
        """Plants a labelled value; `check` names the validator that must accept it."""
        assert label in LABELS, label
        self.spans.append({"start": self.len, "end": self.len + len(value), "label": label,
                           "_value": value, "check": check})
        return self.t(value)

    def text(self):
        return "".join(self.parts)


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.lookalikes = Counter()

    # --- basic pickers ---
    def c(self, xs):
        return self.r.choice(xs)

    def digits(self, n):
        return "".join(self.c(string.digits) for _ in range(n))

    def p(self, prob):
        return self.r.random() < prob

    # --- people ---
    def person(self, fr=False):
        if fr:
            return self.c(FR_FIRST), self.c(FR_LAST).title() if self.p(0.2) else self.c(FR_LAST)
        first = self.c(FIRST)
        last = self.c(WORD_NAMES) if self.p(0.12) else self.c(LAST)
        if self.p(0.05):
            last = self.c(["O'Brien", "McDonald", "Van der Berg", "García", "Nguyễn", "Smith-Jones",
                           "D'Angelo", "Müller", "Søren", "MacLeod"])
        return first, last

    def name(self, d, first, last, style=None):
        style = style or self.c(["full", "full", "full", "last", "first", "initial", "comma"])
        if style == "full":
            d.v(f"{first} {last}", "NAME")
        elif style == "last":
            d.v(last, "NAME")
        elif style == "first":
            d.v(first, "NAME")
        elif style == "initial":
            d.v(f"{first[0]}. {last}", "NAME")
        else:
            d.v(f"{last}, {first}", "NAME")

    # --- dates ---
    def ymd(self, lo=1925, hi=2025):
        y = self.r.randint(lo, hi)
        m = self.r.randint(1, 12)
        dmax = [31, 29 if (y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)) else 28, 31, 30, 31,
                30, 31, 31, 30, 31, 30, 31][m - 1]
        return y, m, self.r.randint(1, dmax)

    def date_str(self, fr=False, lo=1925, hi=2025):
        y, m, dd = self.ymd(lo, hi)
        if fr:
            forms = [f"{dd:02d}/{m:02d}/{y}", f"{dd}/{m}/{y}", f"{dd} {MONTHS_FR[m-1]} {y}",
                     f"{'1er' if dd == 1 else dd} {MONTHS_FR[m-1]} {y}", f"{dd:02d}.{m:02d}.{y}",
                     f"{y}-{m:02d}-{dd:02d}", f"{dd:02d}-{m:02d}-{y}"]
            return self.c(forms)
        mon = MONTHS_EN[m - 1]
        suf = "th" if 11 <= dd <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(dd % 10, "th")
        forms = [
            f"{m:02d}/{dd:02d}/{y}", f"{m}/{dd}/{y}", f"{m}/{dd}/{y % 100:02d}",
            f"{m}-{dd}-{y % 100:02d}", f"{y}-{m:02d}-{dd:02d}", f"{mon[:3]} {dd} {y}",
            f"{mon[:3]} {dd}, {y}", f"{mon} {dd}, {y}", f"{mon} {dd}{suf}, {y}",
            f"{dd} {mon} {y}", f"{dd}{suf} of {mon}", f"{mon} {dd}{suf}", f"{dd}-{mon[:3]}-{y}",
            f"{m:02d}-{dd:02d}-{y}", f"{mon} {dd}", f"{mon[:3]}. {dd}, {y}",
        ]
        return self.c(forms)

    # --- contact ---
    def us_phone(self):
        npa = f"{self.r.randint(2, 9)}{self.r.randint(0, 9)}{self.r.randint(0, 9)}"
        while npa[1:] == "11":
            npa = f"{self.r.randint(2, 9)}{self.r.randint(0, 8)}{self.r.randint(0, 9)}"
        nxx = f"{self.r.randint(2, 9)}{self.digits(2)}"
        if self.p(0.25):
            nxx, line = "555", f"01{self.digits(2)}"
        else:
            line = self.digits(4)
        form = self.c(["({a}) {b}-{c}", "{a}-{b}-{c}", "{a}.{b}.{c}", "+1 {a} {b} {c}",
                       "1-{a}-{b}-{c}", "{a}{b}{c}", "({a}){b}-{c}", "+1 ({a}) {b}-{c}"])
        s = form.format(a=npa, b=nxx, c=line)
        if self.p(0.1):
            s += self.c([" ext. ", " x", " ext "]) + self.digits(self.r.randint(2, 4))
        return s

    def fr_phone(self):
        d = [self.c("1234567")] + [self.digits(2) for _ in range(4)]
        if self.p(0.3):
            return "+33 " + d[0] + " " + " ".join(d[1:])
        sep = self.c([" ", ".", "", "-"])
        return "0" + d[0] + sep + sep.join(d[1:])

    def email(self, first, last, fr=False):
        f = self.strip(first).lower()
        la = self.strip(last).lower()
        local = self.c([f"{f}.{la}", f"{f}{la}", f"{f[0]}{la}", f"{f}_{la}{self.digits(2)}",
                        f"{la}.{f}", f"{f}{self.digits(4)}"])
        return f"{local}@{self.c(FR_DOMAINS if fr else DOMAINS)}"

    @staticmethod
    def strip(s):
        table = str.maketrans("éèêëàâäîïôöûüçñøễ", "eeeeaaaiioouucnoe")
        return "".join(ch for ch in s.translate(table) if ch.isascii() and ch.isalnum()) or "x"

    def address_us(self, d, oneline=True):
        num = str(self.r.randint(1, 19999))
        street = f"{num} {self.c(STREETS_US)} {self.c(SUFFIX_US)}"
        if self.p(0.3):
            street += (", " if self.p(0.5) else " ") + self.c(UNIT_US)
        city = self.c(US_CITIES)
        st = self.c(STATES)[1]
        z = f"{self.r.randint(1, 99999):05d}"
        if self.p(0.2):
            z += f"-{self.r.randint(1, 9999):04d}"
        sep = ", " if oneline else "\n"
        d.v(f"{street}{sep}{city}, {st} {z}", "ADDRESS")

    def address_fr(self, d):
        num = str(self.r.randint(1, 180))
        if self.p(0.15):
            num += self.c([" bis", " ter"])
        cp = f"{self.r.randint(1, 95):02d}{self.r.randint(0, 999):03d}"
        d.v(f"{num} {self.c(FR_STREET)} {self.c(FR_STREET_NAMES)}, {cp} {self.c(FR_CITIES)}",
            "ADDRESS")

    # --- identifiers ---
    def ssn(self):
        while True:
            a = self.r.randint(1, 899)
            if a == 666:
                continue
            g = self.r.randint(1, 99)
            s = self.r.randint(1, 9999)
            v = f"{a:03d}{g:02d}{s:04d}"
            if v not in ("078051120", "219099999", "123456789"):
                break
        form = self.c(["{}-{}-{}", "{}-{}-{}", "{} {} {}", "{}{}{}"])
        return form.format(v[:3], v[3:5], v[5:])

    @staticmethod
    def luhn_digit(body):
        total = 0
        for i, ch in enumerate(reversed(body)):
            x = int(ch)
            if i % 2 == 0:
                x *= 2
                if x > 9:
                    x -= 9
            total += x
        return str((10 - total % 10) % 10)

    def card(self):
        kind = self.c(["visa", "visa", "mc", "mc2", "amex", "disc"])
        if kind == "amex":
            body = self.c(["34", "37"]) + self.digits(12)
            n = body + self.luhn_digit(body)
            return f"{n[:4]} {n[4:10]} {n[10:]}" if self.p(0.6) else n
        prefix = {"visa": "4", "mc": str(self.r.randint(51, 55)),
                  "mc2": str(self.r.randint(2221, 2720)), "disc": "6011"}[kind]
        body = prefix + self.digits(15 - len(prefix))
        n = body + self.luhn_digit(body)
        sep = self.c([" ", "-", ""])
        return sep.join(n[i:i + 4] for i in range(0, 16, 4))

    def routing(self):
        p = self.c([f"{self.r.randint(0, 12):02d}", f"{self.r.randint(21, 32)}",
                    f"{self.r.randint(61, 72)}"])
        d = [int(x) for x in p + self.digits(6)]
        s = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + d[2] + d[5]
        return "".join(map(str, d)) + str((10 - s % 10) % 10)

    def dea(self, last):
        first = self.c("ABFGMPR")
        second = self.strip(last)[0].upper()
        d = [int(x) for x in self.digits(6)]
        chk = (d[0] + d[2] + d[4] + 2 * (d[1] + d[3] + d[5])) % 10
        return first + second + "".join(map(str, d)) + str(chk)

    def npi(self):
        body = self.c("12") + self.digits(8)
        return body + self.luhn_digit("80840" + body)

    def vin(self):
        chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        tr = {**{str(i): i for i in range(10)}, **dict(zip("ABCDEFGH", range(1, 9))),
              **dict(zip("JKLMN", range(1, 6))), "P": 7, "R": 9,
              **dict(zip("STUVWXYZ", range(2, 10)))}
        w = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
        v = [self.c(chars) for _ in range(17)]
        v[0] = self.c("12345JKLSWZ")
        total = sum(tr[ch] * wt for ch, wt in zip(v, w))
        v[8] = "X" if total % 11 == 10 else str(total % 11)
        return "".join(v)

    def mbi(self):
        letters = [ch for ch in string.ascii_uppercase if ch not in "SLOIBZ"]
        an = letters + list(string.digits)
        s = [str(self.r.randint(1, 9)), self.c(letters), self.c(an), self.c(string.digits),
             self.c(letters), self.c(an), self.c(string.digits), self.c(letters),
             self.c(letters), self.c(string.digits), self.c(string.digits)]
        s = "".join(s)
        return f"{s[:4]}-{s[4:7]}-{s[7:]}" if self.p(0.5) else s

    def nir(self):
        sex = self.c("12")
        yy = f"{self.r.randint(0, 99):02d}"
        mm = f"{self.r.randint(1, 12):02d}"
        dept = self.c([f"{self.r.randint(1, 95):02d}"] * 8 + ["2A", "2B"])
        body = sex + yy + mm + dept + self.digits(3) + self.digits(3)
        num = int(body.replace("2A", "19").replace("2B", "18")) if dept in ("2A", "2B") \
            else int(body)
        key = f"{97 - num % 97:02d}"
        if self.p(0.6):
            return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key}"
        return body + key

    def iban_fr(self):
        bban = self.digits(10) + "".join(self.c(string.digits + "ABCDEFGH") for _ in range(11)) \
            + self.digits(2)
        num = "".join(str(int(ch, 36)) for ch in bban + "FR00")
        check = f"{98 - int(num) % 97:02d}"
        raw = "FR" + check + bban
        return " ".join(raw[i:i + 4] for i in range(0, len(raw), 4)) if self.p(0.6) else raw

    def hicn(self):
        v = self.ssn().replace("-", "").replace(" ", "")
        return v + self.c(["A", "B", "C1", "D", "M", "T", "W", "B2"])

    def adeli(self):
        return f"{self.r.randint(1, 95):02d}" + self.c(["91", "93", "95", "96", "81", "31"]) \
            + self.digits(5)

    def e164_intl(self):
        return self.c([f"+44 20 {self.digits(4)} {self.digits(4)}",
                       f"+49 30 {self.digits(8)}", f"+34 6{self.digits(2)} {self.digits(3)} {self.digits(3)}",
                       f"+52 55 {self.digits(4)} {self.digits(4)}", f"+61 4{self.digits(2)} {self.digits(3)} {self.digits(3)}"])

    def rpps(self):
        body = "10" + self.digits(8)
        return body + self.luhn_digit(body)

    def finess(self):
        body = f"{self.r.randint(1, 95):02d}" + self.digits(6)
        return body + self.luhn_digit(body)

    def mrn(self):
        return self.c([self.digits(self.r.randint(6, 9)), "MR" + self.digits(7),
                       self.c("ABCDEFGHK") + self.digits(7), self.digits(3) + "-" + self.digits(4)
                       + "-" + self.digits(2)])

    def member_id(self):
        return self.c([self.c(["XYZ", "ABC", "W", "H", "JQX", "MEM"]) + self.digits(9),
                       self.digits(3) + "-" + self.digits(3) + "-" + self.digits(3) + "-A",
                       "U" + self.digits(8) + "01"])

    def ipv4(self):
        return ".".join(str(x) for x in [self.c([23, 45, 67, 73, 98, 104, 172, 192, 203, 81]),
                                          self.r.randint(0, 255), self.r.randint(0, 255),
                                          self.r.randint(1, 254)])

    def ipv6(self):
        g = [f"{self.r.randint(0, 0xffff):x}" for _ in range(8)]
        g[0] = self.c(["2001", "2a01", "2600", "fe80"])
        if self.p(0.5):
            return f"{g[0]}:{g[1]}:{g[2]}::{g[6]}:{g[7]}"
        return ":".join(g)

    def plate(self):
        return self.c([f"{self.r.randint(1, 9)}{''.join(self.c(string.ascii_uppercase) for _ in range(3))}{self.digits(3)}",
                       f"{''.join(self.c(string.ascii_uppercase) for _ in range(3))}-{self.digits(4)}",
                       f"{''.join(self.c(string.ascii_uppercase) for _ in range(2))}-{self.digits(3)}-{''.join(self.c(string.ascii_uppercase) for _ in range(2))}"])

    def serial(self):
        alnum = string.ascii_uppercase + string.digits
        return self.c(["SN" + "".join(self.c(alnum) for _ in range(9)),
                       "".join(self.c(alnum) for _ in range(4)) + "-" + "".join(self.c(alnum) for _ in range(6)),
                       f"(01)00{self.digits(12)}(17){self.r.randint(24, 30)}{self.r.randint(1, 12):02d}{self.r.randint(1, 28):02d}(21){self.digits(6)}"])

    def url(self, first, last):
        f, la = self.strip(first).lower(), self.strip(last).lower()
        return self.c([f"https://www.facebook.com/{f}.{la}{self.digits(2)}",
                       f"https://portal.mercyhealth-example.org/patients/{self.digits(7)}/records",
                       f"http://www.linkedin.com/in/{f}-{la}-{self.digits(4)}",
                       f"https://mychart.example-clinic.com/MyChart/Visits?pid={self.digits(8)}",
                       f"https://drive.example.com/file/d/{''.join(self.c(string.ascii_letters) for _ in range(12))}/{f}_{la}_labs.pdf",
                       f"www.{la}family.net/photos"])

    # --- look-alikes (never labelled) ---
    def lookalike(self, kind=None):
        """A PHI-looking value that must not be flagged. kind: id, time, amount, version, misc."""
        a = string.ascii_uppercase
        an = a + string.digits
        groups = {
            "id": [
                lambda: f"Order #{self.c(a)}{self.digits(8)}",
                lambda: f"order number {self.digits(3)}-{self.digits(7)}-{self.digits(7)}",
                lambda: f"tracking number 1Z{''.join(self.c(an) for _ in range(6))}{self.digits(10)}",
                lambda: f"FedEx tracking {self.digits(4)} {self.digits(4)} {self.digits(4)}",
                lambda: f"ticket #{self.digits(5)}",
                lambda: f"case {self.digits(7)}",
                lambda: f"invoice INV-{self.r.randint(2019, 2025)}-{self.digits(5)}",
                lambda: f"SKU {self.digits(2)}-{self.digits(4)}-{self.c(['XL', 'M', 'S', 'BLK'])}",
                lambda: f"promo code {''.join(self.c(a) for _ in range(6))}{self.digits(2)}",
                lambda: f"confirmation {''.join(self.c(an) for _ in range(6))}",
                lambda: f"ISBN 978-{self.digits(1)}-{self.digits(3)}-{self.digits(5)}-{self.digits(1)}",
                lambda: f"reference {self.c(a)}{self.c(a)}-{self.digits(6)}",
                lambda: f"request ID {''.join(self.c('0123456789abcdef') for _ in range(8))}-{''.join(self.c('0123456789abcdef') for _ in range(4))}",
            ],
            "time": [
                lambda: f"{self.r.randint(1, 12)}:{self.c(['00', '15', '30', '45'])} {self.c(['AM', 'PM', 'am', 'pm'])}",
                lambda: f"{self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}",
                lambda: f"{self.r.randint(7, 20)}h{self.c(['00', '30', '15'])}",
                lambda: f"{self.r.randint(1, 12)}{self.c(['am', 'pm'])}",
                lambda: f"{self.r.randint(0, 23):02d}:{self.r.randint(0, 59):02d}:{self.r.randint(0, 59):02d} UTC",
            ],
            "amount": [
                lambda: f"${self.r.randint(1, 9999):,}.{self.digits(2)}",
                lambda: f"{self.r.randint(1, 999)},{self.digits(2)} €",
                lambda: f"{self.r.randint(1, 100)}%",
                lambda: f"{self.r.randint(2, 500)} mg",
                lambda: f"{self.r.randint(1, 40)} units",
                lambda: f"{self.r.randint(1, 30)} days",
                lambda: f"USD {self.r.randint(10, 999)}.{self.digits(2)}",
            ],
            "version": [
                lambda: f"version {self.r.randint(1, 12)}.{self.r.randint(0, 20)}.{self.r.randint(0, 99)}",
                lambda: f"v{self.r.randint(1, 9)}.{self.r.randint(0, 9)}.{self.r.randint(0, 30)}",
                lambda: f"Windows build 10.0.{self.r.randint(10000, 22631)}",
                lambda: f"app version {self.r.randint(1, 9)}.{self.r.randint(0, 9)}.{self.r.randint(0, 9)}.{self.r.randint(0, 999)}",
                lambda: f"iOS {self.r.randint(14, 18)}.{self.r.randint(0, 6)}",
                lambda: f"Chrome {self.r.randint(100, 131)}.0.{self.r.randint(1000, 6999)}.{self.r.randint(10, 200)}",
                lambda: f"commit {''.join(self.c('0123456789abcdef') for _ in range(self.c([7, 12, 40])))}",
            ],
            "misc": [
                lambda: f"error code 0x{''.join(self.c('0123456789ABCDEF') for _ in range(8))}",
                lambda: f"HTTP {self.c(['404', '500', '502', '503', '429'])}",
                lambda: f"in {self.r.randint(1990, 2025)}",
                lambda: f"{self.r.randint(18, 89)} years old",
                lambda: f"a {self.r.randint(18, 89)}-year-old account",
                lambda: f"room {self.r.randint(100, 999)}",
                lambda: f"Q{self.r.randint(1, 4)} {self.r.randint(2019, 2026)}",
                lambda: f"step {self.r.randint(1, 9)} of {self.r.randint(9, 12)}",
                lambda: f"port {self.c(['8080', '443', '5432', '6379'])}",
                lambda: f"ratio {self.r.randint(1, 9)}/{self.r.randint(1, 9)}",
                lambda: f"page {self.r.randint(1, 40)}/{self.r.randint(40, 90)}",
                lambda: f"error E{self.digits(4)}",
            ],
        }
        if kind is None:
            kind = self.c(list(groups))
        self.lookalikes[kind] += 1
        return self.c(groups[kind])()

    def prose(self):
        """Prose containing surnames that are common words (never NAME)."""
        self.lookalikes["word-name prose"] += 1
        return self.c([
            "We hope you will grow to love the new dashboard.",
            "Please mark this as resolved once the bill is paid.",
            "The white paper explains how we handle data at rest.",
            "May I ask you to grant access to the shared drive?",
            "You can park near the north entrance and walk to the main hall.",
            "In that case, we will rush the replacement and ship it by the end of the week.",
            "The price of the long plan is lower if you pay in advance.",
            "Our team will chase the carrier and keep you posted.",
            "Feel free to ring the bell at the front desk.",
            "It was a sharp drop in traffic, but the page loads fine now.",
            "Keep the key in a safe place; the star icon marks your favourites.",
            "The rose-gold case is out of stock, but the black one ships today.",
            "We found a faith-based nonprofit plan that may fit your budget.",
            "Art and design assets live in the brown folder on the shared drive.",
            "The young team at the help desk will walk you through it.",
            "A guy from the warehouse will call once the package is ready.",
            "Our summer sale ends soon; the green button applies the discount.",
            "Please review the terms in the case file and sign on page two.",
            "Hope this helps! Will do a follow-up tomorrow.",
            "May I suggest clearing the cache first? Grant the permission when asked.",
            "Bill Pay is available under Accounts; Mark All As Read is in the menu.",
            "Chase Bank and Wells Fargo cards are both accepted at checkout.",
            "Rose Gold, Sky Blue and Forest Green are back in stock.",
            "Summer hours: the Park Avenue store closes early on Fridays.",
            "Long story short, the Sun Valley warehouse shipped the wrong case.",
            "Young Adult and Art History titles are 20% off this week.",
            "Nous espérons que la mise à jour vous plaira.",
            "Merci de patienter pendant que nous vérifions votre commande.",
        ])


# === document builders ===

def health_bits(g):
    return g.c(CONDITIONS), g.c(MEDS), g.c(PROCS)


def support_ticket(g, d):
    first, last = g.person()
    cond, med, proc = health_bits(g)
    d.t(g.c(["Subject: ", "Re: ", ""]) + g.c(["Billing question", "Can't log in", "Claim denied",
                                              "Refill not received", "Update my address",
                                              "Portal error", "Appointment change"]) + "\n\n")
    d.t(g.c(["Hi", "Hello", "Dear support", "Hey team", "Good morning"]) + ",\n\n")
    if g.p(0.7):
        d.t(g.c(["My name is ", "This is ", "I am writing for my mother, "]))
        g.name(d, first, last, "full")
        d.t(". ")
    if g.p(0.6):
        d.t(g.c(["My date of birth is ", "DOB: ", "I was born on ", "Date of birth "]))
        d.v(g.date_str(lo=1925, hi=2005), "DATE", "date")
        d.t(". ")
    if g.p(0.5):
        d.t(f"I was diagnosed with {cond} and my doctor prescribed {med}. ")
    if g.p(0.5):
        d.t(g.c(["My member ID is ", "Member ID: ", "Subscriber ID ", "Policy number "]))
        d.v(g.member_id(), "HEALTH_PLAN_ID")
        d.t(". ")
    if g.p(0.3):
        d.t(g.c(["My Medicare number is ", "MBI: ", "Medicare Beneficiary Identifier "]))
        d.v(g.mbi(), "HEALTH_PLAN_ID", "mbi")
        d.t(". ")
    if g.p(0.35):
        d.t(g.c(["My SSN is ", "SSN: ", "social security number ", "Social: "]))
        d.v(g.ssn(), "SSN", "ssn")
        d.t(". ")
    if g.p(0.3):
        d.t(g.c(["I paid with my card ", "Card number: ", "the card ending in, full number "]))
        d.v(g.card(), "ACCOUNT_NUMBER", "card")
        d.t(g.c([" exp 04/27", ", expiry 11/26", ""]) + ". ")
    if g.p(0.15):
        d.t("Please refund to routing number ")
        d.v(g.routing(), "ACCOUNT_NUMBER", "aba_routing")
        d.t(" account ")
        d.v(g.digits(g.r.randint(8, 12)), "ACCOUNT_NUMBER")
        d.t(". ")
    d.t(g.c(["I placed ", "Regarding ", "About ", "Re "]) + g.lookalike("id") + " and "
        + g.lookalike("id") + g.c([f" ({g.lookalike('amount')})", f" on {g.lookalike('version')}", ""])
        + ". ")
    d.t(g.prose() + " ")
    if g.p(0.5):
        d.t(g.c(["My new address is ", "Please ship to ", "Mailing address: "]))
        g.address_us(d)
        d.t(". ")
    if g.p(0.6):
        d.t(g.c(["You can reach me at ", "Call me at ", "Phone: ", "Cell "]))
        d.v(g.us_phone(), "PHONE", "us_phone")
        if g.p(0.3):
            d.t(" or fax ")
            d.v(g.us_phone(), "FAX", "us_phone")
        d.t(g.c([" after ", " before ", " around "]) + g.lookalike("time") + ". ")
    if g.p(0.5):
        d.t(g.c(["Email: ", "or email ", "My email is "]))
        d.v(g.email(first, last), "EMAIL", "email")
        d.t(". ")
    if g.p(0.2):
        d.t(f"The error {g.lookalike('misc')} appeared after {g.lookalike('version')} on my laptop (IP ")
        if g.p(0.7):
            d.v(g.ipv4(), "IP_ADDRESS", "ipv4")
        else:
            d.v(g.ipv6(), "IP_ADDRESS", "ipv6")
        d.t("). ")
    if g.p(0.15):
        d.t("My profile is at ")
        d.v(g.url(first, last), "URL")
        d.t(" . ")
    if g.p(0.2):
        d.t(f"I had my {proc} on ")
        d.v(g.date_str(lo=2018, hi=2025), "DATE", "date")
        d.t(" at " + g.lookalike("time") + ". ")
    d.t("\n\n" + g.c(["Thanks,", "Thank you,", "Regards,", "Best,", "Sincerely,", "Cheers,"]) + "\n")
    g.name(d, first, last, g.c(["full", "first", "initial"]))
    d.t("\n")


def chat(g, d):
    first, last = g.person()
    agent_first, _ = g.person()
    cond, med, _ = health_bits(g)
    user = g.c(["End-user", "Customer", "User", first])
    if user == first:
        d.v(first, "NAME")
    else:
        d.t(user)
    d.t(": " + g.c(["hi", "Hello", "hey there", "Hi, I need help"]) + "\n")
    d.t("AI agent: Hello! I'm the virtual assistant. Can I have your full name and date of birth to verify your account?\n")
    d.v(first, "NAME") if user == first else d.t(user)
    d.t(": sure, it's ")
    if g.p(0.08):
        # Chat users often type their own name in lower case.
        d.v(f"{first} {last}".lower(), "NAME")
    else:
        g.name(d, first, last, g.c(["full", "full", "comma"]))
    d.t(g.c([", born ", ", dob ", " / "]))
    d.v(g.date_str(lo=1925, hi=2005), "DATE", "date")
    d.t("\n")
    d.t("AI agent: Thanks")
    if g.p(0.6):
        d.t(", ")
        d.v(first, "NAME")
    d.t("! How can I help today?\n")
    d.v(first, "NAME") if user == first else d.t(user)
    issue = g.c([
        f"my {med} refill for {cond} never arrived, {g.lookalike('id')}",
        f"I was charged twice, {g.lookalike('amount')} on {g.lookalike('id')}",
        f"the app crashes on {g.lookalike('version')} with {g.lookalike('misc')}",
        f"I need to update my phone number",
    ])
    d.t(": " + issue + "\n")
    d.t("AI agent: I'm sorry about that. " + g.prose() + " Could you confirm the best phone number?\n")
    d.v(first, "NAME") if user == first else d.t(user)
    d.t(": ")
    d.v(g.us_phone(), "PHONE", "us_phone")
    if g.p(0.4):
        d.t(" and my email is ")
        d.v(g.email(first, last), "EMAIL", "email")
    d.t("\n")
    if g.p(0.3):
        d.t("AI agent: For your security, please don't share your full card or SSN here. I see you wrote ")
        d.v(g.ssn(), "SSN", "ssn")
        d.t(" earlier; I will ask a human to remove it.\n")
    d.t("System: Conversation transferred to ")
    d.v(agent_first, "NAME")
    d.t(" (human agent)\n")
    d.v(agent_first, "NAME")
    d.t(": Hi ")
    d.v(first, "NAME")
    d.t(", I've reopened " + g.lookalike("id") + ". ")
    if g.p(0.5):
        d.t("I also see your appointment on ")
        d.v(g.date_str(lo=2024, hi=2026), "DATE", "date")
        d.t(" at " + g.lookalike("time") + ". ")
    if g.p(0.3):
        d.t("Is your address still ")
        g.address_us(d)
        d.t("?")
    d.t("\n")
    d.v(first, "NAME") if user == first else d.t(user)
    d.t(": " + g.c(["yes thanks 🙏", "yep", "correct, merci!", "ok 👍 thank you", "yes"]) + "\n")


def clinical(g, d):
    first, last = g.person()
    doc_first, doc_last = g.person()
    cond, med, proc = health_bits(g)
    d.t(g.c(["PATIENT: ", "Patient: ", "Pt name: ", "Name: "]))
    g.name(d, first, last, g.c(["full", "comma"]))
    d.t("    " + g.c(["MRN: ", "MRN ", "Medical Record #: ", "MR#"]))
    d.v(g.mrn(), "MRN")
    d.t("\n" + g.c(["DOB: ", "Date of birth: ", "D.O.B. "]))
    d.v(g.date_str(lo=1925, hi=2010), "DATE", "date")
    d.t(g.c(["    Admission: ", "    Visit date: ", "    Seen: "]))
    d.v(g.date_str(lo=2019, hi=2025), "DATE", "date")
    d.t("\n\n")
    if g.p(0.35):
        age = str(g.r.randint(90, 104))
        d.t(g.c(["HPI: ", "History: "]))
        form = g.c(["{}-year-old", "{} year old", "{} y/o", "aged {}", "age {}", "{} yo"])
        pre, post = form.split("{}")
        d.t(pre)
        d.v(age, "AGE_OVER_89")
        d.t(post + f" {g.c(['female', 'male', 'woman', 'man'])} with a history of {cond} ")
    else:
        d.t(f"HPI: {g.r.randint(18, 89)}-year-old {g.c(['female', 'male'])} with a history of {cond} ")
    d.t(f"presents for follow-up after {proc}. Currently on {med} {g.r.randint(5, 500)} mg daily. ")
    d.t(f"Vitals: BP {g.r.randint(100, 160)}/{g.r.randint(60, 95)}, HR {g.r.randint(55, 110)}, "
        f"temp {g.r.randint(97, 101)}.{g.r.randint(0, 9)} F. ")
    if g.p(0.5):
        d.t("Lives with daughter ")
        d.v(g.c(FIRST), "NAME")
        d.t(" at ")
        g.address_us(d)
        d.t(". ")
    if g.p(0.4):
        d.t("Emergency contact: ")
        f2, l2 = g.person()
        g.name(d, f2, l2, "full")
        d.t(", ")
        d.v(g.us_phone(), "PHONE", "us_phone")
        d.t(". ")
    if g.p(0.3):
        d.t(g.c(["Medicare MBI ", "Medicare ID: "]))
        d.v(g.mbi(), "HEALTH_PLAN_ID", "mbi")
        d.t(". ")
    if g.p(0.2):
        d.t(g.c(["Pacemaker serial number ", "Insulin pump serial: ", "Device UDI "]))
        d.v(g.serial(), "DEVICE_ID")
        d.t(". ")
    if g.p(0.15):
        d.t("Patient drives a car with VIN ")
        d.v(g.vin(), "VEHICLE_ID", "vin")
        d.t(" and plate ")
        d.v(g.plate(), "VEHICLE_ID")
        d.t("; parking validated. ")
    if g.p(0.1):
        d.t("Biometric enrollment: fingerprint template ID ")
        d.v("FP-" + g.digits(6) + "-" + "".join(g.c(string.ascii_uppercase) for _ in range(2)),
            "BIOMETRIC_ID")
        d.t(". ")
    if g.p(0.1):
        d.t("Passport number ")
        d.v(g.c(string.ascii_uppercase) + g.digits(8), "OTHER_ID")
        d.t(" on file for travel letter. ")
    d.t(f"\nLabs drawn at {g.lookalike('time')}: A1c {g.r.randint(5, 11)}.{g.r.randint(0, 9)}%, creatinine "
        f"{g.r.randint(0, 2)}.{g.r.randint(0, 9)}. ICD-10 {g.c(['E11.9', 'I10', 'J45.909', 'N18.3', 'F32.A'])}.\n")
    d.t(f"Plan: continue {med}; follow up in {g.r.randint(2, 12)} weeks.\n\n")
    d.t(g.c(["Electronically signed by ", "Signed: ", "Attending: "]) + g.c(["Dr. ", "", "Dr "]))
    g.name(d, doc_first, doc_last, g.c(["full", "initial", "last"]))
    d.t(g.c([", MD", ", DO", " MD", ", NP", ", PA-C"]))
    if g.p(0.6):
        d.t("  NPI: ")
        d.v(g.npi(), "LICENSE_NUMBER", "npi")
    if g.p(0.4):
        d.t("  DEA: ")
        d.v(g.dea(doc_last), "LICENSE_NUMBER", "dea")
    if g.p(0.2):
        d.t("  State license #")
        d.v(g.c(["G", "A", "MD", "RN"]) + g.digits(g.r.randint(5, 7)), "LICENSE_NUMBER")
    d.t("\n")
    if g.p(0.3):
        d.t("Fax results to ")
        d.v(g.us_phone(), "FAX", "us_phone")
        d.t(".\n")


def soap_note(g, d):
    """Progress / discharge note in the terse style of real notes (caps, abbreviations)."""
    first, last = g.person()
    cond, med, proc = health_bits(g)
    d.t(g.c(["PROGRESS NOTE\n", "DISCHARGE SUMMARY\n", "ED NOTE\n", "TELEPHONE ENCOUNTER\n"]))
    d.t("Pt: ")
    d.v(f"{last.upper()}, {first.upper()}" if g.p(0.5) else f"{last}, {first}", "NAME")
    d.t("  Acct#: ")
    d.v(g.digits(g.r.randint(8, 10)), "ACCOUNT_NUMBER")
    d.t("  MRN ")
    d.v(g.mrn(), "MRN")
    d.t("\nAdm: ")
    y, m, dd = g.ymd(2020, 2025)
    d.v(f"{m:02d}/{dd:02d}/{y}", "DATE", "date")
    d.t(f" {g.r.randint(0, 23):02d}:{g.r.randint(0, 59):02d}")
    d.t("  Disch: ")
    d.v(g.date_str(lo=2020, hi=2025), "DATE", "date")
    d.t("\n\nS: ")
    if g.p(0.4):
        d.t("Pt is a ")
        d.v(str(g.r.randint(90, 103)), "AGE_OVER_89", "age_over_89")
        d.t(g.c([" yo ", " y.o. ", " year old ", "F ", "M "]))
    else:
        d.t(f"Pt is a {g.r.randint(20, 89)} yo ")
    d.t(f"c/o {cond}. Pt states symptoms started ")
    if g.p(0.5):
        d.v(f"{g.r.randint(1, 12)}/{g.r.randint(1, 28)}", "DATE", "month_day")
    else:
        d.v(g.date_str(lo=2023, hi=2025), "DATE", "date")
    d.t(f". Took {med} {g.r.randint(1, 4)} tab(s) q{g.c(['4', '6', '8', '12'])}h, pain {g.r.randint(1, 9)}/10.\n")
    d.t(f"O: T {g.r.randint(97, 102)}.{g.r.randint(0, 9)} HR {g.r.randint(50, 120)} BP {g.r.randint(95, 170)}/"
        f"{g.r.randint(55, 100)} SpO2 {g.r.randint(88, 100)}% RA. ")
    d.t(f"s/p {proc}. Labs at {g.lookalike('time')} unremarkable.\n")
    d.t("A/P: " + cond + f" — cont {med}, recheck in {g.r.randint(1, 6)} wk. ")
    if g.p(0.5):
        d.t("D/w pt's " + g.c(["wife", "husband", "son", "daughter", "niece"]) + " ")
        f2, l2 = g.person()
        g.name(d, f2, l2, g.c(["full", "first"]))
        d.t(" at ")
        d.v(g.us_phone(), "PHONE", "us_phone")
        d.t(". ")
    if g.p(0.3):
        d.t("Home health agency fax ")
        d.v(g.us_phone(), "FAX", "us_phone")
        d.t(". ")
    if g.p(0.2):
        d.t("CPAP device serial ")
        d.v(g.serial(), "DEVICE_ID")
        d.t(". ")
    if g.p(0.2):
        d.t("Pt email on file: ")
        d.v(g.email(first, last), "EMAIL", "email")
        d.t(". ")
    d.t("\n-- ")
    df, dl = g.person()
    g.name(d, df, dl, g.c(["full", "initial"]))
    d.t(g.c([", RN", ", MD", " NP", ", PA-C"]) + " " + g.lookalike("time") + "\n")


def french(g, d):
    first, last = g.person(fr=True)
    doc_first, doc_last = g.person(fr=True)
    cond = g.c([c for c in CONDITIONS if any(ch in c for ch in "éèàçû") or c in (
        "diabète", "asthme", "grippe", "migraine", "dépression")] or CONDITIONS)
    d.t(g.c(["Bonjour,\n\n", "Madame, Monsieur,\n\n", "Bonjour Docteur,\n\n"]))
    d.t(g.c(["Je m'appelle ", "Je suis ", "Je vous écris pour ma mère, Mme "]))
    g.name(d, first, last, g.c(["full", "full", "last"]))
    d.t(g.c([", née le ", ", né le ", " (date de naissance : "]))
    d.v(g.date_str(fr=True, lo=1930, hi=2005), "DATE", "date")
    d.t(g.c([". ", "). "]))
    if g.p(0.6):
        d.t(g.c(["Mon numéro de sécurité sociale est ", "NIR : ", "N° INS : "]))
        d.v(g.nir(), "NATIONAL_ID", "nir")
        d.t(". ")
    d.t(f"Je suis suivie pour {cond} par le Dr ")
    g.name(d, doc_first, doc_last, "last")
    if g.p(0.6):
        d.t(" (RPPS ")
        d.v(g.rpps(), "LICENSE_NUMBER", "rpps")
        d.t(")")
    if g.p(0.15):
        d.t(", kinésithérapeute ADELI ")
        d.v(g.adeli(), "LICENSE_NUMBER", "adeli")
    if g.p(0.4):
        d.t(", à la clinique (FINESS ")
        d.v(g.finess(), "OTHER_ID", "finess")
        d.t(")")
    d.t(". ")
    d.t(f"Ma commande ({g.lookalike('id')}, {g.lookalike('amount')}) n'est pas arrivée. ")
    if g.p(0.6):
        d.t(g.c(["Mon adresse : ", "Vous pouvez m'écrire au ", "J'habite au "]))
        g.address_fr(d)
        d.t(". ")
    if g.p(0.7):
        d.t(g.c(["Mon téléphone : ", "Tél. ", "Vous pouvez me joindre au "]))
        d.v(g.fr_phone(), "PHONE", "fr_phone")
        d.t(". ")
    if g.p(0.4):
        d.t("Courriel : ")
        d.v(g.email(first, last, fr=True), "EMAIL", "email")
        d.t(". ")
    if g.p(0.15):
        d.t("Remboursement sur mon IBAN ")
        d.v(g.iban_fr(), "ACCOUNT_NUMBER", "iban")
        d.t(". ")
    if g.p(0.3):
        d.t("Rendez-vous prévu le ")
        d.v(g.date_str(fr=True, lo=2024, hi=2026), "DATE", "date")
        d.t(" à " + g.lookalike("time") + ". ")
    d.t(g.prose() + "\n\n" + g.c(["Cordialement,\n", "Merci d'avance,\n", "Bien à vous,\n"]))
    g.name(d, first, last, "full")
    d.t("\n")


def html_comment(g, d):
    first, last = g.person()
    cond, med, _ = health_bits(g)
    d.t("<div class=\"zd-comment\" dir=\"auto\"><p>" + g.c(["Hi", "Hello", "Dear"]) + " <strong>")
    d.v(first, "NAME")
    d.t("</strong>,</p>\n<p>Thanks for contacting us about " + g.lookalike("id")
        + " &amp; your " + g.c(["refill", "claim", "bill"]) + ".&nbsp;")
    if g.p(0.5):
        d.t("We have your date of birth as <b>")
        d.v(g.date_str(), "DATE", "date")
        d.t("</b> and phone <a href=\"tel:+1\">")
        d.v(g.us_phone(), "PHONE", "us_phone")
        d.t("</a>. ")
    if g.p(0.4):
        d.t("Your claim for <em>" + cond + "</em> (member ")
        d.v(g.member_id(), "HEALTH_PLAN_ID")
        d.t(") is in review.")
    d.t("</p>\n")
    if g.p(0.4):
        d.t("<p>Shipping to:<br>")
        g.address_us(d)
        d.t("</p>\n")
    if g.p(0.3):
        d.t("<p>Portal: <a href=\"https://help.example.com\">")
        d.v(g.url(first, last), "URL")
        d.t("</a></p>\n")
    d.t("<p>" + g.prose() + " &lt;" + g.lookalike("misc") + "&gt;</p>\n")
    d.t("<p>" + g.c(["Best regards", "Thanks", "Kind regards"]) + ",<br>")
    af, al = g.person()
    if g.p(0.15):
        # Entity-encoded name: the gold span covers the raw HTML, entity included.
        d.v(f"{af} {g.c(['O&#39;Brien', 'D&#39;Angelo', 'O&#x27;Neil', 'Ch&eacute;rie'])}", "NAME")
    else:
        g.name(d, af, al, g.c(["full", "first"]))
    d.t("<br>Customer Care</p>\n<!-- macro 42 --></div>")
    d.html = True


def lookalike_doc(g, d):
    """PHI-free text full of numbers that must not be flagged."""
    kind = g.c(["order", "release", "shipping", "it"])
    if kind == "order":
        d.t(f"Order confirmation\n{g.lookalike('id')} placed at {g.lookalike('time')}.\n")
        for _ in range(g.r.randint(2, 5)):
            d.t(f"- {g.lookalike('id')} x{g.r.randint(1, 4)} @ {g.lookalike('amount')}\n")
        d.t(f"Total: {g.lookalike('amount')} ({g.lookalike('amount')} discount). {g.lookalike('id')}.\n")
    elif kind == "release":
        d.t(f"Release notes for {g.lookalike('version')}\n")
        for _ in range(g.r.randint(3, 6)):
            d.t(f"* Fixed {g.lookalike('misc')} in {g.lookalike('version')} ({g.lookalike('id')}).\n")
        d.t(g.prose() + "\n")
    elif kind == "shipping":
        d.t(f"Your package is on its way! {g.lookalike('id')}. Estimated delivery in {g.r.randint(2, 9)} days "
            f"between {g.lookalike('time')} and {g.lookalike('time')}. {g.prose()}\n")
    else:
        d.t(f"Incident {g.lookalike('id')}: {g.lookalike('misc')} on node-{g.r.randint(1, 40)} after deploy "
            f"{g.lookalike('version')}; latency rose {g.lookalike('amount')} at {g.lookalike('time')}. "
            f"Rolled back to {g.lookalike('version')}. "
            f"{g.prose()}\n")


def unicode_doc(g, d):
    """Identifiers embedded in non-ASCII text: offsets must stay exact."""
    first, last = g.person()
    d.t(g.c(["🚑 ", "日本語のメモ：", "Ünïcödé — ", "Привет! ", "注意 ", "👩‍⚕️ "]))
    d.t("patient ")
    g.name(d, first, last, "full")
    d.t(" 📞 ")
    d.v(g.us_phone(), "PHONE", "us_phone")
    d.t(" · ✉️ ")
    d.v(g.email(first, last), "EMAIL", "email")
    d.t(" · né(e) le ")
    d.v(g.date_str(fr=True), "DATE", "date")
    d.t(" — café ☕ " + g.lookalike("amount") + " 😀\n")


KINDS = [(support_ticket, 0.27), (chat, 0.18), (clinical, 0.15), (soap_note, 0.10),
         (french, 0.12), (html_comment, 0.08), (lookalike_doc, 0.07), (unicode_doc, 0.03)]


def build(seed, n):
    g = Gen(seed)
    docs = []
    funcs = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    for i in range(n):
        f = g.r.choices(funcs, weights)[0]
        d = Doc()
        f(g, d)
        text = d.text()
        spans = []
        for s in d.spans:
            if text[s["start"]:s["end"]] != s["_value"]:
                raise AssertionError(f"span mismatch in doc {i}")
            span = {"start": s["start"], "end": s["end"], "label": s["label"]}
            if s["check"]:
                span["check"] = s["check"]
            spans.append(span)
        for a, b in zip(spans, spans[1:]):
            if a["end"] > b["start"]:
                raise AssertionError(f"overlapping spans in doc {i}")
        docs.append({"id": f"dev-{i:05d}", "kind": f.__name__, "text": text, "html": d.html,
                     "spans": spans})
    build.lookalikes = dict(g.lookalikes)
    return docs


def parse_markup(path):
    """Reads hand-written documents: `=== <id> <kind> [html]` headers, `[[LABEL:value]]` spans.

    Lines starting with `#` before the first header are comments. Returns corpus records with
    offsets computed on the text after markup removal.
    """
    import re
    docs = []
    header = None
    body = []

    def flush():
        if header is None:
            return
        raw = "\n".join(body).rstrip("\n")
        d = Doc(html="html" in header[2:])
        pos = 0
        for m in re.finditer(r"\[\[([A-Z_0-9]+):(.*?)\]\]", raw, flags=re.S):
            d.t(raw[pos:m.start()])
            d.v(m.group(2), m.group(1))
            pos = m.end()
        d.t(raw[pos:])
        text = d.text()
        spans = []
        for s in d.spans:
            if text[s["start"]:s["end"]] != s["_value"] or not s["_value"]:
                raise AssertionError(f"{path}: bad span in {header[0]}")
            spans.append({"start": s["start"], "end": s["end"], "label": s["label"]})
        docs.append({"id": header[0], "kind": header[1], "text": text, "html": d.html,
                     "spans": spans})

    with open(path, encoding="utf-8") as f:
        for line in f.read().splitlines():
            if line.startswith("=== "):
                flush()
                header = line[4:].split()
                body = []
            elif header is None:
                if line and not line.startswith("#"):
                    raise AssertionError(f"{path}: text before the first === header")
            else:
                body.append(line)
    flush()
    return docs


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=20261124)
    ap.add_argument("--docs", type=int, default=1500)
    ap.add_argument("--out", default=str(HERE / "dev.jsonl"))
    ap.add_argument("--stats", action="store_true", help="print per-label span counts")
    ap.add_argument("--markup", help="convert a hand-written markup file instead of generating")
    args = ap.parse_args()
    if args.markup:
        docs = parse_markup(args.markup)
        build.lookalikes = {}
    else:
        docs = build(args.seed, args.docs)
    with open(args.out, "w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    counts = {}
    kinds = {}
    for doc in docs:
        kinds[doc["kind"]] = kinds.get(doc["kind"], 0) + 1
        for s in doc["spans"]:
            counts[s["label"]] = counts.get(s["label"], 0) + 1
    print(f"{len(docs)} documents -> {args.out}", file=sys.stderr)
    if args.stats:
        for k, v in sorted(kinds.items()):
            print(f"  kind {k}: {v}", file=sys.stderr)
        for k, v in sorted(counts.items()):
            print(f"  {k}: {v}", file=sys.stderr)
        for k, v in sorted(build.lookalikes.items()):
            print(f"  look-alike {k}: {v}", file=sys.stderr)


if __name__ == "__main__":
    main()
