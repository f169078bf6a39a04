//! The LANGUAGE.md examples (and a variant with CRLF, tabs, a BOM, `repeat i in`, a block
//! with an activation argument and k-fold) parse, check clean and resolve.

mod common;

use common::{check_text, render, tests_dir};
use nnc_dsl::ir::*;

fn checked(name: &str) -> (String, nnc_dsl::Checked) {
    let path = tests_dir().join("examples").join(name);
    let text = std::fs::read_to_string(&path).expect("fixture");
    match check_text(&format!("examples/{name}"), &text, &[]) {
        Ok(c) => (text, c),
        Err(d) => panic!(
            "{name} does not check clean:\n{}",
            render(name, &text, &[], &d)
        ),
    }
}

#[test]
fn examples_parse_to_the_expected_ast() {
    for name in ["spiral.nn", "deep_bn_sweep.nn", "maxout.nn"] {
        let text =
            std::fs::read_to_string(tests_dir().join("examples").join(name)).expect("fixture");
        let file = nnc_dsl::parse(&text).expect("parses");
        insta::assert_snapshot!(
            format!("ast_{}", name.trim_end_matches(".nn")),
            nnc_dsl::pretty::ast_to_string(&file)
        );
    }
}

#[test]
fn spiral_resolves() {
    let (_, c) = checked("spiral.nn");
    let e = &c.experiment;
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert_eq!(e.name, "spiral_mlp");
    assert_eq!(
        e.data.source.kind,
        Source::Spiral {
            points: 100,
            classes: 3,
            noise: 0.2
        }
    );
    assert_eq!(e.model.layers.len(), 3);
    assert_eq!(
        e.model.layers[0].spec,
        LayerSpec::Dense {
            units: Width::Known(100),
            init: Init::Small { std: 0.01 },
            bias: Some(Init::Zeros)
        }
    );
    assert_eq!(e.shapes.total_params, Some(2 * 100 + 100 + 100 * 3 + 3));
    let train = e.train.as_ref().expect("train");
    assert_eq!(
        train.optimizer,
        OptimizerSpec::Sgd {
            lr: 1.0,
            momentum: 0.0,
            nesterov: false,
            dampening: 0.0
        }
    );
    assert_eq!(train.regularize, Some(Penalty::L2(1e-3)));
    assert_eq!(train.batch, BatchSize::Full);
    assert_eq!(train.length, Interval::Steps(10_000));
    assert_eq!(train.log_every, Some(Interval::Steps(1000)));
    insta::assert_snapshot!("shapes_spiral", e.shapes.to_string());
}

#[test]
fn deep_bn_sweep_resolves() {
    let (_, c) = checked("deep_bn_sweep.nn");
    let e = &c.experiment;
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    // 4 x (dense, batchnorm, relu, dropout) + dense
    assert_eq!(e.model.layers.len(), 17);
    assert_eq!(
        e.data.preprocess,
        vec![
            Step::Scale {
                factor: 1.0 / 255.0
            },
            Step::Center,
            Step::Normalize
        ]
    );
    assert!(e.data.test.is_some());
    let first = &e.model.layers[0];
    assert_eq!(
        first.spec,
        LayerSpec::Dense {
            units: Width::Known(256),
            init: Init::He,
            bias: None
        }
    );
    assert!(
        first.call_site.is_some(),
        "layers from a block remember the call site"
    );
    let search = e.search.as_ref().expect("search");
    assert_eq!(search.strategy, Strategy::Random { seed: 7 });
    assert_eq!(search.space.len(), 4);
    assert_eq!(
        search.space[0].dist,
        Dist::LogUniform { lo: 1e-5, hi: 1e-1 }
    );
    assert_eq!(search.stages.len(), 2);
    assert_eq!(search.stages[1].keep, Some(5));
    let train = e.train.as_ref().expect("train");
    assert_eq!(
        train.schedule,
        ScheduleSpec::Step {
            every: Interval::Epochs(5.0),
            factor: 0.5
        }
    );
    assert_eq!(
        train.eval,
        Some(EvalSpec {
            split: SplitName::Val,
            every: Interval::Epochs(1.0)
        })
    );
    let width = e
        .params
        .iter()
        .find(|p| p.name == "width")
        .expect("width param");
    assert!(width.integer, "width is used as a layer width");
    insta::assert_snapshot!("shapes_deep_bn_sweep", e.shapes.to_string());
}

#[test]
fn maxout_resolves() {
    let (_, c) = checked("maxout.nn");
    let e = &c.experiment;
    assert!(c.diagnostics.is_empty(), "{:?}", c.diagnostics);
    assert_eq!(
        e.data.preprocess[1],
        Step::Pca {
            keep: PcaKeep::Variance(0.99)
        }
    );
    let maxout = e
        .model
        .layers
        .iter()
        .find(|l| matches!(l.spec, LayerSpec::Maxout { .. }))
        .expect("maxout");
    assert_eq!(
        maxout.spec,
        LayerSpec::Maxout {
            units: Width::Known(240),
            pieces: 5,
            init: Init::Xavier,
            bias: Some(Init::Zeros)
        }
    );
    // PCA by variance: the input width is known only after fitting.
    assert_eq!(e.shapes.input, Width::Symbolic("data.features".into()));
    let search = e.search.as_ref().expect("search");
    assert_eq!(search.strategy, Strategy::Grid);
    assert_eq!(search.validate, Some(Validation::KFold { k: 5 }));
    assert_eq!(e.train.as_ref().map(|t| t.maxnorm), Some(Some(3.5)));
}

#[test]
fn variant_with_crlf_tabs_bom_and_kfold_resolves() {
    let (text, c) = checked("variant.nn");
    assert!(text.starts_with('\u{feff}') && text.contains("\r\n") && text.contains('\t'));
    let e = &c.experiment;
    let widths: Vec<Width> = e
        .model
        .layers
        .iter()
        .filter_map(|l| match &l.spec {
            LayerSpec::Dense { units, .. } => Some(units.clone()),
            _ => None,
        })
        .collect();
    let known = |n| Width::Known(n);
    assert_eq!(
        widths,
        vec![
            known(256),
            known(128),
            known(64),
            known(32),
            known(64),
            known(4)
        ]
    );
    assert!(
        e.model
            .layers
            .iter()
            .any(|l| l.spec == LayerSpec::Activation(Activation::Tanh))
    );
    assert_eq!(
        e.data.split,
        SplitSpec::KFold {
            k: 5,
            test: 0.2,
            shuffle: true,
            stratify: false
        }
    );
    let train = e.train.as_ref().expect("train");
    assert_eq!(train.warmup, Some(Interval::Steps(100)));
    assert_eq!(
        train.schedule,
        ScheduleSpec::Cosine {
            period: Some(Interval::Epochs(20.0)),
            min_lr: 0.0
        }
    );
    assert_eq!(e.shapes.input, Width::Known(8));
}

#[test]
fn no_data_mode_keeps_file_shapes_symbolic() {
    let text =
        std::fs::read_to_string(tests_dir().join("examples/deep_bn_sweep.nn")).expect("fixture");
    let c = nnc_dsl::check(
        &text,
        std::path::Path::new("deep_bn_sweep.nn"),
        &[],
        &nnc_dsl::NoDataProbe,
    )
    .expect("checks");
    let last = c.experiment.model.layers.last().expect("layers");
    assert_eq!(
        last.spec,
        LayerSpec::Dense {
            units: Width::Symbolic("data.classes".into()),
            init: Init::Xavier,
            bias: Some(Init::Zeros)
        }
    );
    assert_eq!(c.experiment.shapes.total_params, None);
}

#[test]
fn paths_resolve_relative_to_the_model_file() {
    let (_, c) = checked("maxout.nn");
    let Source::Csv { path, .. } = &c.experiment.data.source.kind else {
        panic!("csv")
    };
    assert_eq!(
        path,
        &std::path::Path::new("examples").join("data/letters.csv")
    );
}
