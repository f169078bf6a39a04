//! `nnc list` (the vocabulary of the language) and `nnc explain` (the long text of a
//! diagnostic code).

use crate::exit::{CommandResult, Failure, OK, USAGE};
use crate::output::Output;
use nnc_dsl::Code;
use nnc_dsl::catalogue::{self, Signature};

/// What a catalogue holds.
enum Entries {
    Signatures(&'static [Signature]),
    Words(&'static [&'static str]),
    Codes,
}

/// The catalogues: name, aliases, description, entries.
const CATALOGUES: &[(&str, &[&str], &str, Entries)] = &[
    (
        "layers",
        &["layer"],
        "layers of a `model` section",
        Entries::Signatures(catalogue::LAYERS),
    ),
    (
        "model",
        &["model-statements"],
        "other statements of a `model` section",
        Entries::Signatures(catalogue::MODEL_STATEMENTS),
    ),
    (
        "activations",
        &["activation"],
        "activation functions (layers and values)",
        Entries::Signatures(catalogue::ACTIVATIONS),
    ),
    (
        "losses",
        &["loss"],
        "losses (`loss …`)",
        Entries::Signatures(catalogue::LOSSES),
    ),
    (
        "initializers",
        &["initializer", "inits", "init", "initialisers"],
        "weight and bias initializers (`init: …`)",
        Entries::Signatures(catalogue::INITIALIZERS),
    ),
    (
        "sources",
        &["source", "data-sources"],
        "data sources (`source …`, `test …`)",
        Entries::Signatures(catalogue::SOURCES),
    ),
    (
        "preprocessing",
        &["preprocess", "preprocessing-steps"],
        "preprocessing steps (`preprocess …`)",
        Entries::Signatures(catalogue::PREPROCESS),
    ),
    (
        "data",
        &["data-statements"],
        "statements of a `data` section",
        Entries::Signatures(catalogue::DATA_STATEMENTS),
    ),
    (
        "optimizers",
        &["optimizer", "optimisers", "optimiser"],
        "optimizers (`optimizer …`)",
        Entries::Signatures(catalogue::OPTIMIZERS),
    ),
    (
        "schedules",
        &["schedule"],
        "learning-rate schedules (`schedule …`)",
        Entries::Signatures(catalogue::SCHEDULES),
    ),
    (
        "regularizers",
        &["regularizer", "regularisers", "penalties"],
        "weight penalties (`regularize …`)",
        Entries::Signatures(catalogue::REGULARIZERS),
    ),
    (
        "constraints",
        &["constraint"],
        "weight constraints (`constrain …`)",
        Entries::Signatures(catalogue::CONSTRAINTS),
    ),
    (
        "train",
        &["train-statements"],
        "statements of a `train` section",
        Entries::Signatures(catalogue::TRAIN_STATEMENTS),
    ),
    (
        "strategies",
        &["strategy"],
        "search strategies (`search …`)",
        Entries::Signatures(catalogue::STRATEGIES),
    ),
    (
        "distributions",
        &["distribution", "spaces"],
        "search spaces (`name ~ …`)",
        Entries::Signatures(catalogue::DISTRIBUTIONS),
    ),
    (
        "search",
        &["search-statements"],
        "statements of a `search` section",
        Entries::Signatures(catalogue::SEARCH_STATEMENTS),
    ),
    (
        "validation",
        &["validate"],
        "validation methods (`validate …`, `split kfold(k)`)",
        Entries::Signatures(catalogue::VALIDATION),
    ),
    (
        "metrics",
        &["metric"],
        "metrics (`early_stop …`, `metric …`)",
        Entries::Words(catalogue::METRICS),
    ),
    (
        "codes",
        &["diagnostics", "code"],
        "diagnostic codes (`nnc explain CODE`)",
        Entries::Codes,
    ),
];

fn entries(e: &Entries) -> Vec<String> {
    match e {
        Entries::Signatures(table) => table.iter().map(Signature::display).collect(),
        Entries::Words(words) => words.iter().map(|w| w.to_string()).collect(),
        Entries::Codes => Code::ALL
            .iter()
            .map(|c| format!("{:<5} {}", c.as_str(), c.title()))
            .collect(),
    }
}

/// Runs `nnc list [catalogue]`.
pub fn list(name: Option<&str>, out: &Output) -> CommandResult {
    let Some(name) = name else {
        let mut text = String::from("catalogues (nnc list NAME):\n");
        for (n, _, what, _) in CATALOGUES {
            text.push_str(&format!("  {n:<14} {what}\n"));
        }
        out.result(&text);
        out.record(
            "catalogues",
            &serde_json::json!({ "catalogues": CATALOGUES.iter().map(|c| c.0).collect::<Vec<_>>() }),
        );
        return Ok(OK);
    };
    let wanted = name.trim().to_ascii_lowercase().replace('_', "-");
    let found = CATALOGUES
        .iter()
        .find(|(n, aliases, _, _)| *n == wanted || aliases.contains(&wanted.as_str()));
    let Some((n, _, what, e)) = found else {
        let names = CATALOGUES.iter().map(|c| c.0);
        let hint = match nnc_dsl::suggest::closest(&wanted, names.clone()) {
            Some(c) => format!("did you mean `{c}`? `nnc list` shows every catalogue"),
            None => format!(
                "the catalogues are: {}",
                names.collect::<Vec<_>>().join(", ")
            ),
        };
        return Err(Failure::new(USAGE, format!("no catalogue `{name}`")).hint(hint));
    };
    let items = entries(e);
    let mut text = format!("{n}: {what}");
    if matches!(e, Entries::Signatures(_)) {
        text.push_str("\n  (* = a required argument; `name: value` = its default)");
    }
    text.push('\n');
    for item in &items {
        text.push_str(&format!("  {item}\n"));
    }
    out.result(&text);
    out.record(
        "list",
        &serde_json::json!({ "catalogue": n, "entries": items }),
    );
    Ok(OK)
}

/// Runs `nnc explain CODE`.
pub fn explain(code: &str, out: &Output) -> CommandResult {
    match nnc_dsl::explain(code) {
        Some(text) => {
            out.result(text);
            out.record(
                "explain",
                &serde_json::json!({ "code": Code::parse(code).map(|c| c.as_str()), "text": text }),
            );
            Ok(OK)
        }
        None => {
            let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
            let upper = code.trim().to_ascii_uppercase();
            let hint = match nnc_dsl::suggest::closest(&upper, codes.iter().copied()) {
                Some(c) => format!("did you mean `{c}`? `nnc list codes` shows every code"),
                None => "`nnc list codes` shows every code".to_string(),
            };
            Err(Failure::new(USAGE, format!("no diagnostic code `{code}`")).hint(hint))
        }
    }
}
