//! Inputs shared by the detector benches (`detect`, `growth`): five sample documents and the
//! baseline every detector figure is reported against — one bare combined regex of the same
//! regex rules (no validators, context, dictionaries or overlap resolution).

use phi_guard::patterns::PatternSet;

pub const TICKET: &str = "Hi Maria,\n\nThanks for reaching out about your order #A-2291-7730. I checked \
your account and the shipment left our warehouse on March 3 (tracking 1Z999AA10123456784). \
Version 2.14.1 of the app fixes the login issue you saw at 10:30 this morning; please update \
from the store and restart. The price of the annual plan is $129.99 and your renewal is due \
in 12 days. If the problem continues, reply here or call our team at (415) 555-0132 ext. 42 \
between 9am and 5pm Pacific time.\n\nBest regards,\nJ. Ortiz\nCustomer Support\n";

pub const CHAT: &str = "[customer] hello, i need help with my mom's prescription refill\n\
[ai-agent] Of course! Can you share the member ID on the insurance card?\n\
[customer] sure it's XQH449812003 and her dob is 04/17/1931, she's 93 years old\n\
[ai-agent] Thank you. I see the pharmacy on file is at 1427 Maple Grove Ave, Springfield, IL 62704.\n\
[customer] yes. she takes metformin and lisinopril, the doctor is Dr. Nakamura\n\
[ai-agent] Got it. I have sent the request; ticket 88123 will update within 24 hours.\n";

pub const NOTE: &str = "Patient: Robert Zimmerman  MRN: 00482913  DOB: 1948-02-29\n\
Seen on 11/02/2024 by Dr. Alice Chen for follow-up of type 2 diabetes and hypertension. \
A1c 7.2, LDL 131. Continue metformin 1000 mg BID. Patient reports mild neuropathy. \
Lives at 88 W. 42nd Street, Apt 5B, New York, NY 10036 with his wife Linda. \
Phone 212-555-0187, fax (212) 555-0199. SSN 536-22-8745 on file. \
Medicare MBI 1EG4-TE5-MK73. Email robert.z@example.org. Portal https://portal.example.org/p/48213. \
Plan: recheck CBC and BMP in 3 months, colonoscopy scheduled on 14 March 2025. ICD-10 E11.9, I10.\n";

/// A typical support reply: prose, one name, look-alikes (order number, version, price, time).
pub const PROSE: &str = "Thanks for reaching out about the login problem. I checked the settings on our side \
and everything looks fine; could you clear the browser cache, restart the app (version 4.12.0) and \
try again? If it still fails, send us a screenshot of the error and the time it happened (10:45?) \
so we can look at the logs for order 7718-2231. The upgrade costs $19.99 per seat. Kind regards, Sam\n";

pub const FR: &str = "Bonjour Docteur,\nMme Claire Martin, née le 14 mars 1962, NIR 2 62 03 75 112 345 67, \
domiciliée 12 rue de la Paix, 75002 Paris, tél 06 12 34 56 78. Elle suit un traitement pour asthme. \
Cordialement,\nÉlodie Bernard\n";

/// One `regex::bytes::Regex` alternation of every regex rule of `set`.
pub fn baseline_regex(set: &PatternSet) -> regex::bytes::Regex {
    let alternation = set
        .regex_sources()
        .iter()
        .map(|s| format!("(?:{s})"))
        .collect::<Vec<_>>()
        .join("|");
    regex::bytes::RegexBuilder::new(&alternation)
        .size_limit(256 << 20)
        .dfa_size_limit(256 << 20)
        .build()
        .expect("baseline regex builds")
}
