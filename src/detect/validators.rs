//! Check-digit and format validators, looked up by name from rule files.
//!
//! Owns: the pure `&str → bool` checks that turn a regex candidate into a confirmed identifier
//! (check digits, issuer ranges, calendar validity, structural e-mail/IP/phone rules).
//! Must not: allocate on the common path, look at surrounding text (context belongs to the
//! engine), log, or panic on any input.
//!
//! One validator is a word-list check rather than a check digit: `given_name` accepts a word of
//! the first-name lists shipped in `patterns/dictionaries/` (compiled into the binary, built into
//! a set once on first use) that is not also a common English word. A rule directory given with
//! `--patterns` does not change that set.
//!
//! Each validator takes the candidate value exactly as matched (or its capture group) and
//! normalises separators itself: spaces, dashes, dots, slashes and parentheses between the
//! characters of an identifier are skipped where the identifier is commonly written that way.
//! Digits and characters are collected into fixed-size stack buffers, so an over-long candidate
//! is rejected without allocating.

use std::net::Ipv6Addr;
use std::str::FromStr;

/// A validator: candidate text → valid?
pub type Validator = fn(&str) -> bool;

/// Looks up a validator by the name used in rule files (`luhn`, `ssn`, `npi`, ...).
pub fn lookup(name: &str) -> Option<Validator> {
    NAMES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Every validator name with its function (the registry; `patterns check` lists unknown names).
pub const NAMES: &[(&str, Validator)] = &[
    ("aba_routing", aba_routing),
    ("adeli", adeli),
    ("age_over_89", age_over_89),
    ("card", card),
    ("date", date),
    ("dea", dea),
    ("e164", e164),
    ("email", email),
    ("finess", finess),
    ("fr_phone", fr_phone),
    ("fr_postcode", fr_postcode),
    ("given_name", given_name),
    ("given_name_last", given_name_last),
    ("hicn", hicn),
    ("iban", iban),
    ("icd10", icd10),
    ("ipv4", ipv4),
    ("ipv6", ipv6),
    ("luhn", luhn),
    ("mbi", mbi),
    ("month_day", month_day),
    ("nir", nir),
    ("npi", npi),
    ("rpps", rpps),
    ("ssn", ssn),
    ("us_phone", us_phone),
    ("vin", vin),
    ("zip_us", zip_us),
];

// === helpers ===

/// Characters that may separate the groups of a written identifier.
fn is_sep(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}')
}

/// Up to `N` ASCII alphanumerics (upper-cased; digits kept as ASCII), separators skipped.
struct Buf<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    /// Collects the alphanumerics of `s`, skipping separators. `None` if another character
    /// appears, or if there are more than `N` alphanumerics.
    fn alnum(s: &str) -> Option<Self> {
        let mut out = Buf {
            buf: [0; N],
            len: 0,
        };
        for c in s.chars() {
            if c.is_ascii_alphanumeric() {
                if out.len == N {
                    return None;
                }
                out.buf[out.len] = c.to_ascii_uppercase() as u8;
                out.len += 1;
            } else if !is_sep(c) {
                return None;
            }
        }
        Some(out)
    }

    /// Like [`Buf::alnum`] but only digits are accepted; stores digit values 0-9.
    fn digits(s: &str) -> Option<Self> {
        let mut out = Buf {
            buf: [0; N],
            len: 0,
        };
        for c in s.chars() {
            if c.is_ascii_digit() {
                if out.len == N {
                    return None;
                }
                out.buf[out.len] = c as u8 - b'0';
                out.len += 1;
            } else if !is_sep(c) {
                return None;
            }
        }
        Some(out)
    }

    fn as_slice(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Luhn (mod 10) over digit values, the last digit being the check digit.
fn luhn_ok(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 { x - 9 } else { x }
        } else {
            d
        };
    }
    !digits.is_empty() && sum % 10 == 0
}

fn all_same(digits: &[u8]) -> bool {
    digits.windows(2).all(|w| w[0] == w[1])
}

/// Number formed by digit values `d` (at most 9 digits so it fits in a `u32`).
fn num(d: &[u8]) -> u32 {
    d.iter().fold(0, |acc, &x| acc * 10 + u32::from(x))
}

/// Number formed by ASCII digits; `None` on any other byte.
fn ascii_num(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

// === payment cards ===

/// Payment card number (ISO/IEC 7812): 13-19 digits whose Luhn check digit is correct.
/// A run of one repeated digit (e.g. `0000 0000 0000 0000`) passes Luhn but is rejected.
pub fn luhn(s: &str) -> bool {
    let Some(d) = Buf::<19>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    (13..=19).contains(&d.len()) && !all_same(d) && luhn_ok(d)
}

/// Payment card number with a known issuer prefix (IIN) and a length that issuer uses, plus
/// [`luhn`]. IIN ranges: Visa 4 (13, 16, 19 digits); Mastercard 51-55 and 2221-2720 (16);
/// American Express 34, 37 (15); Discover 6011, 65, 644-649 (16-19); JCB 3528-3589 (16-19);
/// Diners Club 36, 38, 300-305 (14-19); UnionPay 62 (16-19).
pub fn card(s: &str) -> bool {
    if !luhn(s) {
        return false;
    }
    let Some(d) = Buf::<19>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    let len = d.len();
    let p2 = num(&d[..2]);
    let p3 = num(&d[..3]);
    let p4 = num(&d[..4]);
    let long = (16..=19).contains(&len);
    match d[0] {
        4 => matches!(len, 13 | 16 | 19),
        5 => (51..=55).contains(&p2) && len == 16,
        2 => (2221..=2720).contains(&p4) && len == 16,
        3 => {
            ((p2 == 34 || p2 == 37) && len == 15)
                || ((3528..=3589).contains(&p4) && long)
                || ((p2 == 36 || p2 == 38 || (300..=305).contains(&p3)) && (14..=19).contains(&len))
        }
        6 => (p4 == 6011 || p2 == 65 || (644..=649).contains(&p3) || p2 == 62) && long,
        _ => false,
    }
}

// === US identifiers ===

/// Structural SSA checks on a 9-digit SSN given as digit values.
fn ssn_digits_ok(d: &[u8]) -> bool {
    if d.len() != 9 {
        return false;
    }
    let area = num(&d[..3]);
    let group = num(&d[3..5]);
    let serial = num(&d[5..]);
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// US Social Security number, SSA rules: 9 digits; area (first 3) not 000, 666 or 900-999;
/// group (middle 2) not 00; serial (last 4) not 0000. Also rejects the numbers the SSA lists as
/// having been publicised in advertising (078-05-1120, 219-09-9999) and 123-45-6789.
/// Repeated-digit numbers such as 111-11-1111 are structurally valid and accepted.
pub fn ssn(s: &str) -> bool {
    let Some(d) = Buf::<9>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    if !ssn_digits_ok(d) {
        return false;
    }
    !matches!(num(d), 78_051_120 | 219_099_999 | 123_456_789)
}

/// Letters CMS never uses in an MBI (to avoid confusion with digits).
fn mbi_letter(c: u8) -> bool {
    c.is_ascii_uppercase() && !matches!(c, b'S' | b'L' | b'O' | b'I' | b'B' | b'Z')
}

/// Medicare Beneficiary Identifier (CMS MBI format specification): 11 characters, dashes or
/// spaces allowed between groups (`1EG4-TE5-MK73`). Position 1: digit 1-9; positions 2, 5, 8, 9:
/// letter except S, L, O, I, B, Z; positions 3, 6: such a letter or a digit; positions 4, 7, 10,
/// 11: digit. Lower-case input is upper-cased first.
pub fn mbi(s: &str) -> bool {
    let Some(b) = Buf::<11>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() != 11 {
        return false;
    }
    b.iter().enumerate().all(|(i, &c)| match i {
        0 => (b'1'..=b'9').contains(&c),
        1 | 4 | 7 | 8 => mbi_letter(c),
        2 | 5 => mbi_letter(c) || c.is_ascii_digit(),
        _ => c.is_ascii_digit(),
    })
}

/// Legacy Medicare Health Insurance Claim Number (HICN, replaced by the MBI in 2020): the
/// beneficiary's 9-digit SSN-style number followed by a 1-2 character Beneficiary
/// Identification Code. The number part is checked with the SSA area/group/serial rules (as
/// for [`ssn`]); the BIC must start with one of the CMS BIC letters A, B, C, D, E, F, G, H, J,
/// K, M, T, W, optionally followed by one digit or letter (C and F always carry a digit).
/// Railroad Retirement Board numbers (letter prefixes) are not covered.
pub fn hicn(s: &str) -> bool {
    let Some(b) = Buf::<11>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if !(10..=11).contains(&b.len()) || !b[..9].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut d = [0u8; 9];
    for (o, c) in d.iter_mut().zip(&b[..9]) {
        *o = c - b'0';
    }
    if !ssn_digits_ok(&d) {
        return false;
    }
    let bic = b[9];
    let second = b.get(10).copied();
    if !matches!(
        bic,
        b'A' | b'B' | b'C' | b'D' | b'E' | b'F' | b'G' | b'H' | b'J' | b'K' | b'M' | b'T' | b'W'
    ) {
        return false;
    }
    match second {
        None => !matches!(bic, b'C' | b'F'),
        Some(c) if matches!(bic, b'C' | b'F') => c.is_ascii_digit() && c != b'0',
        Some(c) => c.is_ascii_alphanumeric(),
    }
}

/// ABA routing transit number (American Bankers Association): 9 digits;
/// 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10); the first two digits (Federal
/// Reserve routing symbol) in 00-12 (banks; 00 is the US government), 21-32 (thrifts), 61-72
/// (electronic) or 80 (traveller's cheques).
pub fn aba_routing(s: &str) -> bool {
    let Some(d) = Buf::<9>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    if d.len() != 9 || all_same(d) {
        return false;
    }
    let p = num(&d[..2]);
    if !(p <= 12 || (21..=32).contains(&p) || (61..=72).contains(&p) || p == 80) {
        return false;
    }
    let w = |i: usize| u32::from(d[i]);
    let sum = 3 * (w(0) + w(3) + w(6)) + 7 * (w(1) + w(4) + w(7)) + (w(2) + w(5) + w(8));
    sum % 10 == 0
}

/// DEA registration number (21 CFR 1301): 2 letters + 7 digits. The first letter is the
/// registrant type (A, B, C, D, E, F, G, H, J, K, L, M, P, R, S, T, U, X); the second is the
/// initial of the registrant's last name (or `9` for a business whose name starts with a digit).
/// Check digit: (d1+d3+d5 + 2·(d2+d4+d6)) mod 10 == d7.
pub fn dea(s: &str) -> bool {
    let Some(b) = Buf::<9>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() != 9 {
        return false;
    }
    if !matches!(
        b[0],
        b'A' | b'B'
            | b'C'
            | b'D'
            | b'E'
            | b'F'
            | b'G'
            | b'H'
            | b'J'
            | b'K'
            | b'L'
            | b'M'
            | b'P'
            | b'R'
            | b'S'
            | b'T'
            | b'U'
            | b'X'
    ) || !(b[1].is_ascii_uppercase() || b[1] == b'9')
        || !b[2..].iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let d = |i: usize| u32::from(b[2 + i] - b'0');
    let check = (d(0) + d(2) + d(4) + 2 * (d(1) + d(3) + d(5))) % 10;
    check == d(6)
}

/// National Provider Identifier (CMS NPI standard): 10 digits starting with 1 or 2; the 10th
/// digit is the Luhn check digit computed over the ISO card-issuer prefix `80840` followed by
/// the first 9 digits.
pub fn npi(s: &str) -> bool {
    let Some(d) = Buf::<10>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    if d.len() != 10 || !(d[0] == 1 || d[0] == 2) {
        return false;
    }
    let mut full = [8, 0, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    full[5..].copy_from_slice(d);
    luhn_ok(&full)
}

/// VIN transliteration value (ISO 3779 / 49 CFR 565); `None` for I, O, Q and non-alphanumerics.
fn vin_value(c: u8) -> Option<u32> {
    Some(match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'A' | b'J' => 1,
        b'B' | b'K' | b'S' => 2,
        b'C' | b'L' | b'T' => 3,
        b'D' | b'M' | b'U' => 4,
        b'E' | b'N' | b'V' => 5,
        b'F' | b'W' => 6,
        b'G' | b'P' | b'X' => 7,
        b'H' | b'Y' => 8,
        b'R' | b'Z' => 9,
        _ => return None,
    })
}

/// Vehicle Identification Number (49 CFR 565, North American check digit): 17 characters, no
/// I, O or Q; letters transliterated (A=1 … Z=9), weighted 8,7,6,5,4,3,2,10,0,9,8,7,6,5,4,3,2;
/// the sum mod 11 is the check digit in position 9 (10 is written `X`). VINs from markets that
/// do not use the check digit (many European ones) are rejected: rules should pair this with
/// context if they want those.
pub fn vin(s: &str) -> bool {
    const W: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let Some(b) = Buf::<17>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() != 17 || b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let mut sum = 0;
    for (&c, w) in b.iter().zip(W) {
        match vin_value(c) {
            Some(v) => sum += v * w,
            None => return false,
        }
    }
    let check = match sum % 11 {
        10 => b'X',
        n => b'0' + n as u8,
    };
    b[8] == check
}

/// US ZIP code: 5 digits, not 00000, optionally `-` + 4 digits, not 0000.
pub fn zip_us(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let (five, four) = match b.len() {
        5 => (b, None),
        10 if b[5] == b'-' => (&b[..5], Some(&b[6..])),
        _ => return false,
    };
    let Some(z) = ascii_num(five) else {
        return false;
    };
    if z == 0 {
        return false;
    }
    match four {
        None => true,
        Some(f) => matches!(ascii_num(f), Some(n) if n != 0),
    }
}

// === French identifiers ===

/// French NIR (numéro de sécurité sociale) / INS-NIR, per INSEE: 13 characters + 2-digit key,
/// spaces or dots allowed between groups. Sex 1 or 2 (3, 4, 7, 8 for provisional numbers);
/// year 2 digits; month 01-12, or 20 and 30-42 / 50-99 (INSEE's codes for unknown or fictitious
/// months, accepted here as 20-42 and 50-99); department 01-99 or `2A`/`2B` (Corsica); key =
/// 97 − (number mod 97), where for Corsica 2A is replaced by 19 and 2B by 18 before the
/// division.
pub fn nir(s: &str) -> bool {
    let Some(b) = Buf::<15>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() != 15 {
        return false;
    }
    let corsica = match (b[5], b[6]) {
        (b'2', b'A') => Some(19u64),
        (b'2', b'B') => Some(18u64),
        _ => None,
    };
    for (i, &c) in b.iter().enumerate() {
        if !(c.is_ascii_digit() || (i == 6 && corsica.is_some())) {
            return false;
        }
    }
    let d = |i: usize| u64::from(b[i] - b'0');
    if !matches!(b[0], b'1' | b'2' | b'3' | b'4' | b'7' | b'8') {
        return false;
    }
    let month = d(3) * 10 + d(4);
    if !((1..=12).contains(&month) || (20..=42).contains(&month) || month >= 50) {
        return false;
    }
    let mut n = 0u64;
    for i in 0..13 {
        if i == 5 && corsica.is_some() {
            continue;
        }
        if i == 6 {
            if let Some(c) = corsica {
                n = n * 100 + c;
                continue;
            }
        }
        n = n * 10 + d(i);
    }
    if corsica.is_none() && b[5] == b'0' && b[6] == b'0' {
        return false;
    }
    let key = d(13) * 10 + d(14);
    key == 97 - n % 97
}

/// RPPS number (Répertoire Partagé des Professionnels de Santé, ANS): 11 digits whose last digit
/// is a Luhn check digit. A run of one repeated digit is rejected.
pub fn rpps(s: &str) -> bool {
    let Some(d) = Buf::<11>::digits(s) else {
        return false;
    };
    let d = d.as_slice();
    d.len() == 11 && !all_same(d) && luhn_ok(d)
}

/// Whether two ASCII characters form a French department prefix: 01-95, 97 (overseas),
/// or Corsica `2A`/`2B`.
fn fr_department(a: u8, b: u8) -> bool {
    if a == b'2' && matches!(b, b'A' | b'B') {
        return true;
    }
    if !a.is_ascii_digit() || !b.is_ascii_digit() {
        return false;
    }
    let n = (a - b'0') * 10 + (b - b'0');
    (1..=95).contains(&n) || n == 97
}

/// ADELI number (French registry of health professionals not in RPPS): 9 characters —
/// department (2, Corsica `2A`/`2B`), profession code (2 digits), order number (4 digits) and a
/// check digit. The published descriptions of the check-digit algorithm could not be verified
/// while writing this (it is commonly described as Luhn, but we found no authoritative source),
/// so this validator checks the structure only: department 01-95/97/2A/2B, 8 digits after it,
/// not all the same digit. Rules must require context words for ADELI.
pub fn adeli(s: &str) -> bool {
    let Some(b) = Buf::<9>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    b.len() == 9
        && fr_department(b[0], b[1])
        && b[2..].iter().all(u8::is_ascii_digit)
        && !b[2..].windows(2).all(|w| w[0] == w[1])
}

/// FINESS number (Fichier National des Établissements Sanitaires et Sociaux): 9 characters —
/// department (2, Corsica `2A`/`2B`), 6 digits, and a Luhn check digit over the 9 characters.
/// For Corsican numbers the substitution used by the key is not documented in a source we could
/// check, so `2A`/`2B` numbers are validated with the Corsican prefix replaced by `20` and,
/// failing that, accepted on structure alone (documented leniency: context is required anyway).
pub fn finess(s: &str) -> bool {
    let Some(b) = Buf::<9>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() != 9 || !fr_department(b[0], b[1]) || !b[2..].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !b[1].is_ascii_digit() {
        // Corsica: structural acceptance (see doc comment).
        return !all_same(&b[2..]);
    }
    let mut d = [0u8; 9];
    for (o, c) in d.iter_mut().zip(b) {
        *o = c - b'0';
    }
    !all_same(&d) && luhn_ok(&d)
}

// === medical codes ===

/// ICD-10 / ICD-10-CM code, format only: an upper-case letter (A-Z; `U` only for the WHO
/// special-purpose range U00-U85, e.g. U07.1), a digit, a digit or `A`/`B` (ICD-10-CM codes such
/// as C4A, D3A, M1A, Z3A), then optionally a dot and 1-4 upper-case alphanumerics (`S72.001A`),
/// or 1-4 alphanumerics without the dot (`E119`, as written in claims). Whether the code exists
/// in a code set is not checked.
pub fn icd10(s: &str) -> bool {
    let b = s.trim().as_bytes();
    if b.len() < 3 || b.len() > 8 {
        return false;
    }
    let (l, d1, d2) = (b[0], b[1], b[2]);
    if !l.is_ascii_uppercase() || !d1.is_ascii_digit() {
        return false;
    }
    if !(d2.is_ascii_digit() || d2 == b'A' || d2 == b'B') {
        return false;
    }
    if l == b'U' && d1 > b'8' {
        return false;
    }
    let ext_ok = |e: &[u8]| {
        (1..=4).contains(&e.len())
            && e.iter()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    };
    match b.get(3) {
        None => true,
        Some(b'.') => ext_ok(&b[4..]),
        Some(_) => ext_ok(&b[3..]),
    }
}

// === network ===

/// IPv4 dotted quad: exactly 4 decimal octets 0-255, no leading zeros (`010` is rejected since
/// many tools read it as octal). Whether the value is a version string is for rule context.
pub fn ipv4(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let mut parts = 0;
    for octet in b.split(|&c| c == b'.') {
        parts += 1;
        if parts > 4 || octet.is_empty() || octet.len() > 3 || (octet.len() > 1 && octet[0] == b'0')
        {
            return false;
        }
        match ascii_num(octet) {
            Some(n) if n <= 255 => {}
            _ => return false,
        }
    }
    parts == 4
}

/// IPv6 address as parsed by `std::net::Ipv6Addr` (RFC 4291 text forms, optional surrounding
/// brackets). Rejects forms with fewer than two non-empty groups (`::`, `::1`, `1::`), which are
/// too short to identify anything and collide with ordinary text.
pub fn ipv6(s: &str) -> bool {
    let t = s.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|x| x.strip_suffix(']'))
        .unwrap_or(t);
    if Ipv6Addr::from_str(t).is_err() {
        return false;
    }
    t.split(':').filter(|g| !g.is_empty()).count() >= 2
}

/// E-mail address, structural (RFC 5321 limits, not full RFC 5322 syntax): exactly one `@`;
/// local part 1-64 characters of letters, digits and ``!#$%&'*+/=?^_`{|}~.-`` with no leading,
/// trailing or doubled dot; domain ≤ 253 characters with at least two dot-separated labels of
/// 1-63 letters/digits/hyphens (not starting or ending with a hyphen); the last label (TLD) is
/// ≥ 2 letters or an IDN `xn--` label. Non-ASCII letters are allowed (internationalised mail).
pub fn email(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    if domain.contains('@') || local.is_empty() || local.len() > 64 || domain.len() > 253 {
        return false;
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return false;
    }
    if !local
        .chars()
        .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
    {
        return false;
    }
    let mut labels = 0;
    let mut last = "";
    for label in domain.split('.') {
        labels += 1;
        if label.is_empty()
            || label.len() > 63
            || label.starts_with('-')
            || label.ends_with('-')
            || !label.chars().all(|c| c.is_alphanumeric() || c == '-')
        {
            return false;
        }
        last = label;
    }
    labels >= 2
        && ((last.chars().count() >= 2 && last.chars().all(char::is_alphabetic))
            || (last.len() > 4 && last[..4].eq_ignore_ascii_case("xn--")))
}

// === phones ===

/// Splits off a trailing extension (`x123`, `ext. 123`, `ext 123`, `poste 12`) and returns the
/// number part, or `None` if the extension is not 1-6 digits.
fn strip_extension(s: &str) -> Option<&str> {
    let lower_pos = |needle: &str| {
        s.as_bytes()
            .windows(needle.len())
            .rposition(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    };
    let cut = lower_pos("ext")
        .or_else(|| lower_pos("poste"))
        .or_else(|| lower_pos("x"));
    let Some(i) = cut else {
        return Some(s);
    };
    let tail = s[i..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let tail = tail.trim_start_matches(['.', ':', ' ', '#']).trim_end();
    if (1..=6).contains(&tail.len()) && tail.bytes().all(|b| b.is_ascii_digit()) {
        Some(&s[..i])
    } else {
        None
    }
}

/// US/Canada phone number (North American Numbering Plan): 10 digits, optionally preceded by
/// `1` or `+1`, separators and an extension (`x123`, `ext. 123`) allowed. Area code (NPA) and
/// exchange (NXX) start with 2-9; the area code is not an N11 service code (211 … 911).
/// 555-01xx numbers are reserved for fiction but are accepted: they are phone-shaped and test
/// data uses them. A number made of one repeated digit is rejected.
pub fn us_phone(s: &str) -> bool {
    let Some(s) = strip_extension(s) else {
        return false;
    };
    let s = s.trim();
    let s = s.strip_prefix('+').unwrap_or(s);
    let Some(d) = Buf::<11>::digits(s) else {
        return false;
    };
    let d = match d.as_slice() {
        [1, rest @ ..] if rest.len() == 10 => rest,
        d if d.len() == 10 => d,
        _ => return false,
    };
    let mut buf = [0u8; 10];
    buf.copy_from_slice(d);
    let d = buf;
    d[0] >= 2 && !(d[1] == 1 && d[2] == 1) && d[3] >= 2 && !all_same(&d)
}

/// French phone number (ARCEP numbering plan): `0` + 1-9 + 8 digits (`01 23 45 67 89`), or the
/// international forms `+33` / `0033` + 1-9 + 8 digits, with an optional `(0)` after the
/// country code (`+33 (0)1 23 45 67 89`). Spaces, dots and dashes allowed between groups.
pub fn fr_phone(s: &str) -> bool {
    let s = s.trim();
    let (intl, rest) = match s.strip_prefix('+') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let Some(d) = Buf::<13>::digits(rest) else {
        return false;
    };
    let d = d.as_slice();
    let national: &[u8] = if intl {
        match d {
            [3, 3, 0, tail @ ..] if tail.len() == 9 => tail,
            [3, 3, tail @ ..] if tail.len() == 9 => tail,
            _ => return false,
        }
    } else {
        match d {
            [0, 0, 3, 3, 0, tail @ ..] if tail.len() == 9 => tail,
            [0, 0, 3, 3, tail @ ..] if tail.len() == 9 => tail,
            [0, tail @ ..] if tail.len() == 9 => tail,
            _ => return false,
        }
    };
    national[0] != 0 && !all_same(&national[1..])
}

/// E.164 international number: `+` then 8-15 digits (spaces, dots, dashes and parentheses allowed
/// between groups), country code not starting with 0, not one repeated digit.
pub fn e164(s: &str) -> bool {
    let Some(rest) = s.trim().strip_prefix('+') else {
        return false;
    };
    let Some(d) = Buf::<15>::digits(rest) else {
        return false;
    };
    let d = d.as_slice();
    (8..=15).contains(&d.len()) && d[0] != 0 && !all_same(&d[1..])
}

// === bank accounts ===

/// IBAN length per country (ISO 13616 registry), for the countries in common use.
const IBAN_LENGTHS: &[(&[u8; 2], usize)] = &[
    (b"AD", 24),
    (b"AE", 23),
    (b"AL", 28),
    (b"AT", 20),
    (b"AZ", 28),
    (b"BA", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"BH", 22),
    (b"BR", 29),
    (b"BY", 28),
    (b"CH", 21),
    (b"CR", 22),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"DO", 28),
    (b"EE", 20),
    (b"EG", 29),
    (b"ES", 24),
    (b"FI", 18),
    (b"FO", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GE", 22),
    (b"GI", 23),
    (b"GL", 18),
    (b"GR", 27),
    (b"GT", 28),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IL", 23),
    (b"IQ", 23),
    (b"IS", 26),
    (b"IT", 27),
    (b"JO", 30),
    (b"KW", 30),
    (b"KZ", 20),
    (b"LB", 28),
    (b"LC", 32),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MD", 24),
    (b"ME", 22),
    (b"MK", 19),
    (b"MR", 27),
    (b"MT", 31),
    (b"MU", 30),
    (b"NL", 18),
    (b"NO", 15),
    (b"PK", 24),
    (b"PL", 28),
    (b"PS", 29),
    (b"PT", 25),
    (b"QA", 29),
    (b"RO", 24),
    (b"RS", 22),
    (b"SA", 24),
    (b"SC", 31),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
    (b"ST", 25),
    (b"SV", 28),
    (b"TL", 23),
    (b"TN", 24),
    (b"TR", 26),
    (b"UA", 29),
    (b"VA", 22),
    (b"VG", 24),
    (b"XK", 20),
];

/// IBAN (ISO 13616): 2-letter country, 2 check digits, alphanumeric BBAN; spaces allowed. The
/// length must match the country's registered length (table above; other countries 15-34);
/// moving the first 4 characters to the end and reading letters as 10-35, the number mod 97
/// must be 1.
pub fn iban(s: &str) -> bool {
    let Some(b) = Buf::<34>::alnum(s) else {
        return false;
    };
    let b = b.as_slice();
    if b.len() < 15
        || !b[0].is_ascii_uppercase()
        || !b[1].is_ascii_uppercase()
        || !b[2].is_ascii_digit()
        || !b[3].is_ascii_digit()
    {
        return false;
    }
    let expected = IBAN_LENGTHS
        .iter()
        .find(|(c, _)| c[..] == b[..2])
        .map(|(_, l)| *l);
    if let Some(l) = expected {
        if b.len() != l {
            return false;
        }
    }
    let mut rem = 0u32;
    for &c in b[4..].iter().chain(&b[..4]) {
        if c.is_ascii_digit() {
            rem = (rem * 10 + u32::from(c - b'0')) % 97;
        } else {
            rem = (rem * 100 + u32::from(c - b'A') + 10) % 97;
        }
    }
    rem == 1
}

// === given names ===

/// The shipped first-name lists (census + hand-curated international), minus the names that are
/// also common English words (`will`, `may`, `hope`, `ruby`). Lower-cased.
fn given_names() -> &'static std::collections::HashSet<String> {
    static SET: std::sync::OnceLock<std::collections::HashSet<String>> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        fn entries(text: &'static str) -> impl Iterator<Item = String> {
            text.lines()
                .map(|l| l.split('\t').next().unwrap_or("").trim())
                .filter(|l| !l.is_empty() && !l.starts_with('#'))
                .map(str::to_lowercase)
        }
        let common: std::collections::HashSet<String> = entries(include_str!(
            "../../patterns/dictionaries/common_word_names.txt"
        ))
        .collect();
        entries(include_str!("../../patterns/dictionaries/first_names.txt"))
            .chain(entries(include_str!(
                "../../patterns/dictionaries/intl_first_names.txt"
            )))
            .filter(|n| !common.contains(n))
            .collect()
    })
}

/// A given name typed without a capital ("my daughter keisha", "its marcus from the front
/// desk"): 3-20 ASCII letters (a hyphen or apostrophe inside allowed), in the shipped first-name
/// lists and not a common English word. Case-insensitive; the rule's regex decides the context.
pub fn given_name(s: &str) -> bool {
    let b = s.as_bytes();
    if !(3..=20).contains(&b.len())
        || !b[0].is_ascii_alphabetic()
        || !b
            .iter()
            .all(|c| c.is_ascii_alphabetic() || matches!(c, b'-' | b'\''))
    {
        return false;
    }
    let mut buf = [0u8; 20];
    for (d, c) in buf.iter_mut().zip(b) {
        *d = c.to_ascii_lowercase();
    }
    std::str::from_utf8(&buf[..b.len()]).is_ok_and(|w| given_names().contains(w))
}

/// The last word of the value is a `given_name`: "Harper, Maxine" (a surname that is also an
/// English word, written last-comma-first), "Woodward, Todd". The words before it are the rule's
/// business.
pub fn given_name_last(s: &str) -> bool {
    s.rsplit(|c: char| c.is_whitespace() || c == ',')
        .find(|w| !w.is_empty())
        .is_some_and(given_name)
}

// === ages and postcodes ===

/// Age above 89 (HIPAA Safe Harbor: ages over 89 must be aggregated): an integer 90-125 written
/// with digits only (leading zeros rejected). Units and context ("-year-old", "aged") are the
/// rule's business.
pub fn age_over_89(s: &str) -> bool {
    let b = s.trim().as_bytes();
    b.first() != Some(&b'0') && matches!(ascii_num(b), Some(90..=125))
}

/// French postcode (La Poste): 5 digits whose department prefix is 01-95, 97 or 98 (overseas),
/// 20 included (Corsican postcodes keep 20 although departments are 2A/2B). Prefixes 00, 96 and
/// 99 are rejected. Whether the code is allocated is not checked.
pub fn fr_postcode(s: &str) -> bool {
    let b = s.trim().as_bytes();
    if b.len() != 5 {
        return false;
    }
    match ascii_num(b) {
        Some(n) => {
            let dept = n / 1000;
            (1..=95).contains(&dept) || dept == 97 || dept == 98
        }
        None => false,
    }
}

// === dates ===

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("janvier", 1),
    ("janv", 1),
    ("february", 2),
    ("feb", 2),
    ("février", 2),
    ("fevrier", 2),
    ("févr", 2),
    ("fevr", 2),
    ("fév", 2),
    ("fev", 2),
    ("march", 3),
    ("mar", 3),
    ("mars", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("may", 5),
    ("mai", 5),
    ("june", 6),
    ("jun", 6),
    ("juin", 6),
    ("july", 7),
    ("jul", 7),
    ("juillet", 7),
    ("juil", 7),
    ("august", 8),
    ("aug", 8),
    ("août", 8),
    ("aout", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("october", 10),
    ("oct", 10),
    ("octobre", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("december", 12),
    ("dec", 12),
    ("décembre", 12),
    ("decembre", 12),
    ("déc", 12),
];

/// Words that may appear inside a written date without changing it.
const DATE_FILLERS: &[&str] = &[
    "of",
    "the",
    "on",
    "de",
    "le",
    "du",
    "monday",
    "mon",
    "tuesday",
    "tue",
    "tues",
    "wednesday",
    "wed",
    "thursday",
    "thu",
    "thur",
    "thurs",
    "friday",
    "fri",
    "saturday",
    "sat",
    "sunday",
    "sun",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "dimanche",
];

/// Ordinal suffixes after a day number (EN and FR).
const ORDINALS: &[&str] = &["st", "nd", "rd", "th", "er", "re", "e", "ème", "eme", "è"];

fn eq_word(a: &str, b: &str) -> bool {
    // Case-insensitive for ASCII letters and the few accented lower/upper pairs used in French
    // month names.
    a.chars().count() == b.chars().count()
        && a.chars().zip(b.chars()).all(|(x, y)| {
            let fold = |c: char| match c {
                'É' => 'é',
                'Û' => 'û',
                'È' => 'è',
                c => c.to_ascii_lowercase(),
            };
            fold(x) == fold(y)
        })
}

fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Year as written: its value and number of digits (2 or 4).
#[derive(Clone, Copy)]
struct Year {
    value: u32,
    digits: usize,
}

impl Year {
    fn valid(self) -> bool {
        match self.digits {
            2 => true,
            4 => (1900..=2100).contains(&self.value),
            _ => false,
        }
    }
    /// Leap year; a 2-digit year is taken as 19yy/20yy, leap iff divisible by 4 (00 → 2000).
    fn leap(self) -> bool {
        if self.digits == 2 {
            self.value % 4 == 0
        } else {
            is_leap(self.value)
        }
    }
}

fn ymd_ok(y: Option<Year>, m: u32, d: u32) -> bool {
    if let Some(y) = y {
        if !y.valid() {
            return false;
        }
    }
    let max = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => match y {
            Some(y) if !y.leap() => 28,
            _ => 29,
        },
        _ => return false,
    };
    (1..=max).contains(&d)
}

/// Calendar date in any common written form, valid on the calendar (Feb 29 only in leap years;
/// 4-digit years 1900-2100, 2-digit years any):
/// - numeric with one repeated separator `/`, `-`, `.` or space: `Y-M-D` (4-digit year first),
///   `M/D/Y` or `D/M/Y` with a 2- or 4-digit year (accepted if either reading is valid);
/// - with an English or French month name or abbreviation and a day and/or a 4-digit year, in
///   any order, with ordinals and fillers: `Mar 14 1962`, `March 14th, 1962`, `14 March 1962`,
///   `14th of March`, `Tuesday, March 14`, `14 mars 1962`, `le 1er mars`, `March '62`,
///   `March 1962` (month + year is a HIPAA date element too).
///
/// Compact `19620314` and times are not dates here.
pub fn date(s: &str) -> bool {
    let s = s.trim();
    if s.is_empty() || s.len() > 64 {
        return false;
    }
    if s.bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'/' | b'-' | b'.' | b' '))
    {
        numeric_date(s.as_bytes())
    } else {
        worded_date(s)
    }
}

/// Month and day without a year, numeric with `/` (`3/14`, `03/14`, `14/03`): valid if either the
/// M/D or the D/M reading is a calendar day (Feb 29 allowed). This form collides with fractions,
/// scores and ratios ("1/2 tablet", "5/10 pain"), so rules must require date context ("DOB",
/// "seen on", "admitted") when using it; [`date`] deliberately does not accept it.
pub fn month_day(s: &str) -> bool {
    let b = s.trim().as_bytes();
    let Some(slash) = b.iter().position(|&c| c == b'/') else {
        return false;
    };
    let (a, c) = (&b[..slash], &b[slash + 1..]);
    if a.len() > 2 || c.len() > 2 {
        return false;
    }
    match (ascii_num(a), ascii_num(c)) {
        (Some(x), Some(y)) => ymd_ok(None, x, y) || ymd_ok(None, y, x),
        _ => false,
    }
}

fn numeric_date(b: &[u8]) -> bool {
    let mut parts = [(0u32, 0usize); 3];
    let mut seps: [&[u8]; 2] = [&[], &[]];
    let mut n = 0;
    let mut i = 0;
    while i < b.len() {
        if n == 3 {
            return false;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let Some(v) = ascii_num(&b[start..i]) else {
            return false;
        };
        if i - start > 4 {
            return false;
        }
        parts[n] = (v, i - start);
        n += 1;
        if i < b.len() {
            let sep_start = i;
            while i < b.len() && !b[i].is_ascii_digit() {
                i += 1;
            }
            if n > 2 || i == b.len() {
                return false;
            }
            seps[n - 1] = &b[sep_start..i];
        }
    }
    if n != 3 || seps[0] != seps[1] || !matches!(seps[0], b"/" | b"-" | b"." | b" ") {
        return false;
    }
    let [(a, al), (m, ml), (c, cl)] = parts;
    if al == 4 {
        return ml <= 2
            && cl <= 2
            && ymd_ok(
                Some(Year {
                    value: a,
                    digits: 4,
                }),
                m,
                c,
            );
    }
    if al > 2 || ml > 2 || !(cl == 2 || cl == 4) {
        return false;
    }
    let y = Some(Year {
        value: c,
        digits: cl,
    });
    ymd_ok(y, a, m) || ymd_ok(y, m, a)
}

fn worded_date(s: &str) -> bool {
    let mut month: Option<u32> = None;
    let mut day: Option<u32> = None;
    let mut year: Option<Year> = None;
    let mut quoted_year = false;
    let mut it = s.char_indices().peekable();
    while let Some(&(_, c)) = it.peek() {
        if c.is_whitespace() || matches!(c, ',' | '.' | '-' | '/') {
            it.next();
            continue;
        }
        let apostrophe = matches!(c, '\'' | '’');
        if apostrophe {
            it.next();
        }
        let Some(&(start, first)) = it.peek() else {
            return false;
        };
        if first.is_ascii_digit() {
            let mut end = start;
            while let Some(&(j, d)) = it.peek() {
                if !d.is_ascii_digit() {
                    break;
                }
                end = j + 1;
                it.next();
            }
            let digits = end - start;
            if digits > 4 {
                return false;
            }
            let Some(value) = ascii_num(&s.as_bytes()[start..end]) else {
                return false;
            };
            let mut suf_end = end;
            while let Some(&(j, l)) = it.peek() {
                if !l.is_alphabetic() {
                    break;
                }
                suf_end = j + l.len_utf8();
                it.next();
            }
            let suffix = &s[end..suf_end];
            let ordinal = !suffix.is_empty();
            if ordinal && !ORDINALS.iter().any(|o| eq_word(o, suffix)) {
                return false;
            }
            if apostrophe {
                if digits != 2 || ordinal || year.is_some() {
                    return false;
                }
                year = Some(Year { value, digits });
                quoted_year = true;
            } else if ordinal || (digits <= 2 && day.is_none()) {
                if digits > 2 || day.is_some() || !(1..=31).contains(&value) {
                    return false;
                }
                day = Some(value);
            } else if (digits == 4 || digits == 2) && year.is_none() {
                year = Some(Year { value, digits });
            } else {
                return false;
            }
        } else if first.is_alphabetic() && !apostrophe {
            let mut end = start;
            while let Some(&(j, l)) = it.peek() {
                if !l.is_alphabetic() {
                    break;
                }
                end = j + l.len_utf8();
                it.next();
            }
            let word = &s[start..end];
            if let Some(&(_, m)) = MONTHS.iter().find(|(name, _)| eq_word(name, word)) {
                if month.is_some() {
                    return false;
                }
                month = Some(m);
            } else if !DATE_FILLERS.iter().any(|f| eq_word(f, word)) {
                return false;
            }
        } else {
            return false;
        }
    }
    let Some(m) = month else {
        return false;
    };
    match day {
        Some(d) => ymd_ok(year, m, d),
        None => matches!(year, Some(y) if (y.digits == 4 || quoted_year) && y.valid()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(v: Validator, good: &[&str], bad: &[&str]) {
        for g in good {
            assert!(v(g), "expected valid: {g:?}");
        }
        for b in bad {
            assert!(!v(b), "expected invalid: {b:?}");
        }
    }

    #[test]
    fn registry_names_resolve_and_are_unique() {
        for (i, (name, _)) in NAMES.iter().enumerate() {
            assert!(lookup(name).is_some());
            assert!(NAMES[i + 1..].iter().all(|(n, _)| n != name), "dup {name}");
        }
        assert!(lookup("nope").is_none());
    }
    #[test]
    fn luhn_and_card() {
        all(
            luhn,
            &[
                "4111111111111111",
                "4111 1111 1111 1111",
                "4111-1111-1111-1111",
                "378282246310005",
            ],
            &[
                "4111111111111112",
                "0000000000000000",
                "411111111111",
                "41111111111111111111",
                "4111a11111111111",
            ],
        );
        all(
            card,
            &[
                "4111111111111111",
                "5555555555554444",
                "2221000000000009",
                "378282246310005",
                "3782 822463 10005",
                "6011111111111117",
                "3530111333300000",
                "30569309025904",
                "6200000000000005",
                "4012888888881881",
            ],
            // Luhn-valid but unknown IIN (1..., 9...) or wrong length for the issuer.
            &[
                "4111111111111112",
                "1234567812345670",
                "9111111111111111",
                "37828224631000",
                "5555555555554445",
            ],
        );
        assert!(luhn("1234567812345670"));
    }

    #[test]
    fn ssn_rules() {
        all(
            ssn,
            &[
                "123-45-6788",
                "123456788",
                "123 45 6788",
                "001-01-0001",
                "899-99-9999",
            ],
            &[
                "000-12-3456",
                "666-12-3456",
                "900-12-3456",
                "999-12-3456",
                "123-00-4567",
                "123-45-0000",
                "078-05-1120",
                "219-09-9999",
                "123-45-6789",
                "123-45-678",
                "123-45-67890",
                "12a-45-6789",
            ],
        );
    }

    #[test]
    fn mbi_rules() {
        all(
            mbi,
            &[
                "1EG4-TE5-MK73",
                "1EG4TE5MK73",
                "1eg4-te5-mk73",
                "9A99A99AA99",
                "1AA0AA0AA00",
            ],
            &[
                "0EG4-TE5-MK73", // position 1 must be 1-9
                "1SG4-TE5-MK73", // S excluded
                "1EG4-TE5-MK7",  // too short
                "1EGA-TE5-MK73", // position 4 must be a digit
                "1EG4-TE5-MK7L", // position 11 must be a digit
                "1EG4-TI5-MK73", // I excluded (position 6)
                "1EG4-TE5-MKB3", // position 10 must be a digit
            ],
        );
    }

    #[test]
    fn hicn_rules() {
        all(
            hicn,
            &[
                "123456788A",
                "123-45-6788A",
                "123456788C1",
                "123456788B2",
                "123456788T",
                "123456788WB",
            ],
            &[
                "000456788A",
                "666456788A",
                "123456788",
                "123456788C",
                "123456788Z",
                "123456788AAA",
                "12345678A",
            ],
        );
    }

    #[test]
    fn aba_routing_rules() {
        all(
            aba_routing,
            &[
                "011000015",
                "021000021",
                "011000028",
                "121000358",
                "322271627",
                "0110-0001-5",
            ],
            &[
                "021000022",
                "011000016",
                "131000016",
                "000000000",
                "02100002",
                "0210000211",
                "811000017",
            ],
        );
    }

    #[test]
    fn dea_rules() {
        all(
            dea,
            &[
                "AB1234563",
                "BJ6125341",
                "MS1234563",
                "ab1234563",
                "A91234563",
            ],
            &[
                "AB1234567",
                "AB123456",
                "IB1234563",
                "ZB1234563",
                "A-1234563",
                "AB12345631",
            ],
        );
    }

    #[test]
    fn npi_rules() {
        all(
            npi,
            &["1234567893", "1245319599", "2000000002", "123-456-7893"],
            &[
                "1234567890",
                "2000000008",
                "3234567893",
                "0234567893",
                "123456789",
                "12345678931",
            ],
        );
    }

    #[test]
    fn vin_rules() {
        all(
            vin,
            &[
                "1M8GDM9AXKP042788",
                "1HGCM82633A004352",
                "JH4KA7561PC008269",
                "1hgcm82633a004352",
            ],
            &[
                "1M8GDM9A1KP042788", // wrong check digit
                "1M8GDM9AXKP04278",  // 16 chars
                "1M8GDM9AXKP0427O8", // contains O
                "11111111111111111", // all digits: not a VIN even though the arithmetic works
                "IHGCM82633A004352", // contains I
            ],
        );
    }

    #[test]
    fn zip_rules() {
        all(
            zip_us,
            &["90210", "02134", "90210-1234"],
            &[
                "00000",
                "90210-0000",
                "9021",
                "902101",
                "90210 1234",
                "9021O",
            ],
        );
    }

    #[test]
    fn nir_rules() {
        // Keys computed independently: 97 - (13-digit number mod 97), 2A→19, 2B→18.
        all(
            nir,
            &[
                "1620375123456 04",
                "1 62 03 75 123 456 04",
                "285069900123472",
                "1 78 02 2A 123 456 37",
                "178022B12345664",
                "291109912345634",
                "185127512345688",
            ],
            &[
                "1620375123456 05", // key off by one
                "5620375123456 04", // sex 5
                "1621375123456 XX",
                "1621375123456 04", // month 13, key irrelevant
                "178022C12345637",  // not Corsica
                "1 78 02 2A 123 456 64",
                "16203751234560", // 14 chars
            ],
        );
    }

    #[test]
    fn rpps_adeli_finess_rules() {
        all(
            rpps,
            &["10003456786", "10000000009", "100 0345 6786"],
            &["10003456787", "1000345678", "00000000000"],
        );
        all(
            adeli,
            &["751234567", "2A1234567", "971234567"],
            &["001234567", "961234567", "7512345678", "751111111"],
        );
        all(
            finess,
            &["750000002", "130785090", "690781604", "2A0000012"],
            &[
                "750000003",
                "130785091",
                "000000000",
                "960000001",
                "75000000",
            ],
        );
    }

    #[test]
    fn icd10_format() {
        all(
            icd10,
            &[
                "E11.9", "E119", "I10", "S72.001A", "C4A.0", "Z3A.20", "U07.1", "J45.909",
                "M1A.0110",
            ],
            &[
                "e11.9",
                "E1",
                "EE1.9",
                "E11.",
                "E11.12345",
                "U99.1",
                "111.9",
                "E11-9",
                "E11.9a",
            ],
        );
    }

    #[test]
    fn ip_rules() {
        all(
            ipv4,
            &[
                "192.168.1.10",
                "10.0.0.1",
                "0.0.0.0",
                "255.255.255.255",
                "8.8.8.8",
            ],
            &[
                "256.1.1.1",
                "1.2.3",
                "1.2.3.4.5",
                "010.1.1.1",
                "1..2.3",
                "a.b.c.d",
                "1.2.3.-4",
            ],
        );
        all(
            ipv6,
            &[
                "2001:db8::8a2e:370:7334",
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                "fe80::1",
                "[2001:db8::1]",
                "::ffff:192.0.2.128",
            ],
            &[
                "::",
                "::1",
                "1::",
                "10:30",
                "12:34:56",
                "2001:db8::g",
                "dead:beef",
            ],
        );
    }

    #[test]
    fn email_rules() {
        all(
            email,
            &[
                "maria.ortiz@example.com",
                "a+b@mail.example.co.uk",
                "j_o'neil@hospital.org",
                "élodie@exemple.fr",
                "x@xn--bcher-kva.ch",
            ],
            &[
                "maria@example",
                "maria@@example.com",
                ".maria@example.com",
                "ma..ria@example.com",
                "maria@-example.com",
                "maria@example.c",
                "maria@example.c0m",
                "@example.com",
                "maria example@example.com",
            ],
        );
        let long_local = "a".repeat(65) + "@example.com";
        assert!(!email(&long_local));
    }

    #[test]
    fn phone_rules() {
        all(
            us_phone,
            &[
                "(415) 555-0132",
                "415-555-0132",
                "415.555.0132",
                "+1 415 555 0132",
                "1-415-555-0132",
                "4155550132",
                "(415) 555-0132 ext. 204",
                "415-555-0132 x12",
            ],
            &[
                "(015) 555-0132", // area starts 0
                "(115) 555-0132", // area starts 1
                "(411) 555-0132", // N11 area
                "(415) 155-0132", // exchange starts 1
                "222-222-2222",
                "415-555-013",
                "2-415-555-0132",
                "415-555-0132 ext. abc",
            ],
        );
        all(
            fr_phone,
            &[
                "01 23 45 67 89",
                "06.12.34.56.78",
                "0612345678",
                "+33 1 23 45 67 89",
                "+33 (0)1 23 45 67 89",
                "0033 6 12 34 56 78",
            ],
            &[
                "00 23 45 67 89",
                "01 23 45 67 8",
                "+33 0 23 45 67 89",
                "+34 1 23 45 67 89",
                "01 11 11 11 11",
            ],
        );
        all(
            e164,
            &["+14155550132", "+44 20 7946 0958", "+33612345678"],
            &[
                "14155550132",
                "+0123456789",
                "+1234567",
                "+1234567890123456",
                "+11111111111",
            ],
        );
    }

    #[test]
    fn iban_rules() {
        all(
            iban,
            &[
                "GB82WEST12345698765432",
                "GB82 WEST 1234 5698 7654 32",
                "FR1420041010050500013M02606",
                "DE89370400440532013000",
            ],
            &[
                "GB82WEST12345698765433",
                "GB82WEST1234569876543",
                "DE89370400440532013001",
                "1282WEST12345698765432",
            ],
        );
    }

    #[test]
    fn date_numeric_forms() {
        all(
            date,
            &[
                "03/14/1962",
                "3/14/62",
                "3-14-62",
                "14/03/1962",
                "14.03.1962",
                "1962-03-14",
                "02/29/2000",
                "29/02/1996",
                "02/29/96",
                "12/31/2099",
                "01 02 2020",
            ],
            &[
                "02/29/1900", // 1900 is not a leap year
                "02/29/2001",
                "13/13/2020",
                "00/10/2020",
                "1962-14-03",
                "03/14/1862",
                "03/14/2101",
                "3/14/962",
                "03/14-1962",
                "10.0.19045",
                "2.3.1",
                "03/14",
                "1962-03-14-01",
                "31/04/2020",
            ],
        );
    }

    #[test]
    fn date_worded_forms() {
        all(
            date,
            &[
                "Mar 14 1962",
                "March 14, 1962",
                "March 14th, 1962",
                "14 March 1962",
                "14th of March",
                "the 14th of March, 1962",
                "Tuesday, March 14",
                "14 mars 1962",
                "le 1er mars 1962",
                "1er février 2020",
                "29 Feb 2024",
                "Sept. 3rd",
                "March '62",
                "March 1962",
                "14 MARS 1962",
                "3 août 2021",
            ],
            &[
                "29 Feb 2023",
                "March 32",
                "March",
                "May",
                "14th",
                "March 14 1862",
                "March 14 10:30",
                "14xx March",
                "March 14 and more",
                "April 31 2020",
                "mars 0",
            ],
        );
    }

    #[test]
    fn age_postcode_month_day() {
        all(
            age_over_89,
            &["90", "94", "104", "125"],
            &["89", "9", "126", "090", "9O", "", "94.5"],
        );
        all(
            fr_postcode,
            &[
                "75011", "13001", "97400", "20000", "20090", "01000", "33000",
            ],
            &[
                "00100", "96000", "99000", "7501", "750111", "75 011", "7501a",
            ],
        );
        all(
            month_day,
            &["3/14", "03/14", "14/03", "2/29", "12/31"],
            &[
                "13/13", "0/5", "2/30", "31/4", "3/14/62", "3-14", "123/4", "3/",
            ],
        );
    }

    #[test]
    fn given_name_last_checks_the_last_word() {
        all(
            given_name_last,
            &["Harper, Maxine", "Woodward, Todd", "Pack,  Micah"],
            &[
                "Thanks, Will",
                "Denver, May",
                "Harper,",
                "",
                "Maxine, Harper",
            ],
        );
    }

    #[test]
    fn given_name_accepts_list_names_and_rejects_words() {
        all(
            given_name,
            &["keisha", "Bernice", "marcus", "yuki", "SARAH"],
            &[
                "will", "may", "hope", "ruby", "the", "has", "sorry", "jo", "", "keisha!",
                "zzzzqx", "élodie",
            ],
        );
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        let odd = [
            "",
            " ",
            "é",
            "日本語",
            "\u{0}",
            "--",
            "+",
            "+33",
            "1er",
            "'",
            "'6",
            "@",
            ".",
            "x",
            "ext",
            "2A",
        ];
        for (name, v) in NAMES {
            for s in odd {
                let _ = (name, v(s));
            }
            let _ = v(&"9".repeat(10_000));
        }
    }
}
