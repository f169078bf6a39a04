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
    /// The value it takes when not given, as written in a file (`0.01`, `true`), or in words
    /// when it depends on the context (`last column`); `None` for required arguments and for
    /// arguments whose absence means "off".
    pub default: Option<&'static str>,
}

impl ArgSpec {
    /// The argument with its default value.
    const fn or(self, default: &'static str) -> ArgSpec {
        ArgSpec {
            default: Some(default),
            ..self
        }
    }

    /// How `nnc list` shows it: `lr*` (required), `alpha: 0.01` (with its default), `init`.
    pub fn display(&self) -> String {
        match (self.required, self.default) {
            (true, _) => format!("{}*", self.name),
            (false, Some(d)) => format!("{}: {d}", self.name),
            (false, None) => self.name.to_string(),
        }
    }
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
    /// How `nnc list` shows it: `leaky_relu(alpha: 0.01)`, `sgd(lr*, momentum: 0, …)`, `relu`.
    pub fn display(&self) -> String {
        if self.args.is_empty() {
            return self.name.to_string();
        }
        let args: Vec<String> = self.args.iter().map(ArgSpec::display).collect();
        format!("{}({})", self.name, args.join(", "))
    }

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
        default: None,
    }
}

const fn opt(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: false,
        positional: true,
        default: None,
    }
}

const fn kw(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: false,
        positional: false,
        default: None,
    }
}

const fn kwreq(name: &'static str) -> ArgSpec {
    ArgSpec {
        name,
        required: true,
        positional: false,
        default: None,
    }
}

const fn sig(name: &'static str, args: &'static [ArgSpec]) -> Signature {
    Signature { name, args }
}

/// Layers of a `model` body (activations are in [`ACTIVATIONS`]).
pub const LAYERS: &[Signature] = &[
    sig(
        "dense",
        &[
            req("width"),
            kw("init").or("by activation"),
            kw("bias").or("0"),
        ],
    ),
    sig(
        "batchnorm",
        &[
            kw("momentum").or("0.1"),
            kw("eps").or("1e-5"),
            kw("affine").or("true"),
        ],
    ),
    sig("dropout", &[req("rate")]),
    sig(
        "maxout",
        &[
            req("width"),
            kwreq("pieces"),
            kw("init").or("by activation"),
            kw("bias").or("0"),
        ],
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
    sig("leaky_relu", &[opt("alpha").or("0.01")]),
    sig("elu", &[opt("alpha").or("1.0")]),
    sig("gelu", &[]),
    sig("selu", &[]),
    sig("softplus", &[]),
    sig("swish", &[]),
    sig("none", &[]),
];

/// Loss functions.
pub const LOSSES: &[Signature] = &[
    sig("softmax", &[]),
    sig("svm", &[opt("margin").or("1")]),
    sig("mse", &[]),
];

/// Weight (and bias) initializers.
pub const INITIALIZERS: &[Signature] = &[
    sig("small", &[opt("std").or("0.01")]),
    sig("xavier", &[]),
    sig("he", &[]),
    sig("uniform", &[req("a")]),
    sig("zeros", &[]),
];

/// Data sources.
pub const SOURCES: &[Signature] = &[
    sig(
        "spiral",
        &[
            opt("points").or("100"),
            opt("classes").or("3"),
            opt("noise").or("0.2"),
        ],
    ),
    sig(
        "circles",
        &[
            opt("points").or("100"),
            opt("noise").or("0.2"),
            opt("factor").or("0.5"),
        ],
    ),
    sig(
        "blobs",
        &[
            opt("points").or("100"),
            opt("classes").or("3"),
            opt("features").or("2"),
            opt("std").or("1.0"),
        ],
    ),
    sig("xor", &[opt("points").or("100"), opt("noise").or("0.2")]),
    sig("random", &[req("rows"), req("features"), req("classes")]),
    sig(
        "csv",
        &[
            req("path"),
            kw("label").or("last column"),
            kw("header").or("true"),
            kw("columns").or("all others"),
        ],
    ),
    sig("idx", &[req("images"), req("labels")]),
    sig("cifar", &[req("paths")]),
];

/// Preprocessing steps.
pub const PREPROCESS: &[Signature] = &[
    sig("scale", &[req("c")]),
    sig("center", &[]),
    sig("normalize", &[]),
    sig("minmax", &[opt("lo").or("0"), opt("hi").or("1")]),
    sig("pca", &[kw("components"), kw("variance")]),
    sig("whiten", &[opt("eps").or("1e-5")]),
    sig("zca", &[opt("eps").or("1e-5")]),
];

/// Statements of the `data` section.
pub const DATA_STATEMENTS: &[Signature] = &[
    sig("source", &[req("source")]),
    sig("test", &[req("source")]),
    sig(
        "split",
        &[
            opt("kfold"),
            kw("train").or("100%"),
            kw("val").or("0%"),
            kw("test").or("0%"),
            kw("shuffle").or("true"),
            kw("stratify").or("false"),
        ],
    ),
    sig("preprocess", &[kw("fit").or("train")]),
    sig("seed", &[req("seed")]),
];

/// Optimizers.
pub const OPTIMIZERS: &[Signature] = &[
    sig(
        "sgd",
        &[
            req("lr"),
            kw("momentum").or("0"),
            kw("nesterov").or("false"),
            kw("dampening").or("0"),
        ],
    ),
    sig("adagrad", &[opt("lr").or("0.01"), kw("eps").or("1e-10")]),
    sig(
        "rmsprop",
        &[
            opt("lr").or("1e-3"),
            kw("decay").or("0.99"),
            kw("eps").or("1e-8"),
        ],
    ),
    sig(
        "adam",
        &[
            opt("lr").or("1e-3"),
            kw("beta1").or("0.9"),
            kw("beta2").or("0.999"),
            kw("eps").or("1e-8"),
        ],
    ),
    sig(
        "adamw",
        &[
            opt("lr").or("1e-3"),
            kw("beta1").or("0.9"),
            kw("beta2").or("0.999"),
            kw("eps").or("1e-8"),
            kw("weight_decay").or("0.01"),
        ],
    ),
];

/// Learning-rate schedules.
pub const SCHEDULES: &[Signature] = &[
    sig("none", &[]),
    sig("step", &[req("every"), kw("factor").or("0.1")]),
    sig("exp", &[req("k")]),
    sig("inv", &[req("k"), kw("power").or("1")]),
    sig("multistep", &[req("at"), kw("factor").or("0.1")]),
    sig(
        "cosine",
        &[kw("period").or("the whole run"), kw("min_lr").or("0")],
    ),
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
    sig("clip", &[req("norm")]),
    sig("batch", &[req("size")]),
    sig("epochs", &[req("count")]),
    sig("steps", &[req("count")]),
    sig("eval", &[req("split"), kw("every").or("1 epoch")]),
    sig(
        "early_stop",
        &[
            req("metric"),
            kw("patience").or("10"),
            kw("min_delta").or("0"),
        ],
    ),
    sig("log", &[kwreq("every")]),
    sig("keep", &[req("weights")]),
    sig("seed", &[req("seed")]),
];

/// What `keep` can keep.
pub const KEEP_CHOICES: &[&str] = &["best", "last"];

/// Search strategies.
pub const STRATEGIES: &[Signature] = &[
    sig("random", &[kw("seed").or("0")]),
    sig("grid", &[]),
    sig(
        "halving",
        &[
            kw("seed").or("0"),
            kw("eta").or("3"),
            kwreq("min"),
            kwreq("max"),
        ],
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
    sig("metric", &[req("metric"), kw("goal").or("by metric")]),
    sig("trials", &[req("count")]),
    sig("epochs", &[req("count")]),
    sig(
        "stage",
        &[
            req("name"),
            kw("trials"),
            kw("epochs").or("the file's"),
            kw("keep").or("5"),
            kw("shrink").or("0.5"),
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

/// Whether `word` is a callee of the catalogue (an optimizer, a regularizer, an initializer,
/// …): something written `word(args)`.
pub fn is_callee(word: &str) -> bool {
    let tables: [&[Signature]; 12] = [
        ACTIVATIONS,
        LOSSES,
        INITIALIZERS,
        SOURCES,
        PREPROCESS,
        OPTIMIZERS,
        SCHEDULES,
        REGULARIZERS,
        CONSTRAINTS,
        STRATEGIES,
        DISTRIBUTIONS,
        VALIDATION,
    ];
    tables.iter().any(|t| find(t, word).is_some())
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

    /// The default `nnc list` shows for `arg` of `name` in `table`, as a number.
    fn listed_default(table: &'static [Signature], name: &str, arg: &str) -> f64 {
        let signature = find(table, name).expect("in the catalogue");
        let spec = signature
            .args
            .iter()
            .find(|a| a.name == arg)
            .expect("an argument");
        spec.default.expect("a default").parse().expect("a number")
    }

    /// The defaults `nnc list` shows are the ones the library uses (they are written twice:
    /// as numbers in the library, as text in the catalogue).
    #[test]
    fn listed_defaults_are_the_librarys() {
        use nnc_train::optim;
        for a in Activation::ALL.iter().filter(|a| a.has_parameter()) {
            assert_eq!(
                listed_default(ACTIVATIONS, a.name(), "alpha"),
                a.parameter(),
                "{}",
                a.name()
            );
        }
        for (name, arg, library) in [
            ("adam", "beta1", optim::ADAM_BETA1),
            ("adam", "beta2", optim::ADAM_BETA2),
            ("adam", "eps", optim::ADAM_EPS),
            ("adamw", "beta1", optim::ADAM_BETA1),
            ("adamw", "beta2", optim::ADAM_BETA2),
            ("adamw", "eps", optim::ADAM_EPS),
            ("adamw", "weight_decay", optim::ADAMW_WEIGHT_DECAY),
            ("adagrad", "eps", optim::ADAGRAD_EPS),
            ("rmsprop", "decay", optim::RMSPROP_DECAY),
        ] {
            assert_eq!(
                listed_default(OPTIMIZERS, name, arg),
                library,
                "{name} {arg}"
            );
        }
    }

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
