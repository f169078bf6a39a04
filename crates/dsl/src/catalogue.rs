//! The vocabulary: every statement, layer, activation, initializer, source, preprocessing
//! step, optimizer, schedule, regularizer, distribution and metric, with its arguments.

/// One argument of a callee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArgSpec {
    /// The keyword.
    pub name: &'static str,
    /// Whether it must be given.
    pub required: bool,
    /// Whether it may be given by position (in declaration order).
    pub positional: bool,
}

/// A callee and its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Signature {
    /// The callee's name.
    pub name: &'static str,
    /// Its arguments in positional order.
    pub args: &'static [ArgSpec],
}

impl Signature {
    /// The argument names, comma-separated (for "`sgd` takes: …" notes).
    pub fn arg_list(&self) -> String {
        self.args
            .iter()
            .map(|a| a.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const fn req(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: true,
        positional: true,
    }
}

const fn opt(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: false,
        positional: true,
    }
}

const fn kw(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: false,
        positional: false,
    }
}

const fn kwreq(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: true,
        positional: false,
    }
}

const fn sig(name: &'static str, args: &'static [ArgSpec]) -> Signature {
    Signature { name, args }
}

/// Layers of a `model` body (activations are in [`ACTIVATIONS`]).
pub const LAYERS: &[Signature] = &[
    sig("dense", &[req("width"), kw("init"), kw("bias")]),
    sig("batchnorm", &[kw("momentum"), kw("eps"), kw("affine")]),
    sig("dropout", &[req("rate")]),
    sig(
        "maxout",
        &[req("width"), kw("pieces"), kw("init"), kw("bias")],
    ),
];

/// The other statements of a `model` body.
pub const MODEL_STATEMENTS: &[Signature] = &[
    sig("input", &[req("width")]),
    sig("default", &[kw("init"), kw("bias")]),
    sig("loss", &[req("loss")]),
];

/// Activation functions (usable as layers and as values): the library's
/// [`nnc_ops::Activation::ALL`], in its order, with `alpha` for those that take a parameter
/// (a test keeps the two lists equal).
pub const ACTIVATIONS: &[Signature] = &[
    sig("sigmoid", &[]),
    sig("tanh", &[]),
    sig("relu", &[]),
    sig("leaky_relu", &[opt("alpha")]),
    sig("elu", &[opt("alpha")]),
    sig("gelu", &[]),
    sig("selu", &[]),
    sig("softplus", &[]),
    sig("swish", &[]),
    sig("none", &[]),
];

/// Loss functions.
pub const LOSSES: &[Signature] = &[
    sig("softmax", &[]),
    sig("svm", &[opt("margin")]),
    sig("mse", &[]),
];

/// Weight (and bias) initializers.
pub const INITIALIZERS: &[Signature] = &[
    sig("small", &[opt("std")]),
    sig("xavier", &[]),
    sig("he", &[]),
    sig("uniform", &[req("a")]),
    sig("zeros", &[]),
];

/// Data sources.
pub const SOURCES: &[Signature] = &[
    sig("spiral", &[opt("points"), opt("classes"), opt("noise")]),
    sig("circles", &[opt("points"), opt("noise"), opt("factor")]),
    sig(
        "blobs",
        &[opt("points"), opt("classes"), opt("features"), opt("std")],
    ),
    sig("xor", &[opt("points"), opt("noise")]),
    sig("random", &[req("rows"), req("features"), req("classes")]),
    sig(
        "csv",
        &[req("path"), kw("label"), kw("header"), kw("columns")],
    ),
    sig("idx", &[req("images"), req("labels")]),
    sig("cifar", &[req("paths")]),
];

/// Preprocessing steps.
pub const PREPROCESS: &[Signature] = &[
    sig("scale", &[req("c")]),
    sig("center", &[]),
    sig("normalize", &[]),
    sig("minmax", &[opt("lo"), opt("hi")]),
    sig("pca", &[kw("components"), kw("variance")]),
    sig("whiten", &[opt("eps")]),
    sig("zca", &[opt("eps")]),
];

/// Statements of the `data` section.
pub const DATA_STATEMENTS: &[Signature] = &[
    sig("source", &[req("source")]),
    sig("test", &[req("source")]),
    sig(
        "split",
        &[
            opt("kfold"),
            kw("train"),
            kw("val"),
            kw("test"),
            kw("shuffle"),
            kw("stratify"),
        ],
    ),
    sig("preprocess", &[kw("fit")]),
    sig("seed", &[req("seed")]),
];

/// Optimizers.
pub const OPTIMIZERS: &[Signature] = &[
    sig(
        "sgd",
        &[req("lr"), kw("momentum"), kw("nesterov"), kw("dampening")],
    ),
    sig("adagrad", &[opt("lr"), kw("eps")]),
    sig("rmsprop", &[opt("lr"), kw("decay"), kw("eps")]),
    sig("adam", &[opt("lr"), kw("beta1"), kw("beta2"), kw("eps")]),
    sig(
        "adamw",
        &[
            opt("lr"),
            kw("beta1"),
            kw("beta2"),
            kw("eps"),
            kw("weight_decay"),
        ],
    ),
];

/// Learning-rate schedules.
pub const SCHEDULES: &[Signature] = &[
    sig("none", &[]),
    sig("step", &[req("every"), kw("factor")]),
    sig("exp", &[req("k")]),
    sig("inv", &[req("k"), kw("power")]),
    sig("multistep", &[req("at"), kw("factor")]),
    sig("cosine", &[kw("period"), kw("min_lr")]),
];

/// Regularizers.
pub const REGULARIZERS: &[Signature] = &[
    sig("none", &[]),
    sig("l2", &[req("lambda")]),
    sig("l1", &[req("lambda")]),
    sig("elastic", &[req("l1"), req("l2")]),
];

/// Weight constraints.
pub const CONSTRAINTS: &[Signature] = &[sig("maxnorm", &[req("c")])];

/// Statements of the `train` section.
pub const TRAIN_STATEMENTS: &[Signature] = &[
    sig("optimizer", &[req("optimizer")]),
    sig("schedule", &[req("schedule"), kw("warmup")]),
    sig("regularize", &[req("regularizer")]),
    sig("constrain", &[req("constraint")]),
    sig("clip", &[opt("norm")]),
    sig("batch", &[req("size")]),
    sig("epochs", &[req("count")]),
    sig("steps", &[req("count")]),
    sig("eval", &[req("split"), kw("every")]),
    sig(
        "early_stop",
        &[req("metric"), kw("patience"), kw("min_delta")],
    ),
    sig("log", &[kw("every")]),
    sig("keep", &[req("weights")]),
    sig("seed", &[req("seed")]),
];

/// What `keep` can keep.
pub const KEEP_CHOICES: &[&str] = &["best", "last"];

/// Search strategies.
pub const STRATEGIES: &[Signature] = &[
    sig("random", &[kw("seed")]),
    sig("grid", &[]),
    sig(
        "halving",
        &[kw("seed"), kw("eta"), kwreq("min"), kwreq("max")],
    ),
];

/// Search distributions (`choice` takes any number of values).
pub const DISTRIBUTIONS: &[Signature] = &[
    sig("uniform", &[req("lo"), req("hi")]),
    sig("loguniform", &[req("lo"), req("hi")]),
    sig("int", &[req("lo"), req("hi")]),
    sig("logint", &[req("lo"), req("hi")]),
    sig("log1m", &[req("lo"), req("hi")]),
    sig("choice", &[]),
];

/// Statements of the `search` section (besides `name ~ distribution`).
pub const SEARCH_STATEMENTS: &[Signature] = &[
    sig("metric", &[req("metric"), kw("goal")]),
    sig("trials", &[req("count")]),
    sig("epochs", &[req("count")]),
    sig(
        "stage",
        &[
            req("name"),
            kw("trials"),
            kw("epochs"),
            kw("keep"),
            kw("shrink"),
        ],
    ),
    sig("validate", &[req("method")]),
    sig("refit", &[req("enabled")]),
];

/// Validation methods of `validate` and `split`.
pub const VALIDATION: &[Signature] = &[sig("kfold", &[req("k")])];

/// Data splits.
pub const SPLITS: &[&str] = &["train", "val", "test"];

/// Metrics per split.
pub const METRIC_KINDS: &[&str] = &["loss", "accuracy"];

/// All `split.metric` names.
pub const METRICS: &[&str] = &[
    "train.loss",
    "train.accuracy",
    "val.loss",
    "val.accuracy",
    "test.loss",
    "test.accuracy",
];

/// Names after `data.`.
pub const DATA_VALUES: &[&str] = &[
    "features",
    "classes",
    "rows",
    "train.size",
    "val.size",
    "test.size",
];

/// Section names.
pub const SECTIONS: &[&str] = &["data", "model", "train", "search"];

/// Looks `name` up in a table.
pub fn find(table: &'static [Signature], name: &str) -> Option<&'static Signature> {
    table.iter().find(|s| s.name == name)
}

/// The names of a table.
pub fn names(table: &'static [Signature]) -> impl Iterator<Item = &'static str> + Clone {
    table.iter().map(|s| s.name)
}

/// Whether `word` names anything of the catalogue (so that it is not reported as an
/// unknown variable when misused).
pub fn is_known_word(word: &str) -> bool {
    let tables: [&[Signature]; 10] = [
        LAYERS,
        ACTIVATIONS,
        LOSSES,
        INITIALIZERS,
        SOURCES,
        PREPROCESS,
        OPTIMIZERS,
        SCHEDULES,
        REGULARIZERS,
        DISTRIBUTIONS,
    ];
    tables.iter().any(|t| find(t, word).is_some())
        || METRICS.contains(&word)
        || SPLITS.contains(&word)
        || matches!(word, "full" | "max" | "min" | "train" | "all")
}

#[cfg(test)]
mod tests {
    use super::*;
    use nnc_ops::Activation;

    /// The language offers exactly the library's activations, each with an `alpha` argument
    /// when it takes a parameter: adding one to the library and this list is all it needs.
    #[test]
    fn the_activations_are_the_librarys() {
        let library: Vec<(&str, bool)> = Activation::ALL
            .iter()
            .map(|a| (a.name(), a.has_parameter()))
            .collect();
        let language: Vec<(&str, bool)> = ACTIVATIONS
            .iter()
            .map(|s| (s.name, s.args.iter().any(|a| a.name == "alpha")))
            .collect();
        assert_eq!(language, library);
    }
}
