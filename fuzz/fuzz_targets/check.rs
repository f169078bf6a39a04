//! The whole front end (parse, check without data, render) never panics on any input. The
//! first line of the input, when it starts with `--set `, is taken as an override.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nnc_dsl::{NoDataProbe, Override, Sources};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (overrides, model) = match text.split_once('\n') {
        Some((first, rest)) if first.starts_with("--set ") => {
            (vec![Override::parse(&first["--set ".len()..])], rest)
        }
        _ => (Vec::new(), text.as_ref()),
    };
    let diagnostics = match nnc_dsl::check(model, Path::new("fuzz.nn"), &overrides, &NoDataProbe) {
        Ok(checked) => {
            let _ = checked.experiment.shapes.to_string();
            checked.diagnostics
        }
        Err(d) => d,
    };
    let sources = Sources::new("fuzz.nn", model).with_overrides(&overrides);
    let _ = nnc_dsl::render::render_text(&diagnostics, &sources);
    let _ = nnc_dsl::render::render_json(&diagnostics, &sources);
});
