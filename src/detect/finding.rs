//! The output of a scan: [`Finding`]s with their [`Label`], spans, score and explanation.
//!
//! A finding never carries the matched text: callers that need it slice the input they scanned
//! with `byte_start..byte_end`. Everything here is safe to log, to store and to export.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// What kind of identifier (or health context) a finding is.
///
/// The first 18 are the HIPAA Safe Harbor identifiers that can appear in text (photos are out of
/// scope), `NATIONAL_ID` covers French NIR/INS, and the `HEALTH_*` labels are health context that
/// policy can combine with identifiers ("identifier + health context" scores higher).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Label {
    Name,
    Address,
    Date,
    AgeOver89,
    Phone,
    Fax,
    Email,
    Ssn,
    NationalId,
    Mrn,
    HealthPlanId,
    AccountNumber,
    LicenseNumber,
    VehicleId,
    DeviceId,
    Url,
    IpAddress,
    BiometricId,
    OtherId,
    HealthCondition,
    HealthMedication,
    HealthProcedure,
    HealthCode,
    HealthLab,
}

impl Label {
    /// Every label, in a fixed order (used for metrics and reports).
    pub const ALL: [Label; 24] = [
        Label::Name,
        Label::Address,
        Label::Date,
        Label::AgeOver89,
        Label::Phone,
        Label::Fax,
        Label::Email,
        Label::Ssn,
        Label::NationalId,
        Label::Mrn,
        Label::HealthPlanId,
        Label::AccountNumber,
        Label::LicenseNumber,
        Label::VehicleId,
        Label::DeviceId,
        Label::Url,
        Label::IpAddress,
        Label::BiometricId,
        Label::OtherId,
        Label::HealthCondition,
        Label::HealthMedication,
        Label::HealthProcedure,
        Label::HealthCode,
        Label::HealthLab,
    ];

    /// The label as written in rule files, metrics and JSON (`"PHONE"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Label::Name => "NAME",
            Label::Address => "ADDRESS",
            Label::Date => "DATE",
            Label::AgeOver89 => "AGE_OVER_89",
            Label::Phone => "PHONE",
            Label::Fax => "FAX",
            Label::Email => "EMAIL",
            Label::Ssn => "SSN",
            Label::NationalId => "NATIONAL_ID",
            Label::Mrn => "MRN",
            Label::HealthPlanId => "HEALTH_PLAN_ID",
            Label::AccountNumber => "ACCOUNT_NUMBER",
            Label::LicenseNumber => "LICENSE_NUMBER",
            Label::VehicleId => "VEHICLE_ID",
            Label::DeviceId => "DEVICE_ID",
            Label::Url => "URL",
            Label::IpAddress => "IP_ADDRESS",
            Label::BiometricId => "BIOMETRIC_ID",
            Label::OtherId => "OTHER_ID",
            Label::HealthCondition => "HEALTH_CONDITION",
            Label::HealthMedication => "HEALTH_MEDICATION",
            Label::HealthProcedure => "HEALTH_PROCEDURE",
            Label::HealthCode => "HEALTH_CODE",
            Label::HealthLab => "HEALTH_LAB",
        }
    }

    /// Parses the rule-file spelling (`"PHONE"`); `None` for anything else.
    pub fn parse(s: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// True for health-context labels (not identifiers on their own).
    pub const fn is_health_context(self) -> bool {
        matches!(
            self,
            Label::HealthCondition
                | Label::HealthMedication
                | Label::HealthProcedure
                | Label::HealthCode
                | Label::HealthLab
        )
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of PHI (or health context) found in a text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub label: Label,
    /// Id of the rule that produced it (`us.ssn`); rule ids come from rule files, never from input.
    pub rule: Arc<str>,
    /// Byte span in the scanned text (UTF-8), half-open.
    pub byte_start: usize,
    pub byte_end: usize,
    /// Unicode scalar value span in the scanned text, half-open.
    pub start: usize,
    pub end: usize,
    /// Confidence in [0, 1] after validators, context and allow-lists.
    pub score: f32,
    pub explanation: Explanation,
}

/// Why a finding has its score. Holds rule-side words only, never input text.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// Validators that passed (`luhn`, `ssn_area`): all of the rule's, shared between its findings.
    pub validators: Arc<[&'static str]>,
    /// Context words of the rule found near the match.
    pub context: Vec<ContextHit>,
    /// The base score of the rule before adjustments.
    pub base_score: f32,
}

/// A context word of a rule found within its window around a match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContextHit {
    /// The context word as written in the rule file.
    pub word: Arc<str>,
    /// `before` or `after` the match.
    pub side: ContextSide,
    /// Distance in characters between the word and the match.
    pub distance: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ContextSide {
    Before,
    After,
}
