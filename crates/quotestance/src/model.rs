//! The data model: the input [`Document`] and the output [`Annotated`].
//!
//! Every span carries code-point offsets (`start`, `end`; what JSON and Python
//! use, the same as Python `str` indices) and byte offsets (`byte_start`,
//! `byte_end`; for slicing the Rust `&str`), both into the ORIGINAL text.

use serde::{Deserialize, Serialize};
use std::ops::Range;

/// Version of the output schema; bumped on any incompatible change.
pub const SCHEMA_VERSION: &str = "1.0";

/// One article to label.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

impl Document {
    /// A document with only an id and a text.
    pub fn new(id: impl Into<String>, text: impl Into<String>) -> Self {
        Document { id: id.into(), text: text.into(), ..Default::default() }
    }
}

/// A range of the original text, in code points and in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    /// First code point (inclusive).
    pub start: usize,
    /// Last code point (exclusive).
    pub end: usize,
    /// First byte (inclusive).
    pub byte_start: usize,
    /// Last byte (exclusive).
    pub byte_end: usize,
}

impl Span {
    /// The byte range, for slicing the original `&str`.
    pub fn bytes(&self) -> Range<usize> {
        self.byte_start..self.byte_end
    }
    /// Length in code points.
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    /// True when the span covers nothing.
    pub fn is_empty(&self) -> bool {
        self.end == self.start
    }
}

/// A span with the text it covers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextSpan {
    #[serde(flatten)]
    pub span: Span,
    pub text: String,
}

/// Direct ("..."), indirect (reported speech) or mixed (a reported clause with quoted words).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuoteKind {
    Direct,
    Indirect,
    Mixed,
}

/// What a quote says about someone's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stance {
    CallToResign,
    Defence,
    Rebuttal,
    Other,
}

impl Stance {
    /// All stances in the order of [`StanceScores`] and of the classifier's outputs.
    pub const ALL: [Stance; 4] = [Stance::CallToResign, Stance::Defence, Stance::Rebuttal, Stance::Other];

    /// The label as written in JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Stance::CallToResign => "call_to_resign",
            Stance::Defence => "defence",
            Stance::Rebuttal => "rebuttal",
            Stance::Other => "other",
        }
    }

    /// Parses a JSON label.
    pub fn parse(s: &str) -> Option<Stance> {
        Stance::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Index into [`Stance::ALL`].
    pub fn index(&self) -> usize {
        *self as usize
    }
}

/// Probabilities of the four stances (they sum to 1).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct StanceScores {
    pub call_to_resign: f32,
    pub defence: f32,
    pub rebuttal: f32,
    pub other: f32,
}

impl StanceScores {
    /// From an array in [`Stance::ALL`] order.
    pub fn from_array(p: [f32; 4]) -> Self {
        StanceScores { call_to_resign: p[0], defence: p[1], rebuttal: p[2], other: p[3] }
    }
    /// As an array in [`Stance::ALL`] order.
    pub fn to_array(&self) -> [f32; 4] {
        [self.call_to_resign, self.defence, self.rebuttal, self.other]
    }
    /// The most probable stance and its probability.
    pub fn best(&self) -> (Stance, f32) {
        let a = self.to_array();
        let mut i = 0;
        for j in 1..4 {
            if a[j] > a[i] {
                i = j;
            }
        }
        (Stance::ALL[i], a[i])
    }
    /// The probability of one stance.
    pub fn get(&self, s: Stance) -> f32 {
        self.to_array()[s.index()]
    }
    /// The stance that maximises `weights[c] * p[c]` (a cost-sensitive
    /// decision; all weights 1 is [`StanceScores::best`]).
    pub fn decide(&self, weights: &[f32; 4]) -> Stance {
        let a = self.to_array();
        let mut i = 0;
        for j in 1..4 {
            if weights[j] * a[j] > weights[i] * a[i] {
                i = j;
            }
        }
        Stance::ALL[i]
    }
}

/// Who said a quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Speaker {
    /// The person's fullest name, or the description when no name is given.
    pub name: String,
    /// The words that attribute the quote to the speaker ("Cllr Smith", "he").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mention: Option<TextSpan>,
    /// Index into [`Annotated::people`] when the speaker is a known person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<usize>,
    /// Confidence of the attribution, 0..1.
    pub score: f32,
    /// Which rule (sieve) made the attribution.
    pub rule: String,
}

/// The person whose position is at issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<usize>,
    pub score: f32,
}

/// A quotation, direct or reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quote {
    #[serde(flatten)]
    pub span: Span,
    /// The quoted words, exactly `text[span]` (quote marks excluded).
    pub text: String,
    pub kind: QuoteKind,
    /// The speech verb or noun that introduces it ("said", "called for").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cue: Option<TextSpan>,
    #[serde(default)]
    pub speaker: Option<Speaker>,
    pub stance: Stance,
    /// Probability of `stance`, calibrated on real articles in both modes. In
    /// rules mode the stance given can be less probable than `other` (the
    /// rules weigh the key stances up; see [`crate::stance::CalibratedRules`]).
    pub stance_score: f32,
    pub scores: StanceScores,
    #[serde(default)]
    pub target: Option<Target>,
    /// Further people a call or defence names beside `target`, coordinated with it in the
    /// quote ("Ms Grey and the chair, Tom Bell, must go"): each makes a call of its own in
    /// [`Annotated::resignation_calls`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub co_targets: Vec<Target>,
    /// Index of the paragraph the quote starts in.
    pub paragraph: usize,
}

/// Entity labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum EntityLabel {
    Person,
    Org,
    Gpe,
    Party,
    Role,
}

impl EntityLabel {
    pub const ALL: [EntityLabel; 5] =
        [EntityLabel::Person, EntityLabel::Org, EntityLabel::Gpe, EntityLabel::Party, EntityLabel::Role];
    pub fn as_str(&self) -> &'static str {
        match self {
            EntityLabel::Person => "PERSON",
            EntityLabel::Org => "ORG",
            EntityLabel::Gpe => "GPE",
            EntityLabel::Party => "PARTY",
            EntityLabel::Role => "ROLE",
        }
    }
    pub fn parse(s: &str) -> Option<EntityLabel> {
        match s {
            "PERSON" | "PER" => Some(EntityLabel::Person),
            "ORG" => Some(EntityLabel::Org),
            "GPE" | "LOC" => Some(EntityLabel::Gpe),
            "PARTY" | "NORP" => Some(EntityLabel::Party),
            "ROLE" => Some(EntityLabel::Role),
            _ => None,
        }
    }
}

/// A named-entity mention.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    #[serde(flatten)]
    pub span: Span,
    pub text: String,
    pub label: EntityLabel,
    /// The canonical form (a person's fullest name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canonical: Option<String>,
    /// Index into [`Annotated::people`] for PERSON mentions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<usize>,
    pub score: f32,
}

/// Grammatical gender as the text shows it (honorifics, pronouns, first names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

/// One record per person, built from all their mentions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub id: usize,
    /// Fullest form of the name, without titles.
    pub name: String,
    pub variants: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub party: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ward: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<Gender>,
    pub mentions: Vec<Span>,
}

/// A call for someone to resign, merged over all the quotes that make it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResignationCall {
    pub caller: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_person: Option<usize>,
    pub target: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_person: Option<usize>,
    /// Indices into [`Annotated::quotes`].
    pub evidence: Vec<usize>,
    pub score: f32,
}

/// The labelled article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Annotated {
    pub schema_version: String,
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Length of the text in code points.
    pub chars: usize,
    pub paragraphs: Vec<Span>,
    pub sentences: Vec<Span>,
    pub quotes: Vec<Quote>,
    pub entities: Vec<Entity>,
    pub people: Vec<Person>,
    pub resignation_calls: Vec<ResignationCall>,
}
