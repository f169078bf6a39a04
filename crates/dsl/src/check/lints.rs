//! Model structure, shapes and lints: E301, E302, E303, W306, W307, W308, W309, and the
//! default weight initialization.

use super::data::DataFacts;
use super::model::BuiltModel;
use crate::diagnostics::{Code, Diagnostic};
use crate::eval::Env;
use crate::ir::{Activation, Init, LayerSpec, Loss};
use crate::shapes::Width;
use crate::span::Span;

/// Reports missing trainable layers / loss and layers after the loss (E303).
pub(crate) fn structure(env: &mut Env<'_>, model: &BuiltModel, header: Span) -> bool {
    let mut ok = true;
    if let Some((layer, loss)) = model.after_loss {
        env.report(
            Diagnostic::new(Code::E303, "layer after `loss`")
                .primary(layer, "this layer comes after the loss")
                .secondary(loss, "the loss ends the model")
                .help("move `loss` to the end of the model"),
        );
        ok = false;
    }
    let trainable = model.layers.iter().any(|l| l.layer.spec.has_weights());
    if !trainable && !model.wrote_weighted_layer {
        env.report(
            Diagnostic::new(Code::E303, "the model has no trainable layer")
                .primary(header, "nothing to train")
                .help("add a layer with weights, e.g. `dense data.classes`"),
        );
        ok = false;
    }
    if !trainable || model.loss.is_none() {
        ok = false;
    }
    if model.loss.is_none() && !model.wrote_loss {
        env.report(
            Diagnostic::new(Code::E303, "the model has no `loss`")
                .primary(header, "no loss to minimize")
                .help("end the model with `loss softmax` (or `svm`, `mse`)"),
        );
        ok = false;
    }
    ok
}

/// The standard deviation of the default init of the layer that feeds a classification loss:
/// CS231n's "small random numbers". The scores then start near 0 (their std is about
/// `0.01 · √fan_in` times the typical size of the layer's inputs, 0.1 for 100 unit-scale
/// inputs), every class gets probability ≈ 1/C, and the initial loss is ≈ ln C (softmax) or
/// (C − 1)·Δ (SVM): the value the babysitter's first check expects.
pub const OUTPUT_INIT_STD: f64 = 0.01;

/// Fills in the default weight initialization: `small(0.01)` for the layer that feeds a
/// softmax or SVM loss, He before a rectifier, Xavier otherwise.
pub(crate) fn default_inits(model: &mut BuiltModel) {
    let activations: Vec<Option<Activation>> = (0..model.layers.len())
        .map(|i| next_activation(model, i))
        .collect();
    let output = output_layer(model);
    for (i, (layer, next)) in model.layers.iter_mut().zip(activations).enumerate() {
        if layer.explicit_init.is_some() {
            continue;
        }
        let init = if Some(i) == output {
            Init::Small {
                std: OUTPUT_INIT_STD,
            }
        } else if next.is_some_and(|a| a.is_rectifier()) {
            Init::He
        } else {
            Init::Xavier
        };
        match &mut layer.layer.spec {
            LayerSpec::Dense { init: i, .. } | LayerSpec::Maxout { init: i, .. } => *i = init,
            _ => {}
        }
    }
}

/// The layer whose outputs are the scores of a softmax or SVM loss: the last `dense`/`maxout`,
/// when only dropout or an identity activation follows it.
fn output_layer(model: &BuiltModel) -> Option<usize> {
    if !matches!(
        model.loss,
        Some((Loss::SoftmaxCrossEntropy | Loss::Svm { .. }, _))
    ) {
        return None;
    }
    for (i, layer) in model.layers.iter().enumerate().rev() {
        match layer.layer.spec {
            LayerSpec::Dense { .. } | LayerSpec::Maxout { .. } => return Some(i),
            LayerSpec::Dropout { .. } | LayerSpec::Activation(Activation::Identity) => continue,
            _ => return None,
        }
    }
    None
}

/// The activation that follows layer `i`, looking through batchnorm and dropout.
fn next_activation(model: &BuiltModel, i: usize) -> Option<Activation> {
    for layer in &model.layers[i + 1..] {
        match layer.layer.spec {
            LayerSpec::Activation(a) => return Some(a),
            LayerSpec::BatchNorm { .. } | LayerSpec::Dropout { .. } => continue,
            _ => return None,
        }
    }
    None
}

/// Warnings about likely mistakes (W306–W309).
pub(crate) fn lints(env: &mut Env<'_>, model: &BuiltModel) {
    let layers = &model.layers;
    if let (Some((Loss::SoftmaxCrossEntropy | Loss::Svm { .. }, loss_span)), Some(last)) =
        (model.loss, layers.last())
        && !model.tail_incomplete()
        && let LayerSpec::Activation(a) = last.layer.spec
        && a != Activation::Identity
    {
        let loss = if matches!(model.loss, Some((Loss::SoftmaxCrossEntropy, _))) {
            "softmax"
        } else {
            "svm"
        };
        env.report(
            Diagnostic::new(
                Code::W306,
                format!("`{}` right before `loss {loss}`", a.name()),
            )
            .primary(last.layer.span, "squashes the scores")
            .secondary(loss_span, format!("{loss} loss expects raw class scores"))
            .help(format!("remove the trailing `{}`", a.name())),
        );
    }
    for pair in layers.windows(2) {
        let (prev, next) = (&pair[0].layer, &pair[1].layer);
        match (&prev.spec, &next.spec) {
            (LayerSpec::Activation(a), LayerSpec::Activation(b)) if *b != Activation::Identity => {
                env.report(
                    Diagnostic::new(
                        Code::W307,
                        format!(
                            "two activations in a row: `{}` then `{}`",
                            a.name(),
                            b.name()
                        ),
                    )
                    .primary(next.span, "second activation")
                    .secondary(prev.span, "first activation")
                    .help("keep one of them"),
                );
            }
            (LayerSpec::Maxout { .. }, LayerSpec::Activation(b)) if *b != Activation::Identity => {
                env.report(
                    Diagnostic::new(Code::W307, format!("`{}` right after `maxout`", b.name()))
                        .primary(next.span, "redundant activation")
                        .secondary(prev.span, "maxout is its own nonlinearity")
                        .help(format!("remove `{}`", b.name())),
                );
            }
            _ => {}
        }
    }
    let specs: Vec<LayerSpec<Width>> = layers.iter().map(|l| l.layer.spec.clone()).collect();
    for i in LayerSpec::biases_before_batchnorm(&specs) {
        env.report(
            Diagnostic::new(Code::W308, "bias right before `batchnorm`")
                .primary(layers[i].layer.span, "this bias is cancelled by batch norm")
                .secondary(layers[i + 1].layer.span, "subtracts the batch mean")
                .help("write `bias: false`; batchnorm's `beta` plays that role"),
        );
    }
    init_hints(env, model);
}

fn init_hints(env: &mut Env<'_>, model: &BuiltModel) {
    let layers = &model.layers;
    let xavier_relu = (0..layers.len()).find(|&i| {
        matches!(layers[i].explicit_init, Some((Init::Xavier, _)))
            && next_activation(model, i)
                .is_some_and(|a| matches!(a, Activation::Relu | Activation::LeakyRelu { .. }))
    });
    if let Some(i) = xavier_relu {
        let (_, span) = layers[i].explicit_init.expect("found above");
        env.report(
            Diagnostic::new(Code::W309, "`xavier` initialization before `relu`")
                .primary(
                    span,
                    "keeps the variance for tanh-like units, halves it per ReLU layer",
                )
                .help("use `init: he` for ReLU layers (He et al. 2015)"),
        );
    }
    let weighted = layers.iter().filter(|l| l.layer.spec.has_weights()).count();
    let saturating = layers
        .iter()
        .filter_map(|l| match l.layer.spec {
            LayerSpec::Activation(a) => Some(a),
            _ => None,
        })
        .any(|a| a.is_saturating());
    let small = layers.iter().find_map(|l| match l.explicit_init {
        Some((Init::Small { std }, span)) if std <= 0.01 => Some(span),
        _ => None,
    });
    if weighted >= 5
        && saturating
        && let Some(span) = small
    {
        env.report(
            Diagnostic::new(
                Code::W309,
                format!(
                    "`small` initialization in a deep ({weighted} layers) sigmoid/tanh network"
                ),
            )
            .primary(span, "activations shrink toward zero layer after layer")
            .help("use `init: xavier` so the activation variance stays the same through depth"),
        );
    }
}

/// E301 (input width) and E302 (output width against the classes).
pub(crate) fn shapes(
    env: &mut Env<'_>,
    model: &BuiltModel,
    facts: Option<&DataFacts>,
    table: &crate::shapes::ShapeTable,
) {
    let Some(facts) = facts else { return };
    if let (Some((declared, span)), Width::Known(features)) = (model.input, &facts.model_features)
        && declared != *features
    {
        env.report(
            Diagnostic::new(Code::E301, "input width does not match the data")
                .primary(span, format!("model declares {declared} input features"))
                .secondary(
                    facts.source_span,
                    format!("this source produces {features} features"),
                )
                .help(format!(
                    "remove `input {declared}`; the input width is inferred from `data`"
                )),
        );
    }
    let Some((loss, loss_span)) = model.loss else {
        return;
    };
    // Without the model's last layer (its statement was an error), the output width is not
    // the one the file means.
    if matches!(loss, Loss::MeanSquaredError) || model.tail_incomplete() {
        return;
    }
    let (Some(classes), Width::Known(out)) =
        (facts.shape.as_ref().map(|s| s.classes), &table.output)
    else {
        return;
    };
    if classes == *out {
        return;
    }
    let last = model
        .layers
        .iter()
        .rev()
        .find(|l| l.layer.spec.has_weights());
    let loss_name = if matches!(loss, Loss::SoftmaxCrossEntropy) {
        "softmax"
    } else {
        "svm"
    };
    let mut diagnostic = Diagnostic::new(
        Code::E302,
        format!("output width {out} does not match the {classes} classes of the data"),
    );
    if let Some(last) = last {
        diagnostic = diagnostic.primary(last.layer.span, format!("produces {out} scores"));
    } else {
        diagnostic = diagnostic.primary(loss_span, format!("receives {out} scores"));
    }
    diagnostic = diagnostic
        .secondary(
            loss_span,
            format!("{loss_name} loss needs one score per class"),
        )
        .secondary(
            facts.classes_span.unwrap_or(facts.source_span),
            format!("{classes} classes here"),
        );
    env.report(diagnostic.help("write `dense data.classes`"));
}
