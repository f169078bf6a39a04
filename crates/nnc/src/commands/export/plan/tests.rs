use super::*;
use nnc_data::{Pipeline, Step, generated};
use nnc_ops::{ForwardCtx, Init};
use nnc_tape::{Float, ParamId, Parameters, Tape, Var, rng};

/// Applies the operations of `steps` to the rows of `x` (`[n, d]`) in f64, naively.
fn run_ops(steps: &[PreStep], x: &[f32], d: usize) -> Vec<Vec<f64>> {
    let mut rows: Vec<Vec<f64>> = x
        .chunks(d)
        .map(|r| r.iter().map(|&v| f64::from(v)).collect())
        .collect();
    for op in steps.iter().flat_map(|s| &s.ops) {
        let c = op.constant();
        let at = |j: usize| {
            f64::from(if c.shape.is_empty() {
                c.data[0]
            } else {
                c.data[j]
            })
        };
        for row in &mut rows {
            *row = match op {
                PreOp::Sub(_) => row.iter().enumerate().map(|(j, v)| v - at(j)).collect(),
                PreOp::Div(_) => row.iter().enumerate().map(|(j, v)| v / at(j)).collect(),
                PreOp::Mul(_) => row.iter().enumerate().map(|(j, v)| v * at(j)).collect(),
                PreOp::Add(_) => row.iter().enumerate().map(|(j, v)| v + at(j)).collect(),
                PreOp::MatMul(_) => {
                    let (rows_in, cols) = (c.shape[0], c.shape[1]);
                    assert_eq!(rows_in, row.len(), "{}", c.name);
                    (0..cols)
                        .map(|k| {
                            (0..rows_in)
                                .map(|i| row[i] * f64::from(c.data[i * cols + k]))
                                .sum()
                        })
                        .collect()
                }
            };
        }
    }
    rows
}

/// The exported operations of every preprocessing step compute what the fitted pipeline
/// computes (to f32 rounding of the statistics).
#[test]
fn preprocessing_ops_reproduce_the_fitted_pipeline() {
    let data = generated::blobs(60, 3, 5, 2.0, &mut rng(0)).unwrap();
    let pipelines = [
        vec![Step::Scale { factor: 0.5 }, Step::Center, Step::Normalize],
        vec![Step::MinMax { lo: -1.0, hi: 1.0 }],
        vec![
            Step::Center,
            Step::Pca {
                keep: nnc_data::PcaKeep::Components(3),
            },
        ],
        vec![Step::Whiten { eps: 1e-3 }],
        vec![Step::Zca { eps: 1e-2 }],
    ];
    for steps in pipelines {
        let fitted = Pipeline::new(steps.clone()).unwrap().fit(&data).unwrap();
        let ops = preprocessing(&fitted);
        assert_eq!(ops.len(), steps.len());
        let want = fitted.transform_inputs(data.inputs()).unwrap();
        let got = run_ops(&ops, data.inputs().data(), 5);
        let width = fitted.output_features();
        for (row, want) in got.iter().zip(want.data().chunks(width)) {
            assert_eq!(row.len(), width);
            for (g, w) in row.iter().zip(want) {
                assert!((g - f64::from(*w)).abs() < 1e-4, "{steps:?}: {g} vs {w}");
            }
        }
    }
}

/// A layer the exporter does not know.
#[derive(Clone)]
struct Doubling;

impl<T: Float> Layer<T> for Doubling {
    fn name(&self) -> &str {
        "doubling1"
    }
    fn kind(&self) -> LayerKind {
        LayerKind::Custom("doubling")
    }
    fn forward(
        &mut self,
        tape: &mut Tape<T>,
        _: &Parameters<T>,
        x: Var,
        _: &mut ForwardCtx<'_>,
    ) -> nnc_ops::Result<Var> {
        Ok(tape.add(x, x)?)
    }
    fn param_ids(&self) -> &[ParamId] {
        &[]
    }
    fn output_width(&self, input_width: usize) -> nnc_ops::Result<usize> {
        Ok(input_width)
    }
    fn to_f64(&self) -> Box<dyn Layer<f64>> {
        Box::new(self.clone())
    }
    fn to_f32(&self) -> Box<dyn Layer<f32>> {
        Box::new(self.clone())
    }
}

#[test]
fn a_layer_without_an_export_is_an_error_naming_it() {
    let mut model = Sequential::<f32>::new(4);
    let specs = vec![("dense1".to_string(), LayerSpec::dense(3, Init::He))];
    model.push_named("dense1", specs[0].1, &mut rng(0)).unwrap();
    model.push_layer(|_, _| Ok(Box::new(Doubling))).unwrap();
    let err = layers(&model, &specs).unwrap_err();
    assert_eq!(err.code, BAD_MODEL);
    assert!(err.message.contains("`doubling1`"), "{}", err.message);
    assert!(err.hint.contains("nnc list activations"), "{}", err.hint);
    // Without the custom layer, the same model exports.
    model = Sequential::new(4);
    model.push_named("dense1", specs[0].1, &mut rng(0)).unwrap();
    let nodes = layers(&model, &specs).unwrap();
    assert!(
        matches!(&nodes[..], [Node::Dense { weight, bias: Some(_), .. }] if weight.shape == [4, 3])
    );
}
