//! Did-you-mean suggestions.
//!
//! Policy: an exact match ignoring case first; then the best
//! `strsim::normalized_damerau_levenshtein` score of at least 0.6 among the names valid in
//! that position; then the only valid name that starts with what was written (`val.acc`);
//! otherwise the valid names themselves when there are at most 12, else a
//! pointer to `nnc list`.

/// The minimum similarity for a did-you-mean (the data crate's, so file columns and language
/// names follow one policy).
pub use nnc_data::MIN_SIMILARITY;

/// The largest list of valid names spelled out in a help line.
pub const MAX_LISTED: usize = 12;

/// The closest valid name to `word`, if one is close enough.
pub fn closest<'a, I>(word: &str, candidates: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&str> = candidates.into_iter().filter(|c| *c != word).collect();
    if let Some(name) = nnc_data::closest_name(word, candidates.iter().copied()) {
        return Some(name.to_string());
    }
    // An abbreviation (`val.acc` for `val.accuracy`) that fits exactly one name.
    let mut prefixed = candidates_starting_with(word, &candidates);
    match (prefixed.next(), prefixed.next()) {
        (Some(only), None) if word.len() >= 3 => Some(only.to_string()),
        _ => None,
    }
}

fn candidates_starting_with<'c>(
    word: &'c str,
    candidates: &'c [&'c str],
) -> impl Iterator<Item = &'c str> + 'c {
    candidates
        .iter()
        .copied()
        .filter(move |c| c.starts_with(word))
}

/// What to tell a user who wrote `word` where one of `candidates` was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suggestion {
    /// One close name.
    DidYouMean(String),
    /// No close name; these are all the valid ones.
    ValidNames(Vec<String>),
    /// No close name and too many valid ones to list.
    TooMany,
    /// Nothing is valid here.
    Nothing,
}

/// Applies the policy.
pub fn suggest<'a, I>(word: &str, candidates: I) -> Suggestion
where
    I: IntoIterator<Item = &'a str>,
{
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if let Some(name) = closest(word, candidates.iter().copied()) {
        return Suggestion::DidYouMean(name);
    }
    match candidates.len() {
        0 => Suggestion::Nothing,
        n if n <= MAX_LISTED => {
            Suggestion::ValidNames(candidates.iter().map(|c| c.to_string()).collect())
        }
        _ => Suggestion::TooMany,
    }
}

/// The help line for `word` among `candidates`; `what` names the kind (`layers`) for the
/// `nnc list` pointer.
pub fn help_line<'a, I>(word: &str, candidates: I, what: &str) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
{
    match suggest(word, candidates) {
        Suggestion::DidYouMean(name) => Some(format!("did you mean `{name}`?")),
        Suggestion::ValidNames(names) => Some(format!("valid {what}: {}", names.join(", "))),
        Suggestion::TooMany => Some(format!("run `nnc list {what}` to see the valid names")),
        Suggestion::Nothing => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_names_are_suggested() {
        assert_eq!(closest("dens", ["dense", "dropout"]), Some("dense".into()));
        assert_eq!(
            closest("rleu", ["relu", "elu", "tanh"]),
            Some("relu".into())
        );
        assert_eq!(closest("adma", ["adam", "sgd"]), Some("adam".into()));
        assert_eq!(
            closest("val.acc", ["val.accuracy", "val.loss"]),
            Some("val.accuracy".into())
        );
        assert_eq!(
            closest("loguniorm", ["uniform", "loguniform"]),
            Some("loguniform".into())
        );
    }

    #[test]
    fn case_insensitive_match_wins() {
        assert_eq!(closest("ReLU", ["relu", "rel"]), Some("relu".into()));
    }

    #[test]
    fn far_names_list_the_valid_ones() {
        assert_eq!(
            suggest("zzz", ["a1", "b2"]),
            Suggestion::ValidNames(vec!["a1".into(), "b2".into()])
        );
        let many: Vec<String> = (0..20).map(|i| format!("name{i}")).collect();
        assert_eq!(
            suggest("zzzzzzz", many.iter().map(String::as_str)),
            Suggestion::TooMany
        );
        assert_eq!(suggest("x", []), Suggestion::Nothing);
    }
}
