//! One test per quote pattern and attribution sieve of the rule layer, through
//! the public pipeline. Texts are written for these tests.

use quotestance::{Annotated, Document, Pipeline, QuoteKind, Stance};

fn run(text: &str) -> Annotated {
    Pipeline::rules().annotate(&Document::new("t", text)).expect("labels")
}

/// (quote text, kind, speaker name) of every quote.
fn quotes(text: &str) -> Vec<(String, QuoteKind, String)> {
    run(text).quotes.into_iter().map(|q| (q.text, q.kind, q.speaker.map(|s| s.name).unwrap_or_default())).collect()
}

fn one(text: &str) -> (String, QuoteKind, String) {
    let q = quotes(text);
    assert_eq!(q.len(), 1, "{q:?}");
    q.into_iter().next().unwrap()
}

#[test]
fn straight_curly_single_guillemet_and_low9_marks() {
    for (open, close) in [
        ("\"", "\""),
        ("\u{201c}", "\u{201d}"),
        ("'", "'"),
        ("\u{2018}", "\u{2019}"),
        ("\u{ab}", "\u{bb}"),
        ("\u{201e}", "\u{201c}"),
    ] {
        let t = format!("Cllr Jane Birch said: {open}The report is damning and the leader must step down.{close}");
        let (q, kind, sp) = one(&t);
        assert_eq!(q, "The report is damning and the leader must step down.", "marks {open}{close}");
        assert_eq!((kind, sp.as_str()), (QuoteKind::Direct, "Jane Birch"));
    }
}

#[test]
fn apostrophes_and_possessives_are_not_quote_marks() {
    let t = "Children's services at Jones' council don't improve. Ms Patel\u{2019}s team visited. \u{2018}We\u{2019}re failing children,\u{2019} said Dr Amir Patel.";
    let (q, _, sp) = one(t);
    assert_eq!(q, "We\u{2019}re failing children,");
    assert_eq!(sp, "Amir Patel");
}

#[test]
fn nested_quotes_stay_inside_the_outer_one() {
    let (q, _, sp) =
        one("\u{201c}He told me \u{2018}you are finished\u{2019}, which was outrageous,\u{201d} said Mr Tom Reeve.");
    assert_eq!(q, "He told me \u{2018}you are finished\u{2019}, which was outrageous,");
    assert_eq!(sp, "Tom Reeve");
}

#[test]
fn a_speech_over_several_paragraphs_is_one_span() {
    let t = "Cllr Ann Lee said: \u{201c}The first failure was ours.\n\u{201c}The second was his, and he should go.\u{201d}\nThe meeting ended.";
    let (q, _, sp) = one(t);
    assert_eq!(q, "The first failure was ours.\n\u{201c}The second was his, and he should go.");
    assert_eq!(sp, "Ann Lee");
}

#[test]
fn a_quote_split_by_its_attribution_is_two_spans() {
    let q = quotes("\u{201c}I will not resign,\u{201d} said Cllr Omar Shah. \u{201c}The plan is working.\u{201d}");
    let texts: Vec<&str> = q.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(texts, vec!["I will not resign,", "The plan is working."]);
    assert!(q.iter().all(|x| x.2 == "Omar Shah"), "{q:?}");
}

#[test]
fn a_closing_mark_missing_at_the_end_of_the_text() {
    let (q, _, sp) = one("Mrs Helen Marsh said: \u{201c}We will keep fighting for these children");
    assert_eq!(q, "We will keep fighting for these children");
    assert_eq!(sp, "Helen Marsh");
}

#[test]
fn scare_quotes_and_ratings_are_not_speech_unless_attributed() {
    assert!(
        quotes("Ofsted rated the service \u{2018}inadequate\u{2019} and the \"improvement\" plan stalled.").is_empty()
    );
    let (q, kind, sp) = one("Labour said his leadership had led to \u{201c}catastrophic failure\u{201d}.");
    assert_eq!((q.as_str(), kind, sp.as_str()), ("catastrophic failure", QuoteKind::Mixed, "Labour"));
}

#[test]
fn indirect_calls_urges_accusations_and_that_clauses() {
    let cases = [
        (
            "Labour called for Cllr Ian Ross to step down from his post after the report.",
            "Cllr Ian Ross to step down from his post",
            "Labour",
        ),
        ("Cllr Sara Khan called on the leader to resign over the scandal.", "the leader to resign", "Sara Khan"),
        ("Cllr Sara Khan urged Mr Ross to quit.", "Mr Ross to quit", "Sara Khan"),
        ("Cllr Ross accused the Labour leader of playing politics.", "the Labour leader of playing politics", "Ross"),
        (
            "Council leader Philip Hart said that the service was already improving.",
            "the service was already improving",
            "Philip Hart",
        ),
        ("Mr Dean Holt said in a statement that he had done nothing wrong.", "he had done nothing wrong", "Dean Holt"),
        ("According to Ms Rita Shaw, the figures were never checked.", "the figures were never checked", "Rita Shaw"),
        // progressive, not passive
        ("Mayor Dan Roe is calling on Cllr Sam Lee to resign.", "Cllr Sam Lee to resign", "Dan Roe"),
        ("The union wants Cllr Sam Lee to resign.", "Cllr Sam Lee to resign", "The union"),
        (
            "Residents ask Cllr Sam Lee to hand back his chain of office.",
            "Cllr Sam Lee to hand back his chain of office",
            "Residents",
        ),
        ("Cllr Lee reiterated that the review would go ahead.", "the review would go ahead", "Lee"),
        ("Cllr Sam Lee has vowed to see out her term amid the row.", "to see out her term", "Lee"),
    ];
    for (text, span, speaker) in cases {
        let (q, kind, sp) = one(text);
        assert_eq!((q.as_str(), kind), (span, QuoteKind::Indirect), "{text}");
        assert!(sp.ends_with(speaker.rsplit(' ').next().unwrap()), "{text}: speaker {sp}");
    }
}

#[test]
fn pointing_back_and_passives_are_not_reported_speech() {
    assert!(quotes("Cllr Ross dismissed the calls.").is_empty());
    assert!(quotes("Councillor urged to quit after damning report").is_empty());
    assert!(quotes("Cllr Lee is urged to quit after damning report.").is_empty());
}

#[test]
fn sieve_after_and_inverted_and_dash_leadins() {
    assert_eq!(one("\u{201c}It is a disgrace,\u{201d} Mr Paul Grey added.").2, "Paul Grey");
    assert_eq!(one("\u{201c}It is a disgrace,\u{201d} said Paul Grey, the opposition leader.").2, "Paul Grey");
    assert_eq!(one("\u{201c}It is a disgrace.\u{201d} \u{2014} Cllr Paul Grey").2, "Paul Grey");
    assert_eq!(one("A statement from Cllr Paul Grey: \u{201c}It is a disgrace.\u{201d}").2, "Paul Grey");
}

#[test]
fn sieve_apposition_and_role_prefix() {
    assert_eq!(
        one("Cllr Ian Lind, the portfolio holder for education, said the services were in decline.").2,
        "Ian Lind"
    );
    assert_eq!(
        one("Leader of the Labour group, councillor Wendy Rand said: \u{201c}She must go.\u{201d}").2,
        "Wendy Rand"
    );
}

#[test]
fn sieve_the_name_after_a_role_and_a_comma_and_the_issuer_of_a_statement() {
    assert_eq!(
        one("\u{201c}The players deserve better,\u{201d} said the union's chief executive, Tom Irwin.").2,
        "Tom Irwin"
    );
    let (_, _, sp) =
        one("The union issued this statement: \u{201c}Our members have lost confidence in the board.\u{201d}");
    assert_eq!(sp, "The union");
    let (_, _, sp) = one("The club released a statement saying the manager would stay.");
    assert_eq!(sp, "The club");
}

#[test]
fn a_full_stop_in_brackets_does_not_end_the_attribution() {
    let q = quotes("\u{201c}We were let down,\u{201d} Sen. Ann Cole (D-Ore.) told the Herald. \u{201c}The mayor has to answer for it.\u{201d}");
    assert_eq!(q.iter().map(|x| x.2.as_str()).collect::<Vec<_>>(), ["Ann Cole", "Ann Cole"], "{q:?}");
}

#[test]
fn a_two_word_party_before_a_role_is_the_party() {
    let a = run("Liberal Democrat councillor Tom Riley said the report was damning.");
    let p = a.people.iter().find(|p| p.name == "Tom Riley").expect("person");
    assert_eq!(p.party.as_deref(), Some("Liberal Democrats"));
}

#[test]
fn sieve_pronouns_and_continuation_paragraphs() {
    let q = quotes("Cllr Ian Lind rejected the criticism.\n\u{201c}I know how worried people are,\u{201d} he said.\n\u{201c}But the plan is working.\u{201d}");
    assert_eq!(q.len(), 2, "{q:?}");
    assert!(q.iter().all(|x| x.2 == "Ian Lind"), "{q:?}");
    let q =
        quotes("Mrs Jo Dale defended her colleague. Mr Ken Moss disagreed.\n\u{201c}She is wrong,\u{201d} he said.");
    assert_eq!(q[0].2, "Ken Moss", "gender-compatible antecedent");
}

#[test]
fn sieve_role_descriptions_reports_and_motions() {
    let t = "The leader of the opposition has called for the council leader to resign.\nCllr Brian Hale (Lib Dem, Delapre) tabled a motion.\nThe opposition leader said: \u{201c}He has to go.\u{201d}";
    let q = quotes(t);
    assert_eq!(q.iter().map(|x| x.2.as_str()).collect::<Vec<_>>(), vec!["Brian Hale", "Brian Hale"], "{q:?}");
    let (_, _, sp) =
        one("Ofsted inspectors visited in May. The report states: \u{201c}Leaders have not acted on warnings.\u{201d}");
    assert_eq!(sp, "Ofsted");
    let (_, _, sp) = one("A spokesman for the Conservative group said the call was premature.");
    assert_eq!(sp, "A spokesman for the Conservative group");
}

#[test]
fn people_records_gather_party_ward_and_role() {
    let a = run("Councillor Andrew Gale (Con, Brackley East), the cabinet member for children's services, spoke. Cllr Gale said no.");
    let p = a.people.iter().find(|p| p.name == "Andrew Gale").expect("person");
    assert_eq!(p.party.as_deref(), Some("Conservative Party"));
    assert_eq!(p.ward.as_deref(), Some("Brackley East"));
    assert!(p.variants.iter().any(|v| v == "Cllr Gale"), "{:?}", p.variants);
    assert_eq!(p.mentions.len(), 2);
}

#[test]
fn stances_targets_and_resignation_calls() {
    let t = "Labour called for Cllr Ian Lind to step down.\n\u{201c}He has lost our confidence and should resign,\u{201d} said Cllr Sara Khan.\nCouncil leader Tom Hart said Cllr Lind had his full confidence.\nCllr Lind said: \u{201c}I am not going anywhere. The improvement plan is working.\u{201d}";
    let a = run(t);
    let st: Vec<Stance> = a.quotes.iter().map(|q| q.stance).collect();
    assert_eq!(st, vec![Stance::CallToResign, Stance::CallToResign, Stance::Defence, Stance::Rebuttal]);
    assert!(a.quotes.iter().all(|q| q.target.as_ref().is_some_and(|t| t.name == "Ian Lind")), "{:?}", a.quotes);
    let calls: Vec<(&str, &str)> = a.resignation_calls.iter().map(|c| (c.caller.as_str(), c.target.as_str())).collect();
    assert_eq!(calls, vec![("Labour", "Ian Lind"), ("Sara Khan", "Ian Lind")]);
    assert_eq!(a.resignation_calls[0].evidence, vec![0]);
}

#[test]
fn sieve_bare_name_in_apposition_with_a_role_and_source_phrase_cores() {
    // a name no lexicon knows, bound by ", leader of ..." (no title, no article)
    let (_, _, sp) =
        one("Orla Vantreight, leader of the Opposition, said: \u{201c}The minister misled the house.\u{201d}");
    assert_eq!(sp, "Orla Vantreight");
    // a trailing "which ..." clause and a leading adverbial are not part of the speaker
    let (_, _, sp) =
        one("The Pellham Tenants\u{2019} Association, which represents 900 households, said the rise was unjustified.");
    assert_eq!(sp, "The Pellham Tenants\u{2019} Association");
    let (_, _, sp) = one("In a joint letter on Friday, nine parish councils said the consultation had been a sham.");
    assert_eq!(sp, "nine parish councils");
}

#[test]
fn calls_that_never_say_resign() {
    for q in [
        "Her position is now untenable.",
        "It is time for a change at the top, and it is time for him to go.",
        "He should be shown the door.",
        "The trust needs new leadership, and it needs it now.",
        "If he had any decency he would do the honourable thing and go.",
        "She cannot stay in post after this.",
        "I cannot see how the chief executive can survive this.",
        "The board should act and replace him.",
    ] {
        let t =
            format!("Cllr Dana Price criticised the chief executive, Tom Hale.\n\u{201c}{q}\u{201d} said Cllr Price.");
        let a = run(&t);
        assert_eq!(a.quotes.len(), 1, "{q}: {:?}", a.quotes);
        assert_eq!(a.quotes[0].stance, Stance::CallToResign, "{q}");
    }
    // not calls: denied, or criticism only
    for q in ["I am not calling for her to resign, but the position is difficult.", "The report makes grim reading."] {
        let t =
            format!("Cllr Dana Price criticised the chief executive, Tom Hale.\n\u{201c}{q}\u{201d} said Cllr Price.");
        let a = run(&t);
        assert_ne!(a.quotes[0].stance, Stance::CallToResign, "{q}");
    }
}

#[test]
fn according_to_a_role_then_a_name_in_apposition() {
    let a = run("According to the Green group's chief whip, Cllr Mira Vance, the members remain \u{201c}fully behind\u{201d} their leader.");
    let q = &a.quotes[0];
    assert_eq!(q.speaker.as_ref().map(|s| s.name.as_str()), Some("Mira Vance"), "{q:?}");
    assert!(!q.text.contains("Vance"), "the name stays outside the span: {:?}", q.text);
    let p = a.people.iter().find(|p| p.name == "Mira Vance").expect("person");
    assert!(p.roles.iter().all(|r| !r.contains('\u{201c}') && !r.starts_with("According")), "{:?}", p.roles);
    assert!(p.organisation.as_deref().is_none_or(|o| !o.starts_with("According")), "{:?}", p.organisation);
}

#[test]
fn the_body_that_backs_a_motion_speaks_not_the_motion_or_its_target() {
    let (_, _, sp) = one(
        "The parish assembly backed a motion for Mr Olu Banks to stand down, saying he had \u{201c}lost the trust\u{201d} of residents.",
    );
    assert_eq!(sp, "The parish assembly");
}

/// The quotes of a line that follows '"We will fight this," said Cllr Rhona Petts.'
fn after_petts(line: &str) -> Vec<(String, QuoteKind, String)> {
    quotes(&format!("\u{201c}We will fight this,\u{201d} said Cllr Rhona Petts.\n{line}"))
}

/// Each line, after Rhona Petts's, holds one quote of its own, spoken by the given speaker.
fn assert_second_speakers(cases: &[(&str, &str)]) {
    for (line, speaker) in cases {
        let q = after_petts(line);
        assert_eq!(q.len(), 2, "{q:?}");
        assert_eq!(q[1].2, *speaker, "{line}");
    }
}

#[test]
fn the_subject_of_a_characterising_verb_speaks_not_the_previous_speaker() {
    assert_second_speakers(&[
        ("Cllr Ivo Marsh called the decision \u{201c}a betrayal of residents and staff\u{201d}.", "Ivo Marsh"),
        (
            "In March, Dr Lena Okafor lauded the nurses for their \u{201c}quiet courage under pressure\u{201d}.",
            "Lena Okafor",
        ),
        (
            "Mayor Tomas Reyes, a former teacher, condemned the \u{201c}reckless cuts to the school budget\u{201d}.",
            "Tomas Reyes",
        ),
        ("Cllr Wendell Hart scolded the board for its \u{201c}failure to listen to the town\u{201d}.", "Wendell Hart"),
    ]);
    // a passive is no subject that speaks: the previous speaker continues
    let q = after_petts("Her plan was widely praised as \u{201c}a fresh start for the town\u{201d}.");
    assert_eq!(q.last().map(|x| x.2.as_str()), Some("Rhona Petts"), "{q:?}");
}

#[test]
fn a_two_word_clause_after_that_and_a_plain_want_report_a_call() {
    let lead = "Police chief Sam Reed faces calls to quit.\n";
    for (line, content, caller) in [
        ("Union leader Bo Kent has requested that Reed resign.", "Reed resign", "Bo Kent"),
        ("Cllr Ida Moss and her colleagues want Reed to resign.", "Reed to resign", "Ida Moss"),
    ] {
        let out = run(&format!("{lead}{line}"));
        assert!(out.quotes.iter().any(|q| q.text == content), "{line}: {:#?}", out.quotes);
        let calls: Vec<(&str, &str)> =
            out.resignation_calls.iter().map(|c| (c.caller.as_str(), c.target.as_str())).collect();
        assert!(calls.iter().any(|(c, t)| c.ends_with(caller) && *t == "Sam Reed"), "{line}: {calls:?}");
    }
}

#[test]
fn a_second_that_clause_with_a_fragment_leaves_the_first_as_reported_speech() {
    let text = "Cllr Ida Moss said that the board needed new leadership and that its work had been \
                \u{201c}badly overshadowed\u{201d} by the row.";
    let q = quotes(text);
    let spans: Vec<&str> = q.iter().map(|x| x.0.as_str()).collect();
    assert_eq!(spans, ["the board needed new leadership", "badly overshadowed"], "{q:?}");
    // with no fragment the two clauses stay one report
    let q = quotes("Cllr Ida Moss said that the board needed new leadership and that its work had suffered.");
    assert_eq!(q.len(), 1, "{q:?}");
    assert!(q[0].0.ends_with("had suffered"), "{q:?}");
}

#[test]
fn a_call_never_targets_its_own_speaker() {
    let text = "The premier quit after ministers who called for the Premier to resign wrote to him.\n\n\
                Ida Moss, MP for Mid Vale, said that the party needed new leadership.";
    let out = run(text);
    for c in &out.resignation_calls {
        assert!(c.caller_person.is_none() || c.caller_person != c.target_person, "{c:?}");
        assert_ne!(c.caller, c.target, "{c:?}");
    }
}

#[test]
fn a_call_clause_ends_before_a_with_aside() {
    let text = "Five councillors called for the leader to resign, with Cllr Ida Moss among them.";
    let out = run(text);
    assert!(out.quotes.iter().any(|q| q.text == "the leader to resign"), "{:#?}", out.quotes);
}

#[test]
fn short_quotes_are_speech_after_a_colon_a_characterising_verb_or_an_attributed_line() {
    let kept = [
        ("The mayor set out her answer: \u{201c}Not now.\u{201d}", "Not now."),
        ("Cllr Ivo Marsh condemned the closure as \u{201c}utterly reckless\u{201d}.", "utterly reckless"),
        ("\u{201c}I would,\u{201d} Ann Lee said to the panel. \u{201c}I would, yes.\u{201d}", "I would, yes."),
    ];
    for (text, short) in kept {
        let q = quotes(text);
        assert!(q.iter().any(|x| x.0 == short), "{text}: {q:?}");
    }
    // a scare quote with no speech around it is no quote
    let q = quotes("The depot has been a \u{201c}white elephant\u{201d} for years.");
    assert!(q.is_empty(), "{q:?}");
}

#[test]
fn a_pronoun_after_a_leading_clause_skips_the_names_inside_it() {
    let text = "Cllr Dan Moss wrote to the panel about commissioner Sam Reed.\n\
                Mr Moss said: \u{201c}You have all been silent.\u{201d}\n\
                Adding that it was wrong that Mr Reed should stay in post, he said: \u{201c}We must restore trust.\u{201d}";
    let q = quotes(text);
    assert_eq!(q.last().map(|x| x.2.as_str()), Some("Dan Moss"), "{q:?}");
}

#[test]
fn a_fragment_inside_a_sentence_belongs_to_its_named_subject() {
    assert_second_speakers(&[
        ("Cllr Ivo Marsh later defended the vote, calling the protest \u{201c}a stunt by a few\u{201d}.", "Ivo Marsh"),
        (
            "On Tuesday, Mayor Tomas Reyes pledged to end the \u{201c}culture of waste\u{201d} at the depot.",
            "Tomas Reyes",
        ),
    ]);
    // a possessor is no subject that speaks: the previous speaker continues
    let q = after_petts("Cllr Ivo Marsh's plan was a \u{201c}fresh start for the town\u{201d}.");
    assert_eq!(q.last().map(|x| x.2.as_str()), Some("Rhona Petts"), "{q:?}");
}
