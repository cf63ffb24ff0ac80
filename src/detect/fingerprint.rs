//! Keyed fingerprints of matched text: `HMAC-SHA256(key, label ‖ 0x00 ‖ text)`, hex, truncated.
//!
//! A fingerprint lets a worker recognise "the same value" after re-fetching an object without the
//! queue ever holding the value. It is keyed with a service secret so that a leaked queue cannot be
//! brute-forced for short values (SSNs, dates) without the key.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Label;

/// Computes keyed fingerprints. Cheap to clone the key into; holds the key only.
#[derive(Clone)]
pub struct Fingerprinter {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for Fingerprinter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Fingerprinter(..)")
    }
}

impl Fingerprinter {
    /// Builds a fingerprinter from the service key (any length).
    pub fn new(key: &[u8]) -> Self {
        let mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
        Fingerprinter { mac }
    }

    /// Fingerprint of `text` found as `label`: 32 hex characters (128 bits).
    pub fn fingerprint(&self, label: Label, text: &str) -> String {
        let mut mac = self.mac.clone();
        mac.update(label.as_str().as_bytes());
        mac.update(&[0]);
        mac.update(text.as_bytes());
        let out = mac.finalize().into_bytes();
        hex::encode(&out[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_label_bound() {
        let a = Fingerprinter::new(b"k1");
        let b = Fingerprinter::new(b"k2");
        assert_eq!(a.fingerprint(Label::Ssn, "x").len(), 32);
        assert_ne!(a.fingerprint(Label::Ssn, "x"), b.fingerprint(Label::Ssn, "x"));
        assert_ne!(a.fingerprint(Label::Ssn, "x"), a.fingerprint(Label::Phone, "x"));
        assert_eq!(a.fingerprint(Label::Ssn, "x"), a.fingerprint(Label::Ssn, "x"));
    }
}
