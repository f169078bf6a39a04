//! `--set name=value`: only `param`s, type-checked against the default, unknown names get a
//! did-you-mean, `let`s cannot be overridden.

mod common;

use common::check_text;
use nnc_dsl::Code;
use nnc_dsl::ir::{LayerSpec, Literal, OptimizerSpec, Width};

const FILE: &str = "\
let H = 100
param lr = 0.1
param width = 64
param act = relu
param path = \"data/letters.csv\"

data { source spiral(points: 50, classes: 3) }
model {
  dense width -> act
  dense data.classes
  loss softmax
}
train { optimizer sgd(lr: lr); batch 32; epochs H / 50 }
";

fn codes(overrides: &[&str]) -> Vec<Code> {
    match check_text("set.nn", FILE, overrides) {
        Ok(c) => c.diagnostics.codes(),
        Err(d) => d.codes(),
    }
}

#[test]
fn a_param_override_changes_the_experiment() {
    let c = check_text("set.nn", FILE, &["lr=0.5", "width=32", "act=tanh"]).expect("checks");
    let e = &c.experiment;
    assert!(
        matches!(e.train.as_ref().map(|t| t.optimizer), Some(OptimizerSpec::Sgd { lr, .. }) if lr == 0.5)
    );
    assert!(matches!(
        &e.model.layers[0].spec,
        LayerSpec::Dense {
            units: Width::Known(32),
            ..
        }
    ));
    assert_eq!(
        e.model.layers[1].spec,
        LayerSpec::Activation(nnc_dsl::ir::Activation::Tanh)
    );
    let lr = e.params.iter().find(|p| p.name == "lr").expect("lr");
    assert!(lr.overridden);
    assert_eq!(lr.value, Literal::Number(0.5));
    assert_eq!(lr.default_source, "0.1");
}

#[test]
fn override_values_are_expressions() {
    let c = check_text("set.nn", FILE, &["lr=1e-3 * 5", "act=leaky_relu(0.2)"]).expect("checks");
    let lr = c
        .experiment
        .params
        .iter()
        .find(|p| p.name == "lr")
        .expect("lr");
    assert_eq!(lr.value, Literal::Number(5e-3));
    assert_eq!(
        c.experiment.model.layers[1].spec,
        LayerSpec::Activation(nnc_dsl::ir::Activation::LeakyRelu { alpha: 0.2 })
    );
}

#[test]
fn string_params_take_unquoted_text() {
    let c = check_text("set.nn", FILE, &["path=data/other.csv"]).expect("checks");
    let path = c
        .experiment
        .params
        .iter()
        .find(|p| p.name == "path")
        .expect("path");
    assert_eq!(path.value, Literal::Str("data/other.csv".into()));
}

#[test]
fn overrides_are_type_checked() {
    assert_eq!(codes(&["lr=relu"]), vec![Code::E201]);
    assert_eq!(codes(&["act=3"]), vec![Code::E201]);
    // A number of the right type but unusable where the param is used.
    assert_eq!(codes(&["width=64.5"]), vec![Code::E201]);
    assert_eq!(codes(&["width=0"]), vec![Code::E202]);
}

#[test]
fn unknown_names_get_a_did_you_mean() {
    let d = check_text("set.nn", FILE, &["lrr=0.5"]).expect_err("unknown");
    let first = d.iter().next().expect("one");
    assert_eq!(first.code, Code::E507);
    assert_eq!(first.help, vec!["did you mean `lr`?".to_string()]);
    let d = check_text("set.nn", FILE, &["zzz=1"]).expect_err("unknown");
    let first = d.iter().next().expect("one");
    assert_eq!(
        first.help,
        vec!["valid params: act, lr, path, width".to_string()]
    );
}

#[test]
fn a_let_cannot_be_overridden() {
    let d = check_text("set.nn", FILE, &["H=50"]).expect_err("let");
    let first = d.iter().next().expect("one");
    assert_eq!(first.code, Code::E507);
    assert!(first.message.contains("constant"), "{}", first.message);
    assert_eq!(first.secondary.len(), 1, "points at the `let`");
}

#[test]
fn malformed_overrides_are_reported_not_panicked() {
    assert_eq!(codes(&["lr"]), vec![Code::E507]);
    assert_eq!(codes(&["=1"]), vec![Code::E507]);
    assert_eq!(codes(&["lr=(1"]), vec![Code::E001]);
    assert_eq!(codes(&["lr="]), vec![Code::E507]);
}

/// A file that uses `width` and `act` in several places.
const MANY_USES: &str = "\
param width = 64
param act = relu
block hidden(w, f = relu) {
  dense w
  f
}
data { source spiral(points: 50, classes: 3) }
model {
  repeat 3 { hidden(width, f: act) }
  dense width * 2 -> act
  dense data.classes
  loss softmax
}
";

/// The diagnostics of `MANY_USES` under `overrides` (it must fail).
fn many_uses(overrides: &[&str]) -> nnc_dsl::Diagnostics {
    check_text("uses.nn", MANY_USES, overrides).expect_err("a bad override")
}

#[test]
fn an_overridden_value_is_reported_once_at_the_set() {
    for (set, code) in [("act=leakyrelu", Code::E102), ("width=12.5", Code::E201)] {
        let d = many_uses(&[set]);
        assert_eq!(d.codes(), vec![code], "--set {set}: {d}");
        let primary = d
            .iter()
            .next()
            .and_then(|d| d.primary.as_ref())
            .expect("located");
        assert_eq!(
            primary.span.source.override_index(),
            Some(0),
            "--set {set}: the error points at the override"
        );
        assert_eq!(
            &set[primary.span.start..primary.span.end],
            set.split_once('=').expect("name=value").1,
            "--set {set}: the caret is under the value"
        );
    }
}

#[test]
fn an_empty_override_shows_the_form_with_the_default() {
    let d = many_uses(&["width="]);
    let first = d.iter().next().expect("one");
    assert_eq!(first.code, Code::E507);
    assert!(first.message.contains("empty"), "{}", first.message);
    assert_eq!(
        first.help,
        vec!["write the value after `=`, with no space: `--set width=64`"]
    );
}

#[test]
fn several_overrides_in_one_set_ask_for_one_set_each() {
    let d = many_uses(&["width=32,act=tanh"]);
    assert_eq!(d.codes(), vec![Code::E001]);
    let first = d.iter().next().expect("one");
    assert_eq!(
        first.help,
        vec!["repeat `--set` for each: `--set width=32 --set act=tanh`"]
    );
    // A comma inside a call's arguments is no second override.
    assert!(check_text("uses.nn", MANY_USES, &["act=leaky_relu(alpha: 0.2)"]).is_ok());
}

#[test]
fn the_set_renders_as_the_command_line() {
    let overrides = vec![nnc_dsl::Override::parse("act=leakyrelu")];
    let d = many_uses(&["act=leakyrelu"]);
    let sources = nnc_dsl::Sources::new("uses.nn", MANY_USES).with_overrides(&overrides);
    let text = nnc_dsl::render::render_text(&d, &sources);
    assert!(text.contains("┌─ command line:1:11"), "{text}");
    assert!(text.contains("1 │ --set act=leakyrelu"), "{text}");
    assert!(
        text.contains("          ^^^^^^^^^ not an activation"),
        "{text}"
    );
}

#[test]
fn floor_division_halves_any_width() {
    const HALVES: &str = "\
param width = 64
data { source spiral(points: 50, classes: 3) }
model {
  dense width // 2 -> relu
  dense -7 // -2
  dense data.classes
  loss softmax
}
";
    let units = |set: &str, layer: usize| {
        let c = check_text("halves.nn", HALVES, &[set]).expect("`//` gives an integer");
        match &c.experiment.model.layers[layer].spec {
            LayerSpec::Dense { units, .. } => units.clone(),
            other => panic!("not a dense layer: {other:?}"),
        }
    };
    assert_eq!(units("width=65", 0), Width::Known(32));
    assert_eq!(units("width=64", 0), Width::Known(32));
    assert_eq!(units("width=3", 0), Width::Known(1));
    // Rounded down, as in Python: -7 // -2 is 3 (3.5 rounded down).
    assert_eq!(units("width=3", 2), Width::Known(3));
}
