//! Long explanations per diagnostic code, for `nnc explain E301`.

use crate::diagnostics::Code;

/// The explanation of `code` (`"E301"`, `"e301"` or `"E0301"`), if it is a known code.
pub fn explain(code: &str) -> Option<&'static str> {
    Code::parse(code).map(explanation)
}

/// The explanation of a code.
pub fn explanation(code: Code) -> &'static str {
    use Code::*;
    match code {
        E001 => {
            "E001 unexpected token\n\nThe parser met something it did not expect. Statements end at a newline or `;`; arguments are separated by `,`; keyword arguments are written `name: value`; commands on one line are joined by `->`. A newline is allowed inside `()`/`[]` and after `,` or `->`.\n\n    dense 10 relu        # wrong: missing `->`\n    dense 10 -> relu     # right\n"
        }
        E002 => {
            "E002 unclosed block\n\nA `{` has no matching `}` before the next section or the end of the file. The message names the block and where it was opened.\n\n    model {\n      dense 10\n    train {              # the model block was never closed\n"
        }
        E003 => {
            "E003 malformed number, percentage or unit\n\nNumbers are `12`, `10_000`, `0.5`, `1e-3`, `3E+2`; a percentage is a number followed by one `%`; time amounts are a number followed by `epochs`/`epoch` or `steps`/`step`.\n\n    lr = 1e        # wrong: the exponent needs digits -> 1e-3\n    every: 5 epoc  # wrong: unknown unit -> 5 epochs\n"
        }
        E004 => {
            "E004 `key=value` in arguments\n\nKeyword arguments use `:`. `=` only appears in `let`, `param` and block formal defaults.\n\n    optimizer sgd(lr=0.1)   # wrong\n    optimizer sgd(lr: 0.1)  # right\n"
        }
        E005 => {
            "E005 unsupported format version\n\nThe first line `nn X.Y` declares the format version. This version of nnc reads `nn 0.1`. Remove the line to mean \"the current version\".\n"
        }
        E006 => {
            "E006 unterminated string\n\nStrings are written on one line between double quotes, with `\\\"` and `\\\\` escapes.\n\n    source csv(\"data/letters.csv, label: \"letter\")   # missing closing quote\n"
        }
        E101 => {
            "E101 unknown layer, statement or section\n\nEvery statement word comes from the catalogue of its section: layers and activations (and your blocks) in `model`, `source`/`split`/`preprocess`/`test`/`seed` in `data`, `optimizer`/`schedule`/`batch`/... in `train`, `metric`/`trials`/`stage`/... in `search`. The help line suggests the closest valid name. `nnc list layers` prints the catalogue.\n"
        }
        E102 => {
            "E102 unknown name in a catalogue\n\nA value position expects a name from a catalogue: an activation, an initializer (`small`, `xavier`, `he`, `uniform`, `zeros`), an optimizer (`sgd`, `adagrad`, `rmsprop`, `adam`, `adamw`), a schedule, a regularizer, a data source, a preprocessing step, a distribution or a metric (`val.accuracy`). The help line suggests the closest valid name.\n"
        }
        E103 => {
            "E103 unknown keyword argument\n\nThe callee is known but has no argument with this name. The note lists the arguments it takes.\n\n    optimizer sgd(lr: 0.1, momemtum: 0.9)   # did you mean `momentum`?\n"
        }
        E104 => {
            "E104 unknown name in an expression\n\nA name used as a value is not a `let`, a `param`, a block formal, a `repeat` variable or a `data.*` value (`data.features`, `data.classes`, `data.rows`, `data.train.size`, `data.val.size`, `data.test.size`). `data.*` cannot be used inside the `data` section itself.\n"
        }
        E105 => {
            "E105 duplicate definition\n\nA name is declared twice (`let H` twice, a `param` with the name of a `let`, two blocks or formals with one name), or a statement that may appear once is repeated (`optimizer`, `batch`, `epochs`/`steps`, `loss`, ...). The secondary label shows the first one.\n"
        }
        E106 => {
            "E106 missing required argument\n\nA callee needs an argument that is not given, or a section lacks a required statement (`source` in `data`; `optimizer` and `epochs`/`steps` in `train`).\n\n    dense            # wrong: `dense` needs a width -> dense 128\n"
        }
        E107 => {
            "E107 malformed argument list\n\nAn argument is given twice, a positional argument follows a keyword argument, or there are more positional arguments than the callee takes.\n"
        }
        E108 => {
            "E108 cyclic definitions\n\n`let`/`param` values refer to each other in a circle, so none of them has a value. The message shows the cycle; the labels show each reference.\n\n    let a = b + 1\n    let b = a * 2\n"
        }
        E109 => {
            "E109 recursive block use\n\nA block uses itself, directly or through other blocks. Blocks are expanded like macros, so this would never end. Use `repeat` to stack copies.\n"
        }
        E110 => {
            "E110 CSV column not found\n\nA column named in `label:` or `columns:` is not in the CSV header. The help line suggests the closest header name.\n"
        }
        E201 => {
            "E201 wrong argument type\n\nA value has the wrong type: a width must be a positive integer, `init` an initializer (`small(0.01)`, not `0.01`), a flag `true` or `false`, a CSV column a string. Also raised when `--set` gives a param a value of another type than its default.\n"
        }
        E202 => {
            "E202 value out of range\n\nA value is outside its valid range: a dropout rate must be in [0, 1), a batch size at least 1, `leaky_relu` alpha non-negative, `loguniform` bounds positive and increasing, split shares must add up to 100%. Division by zero and non-finite results are reported here too.\n"
        }
        E203 => {
            "E203 missing or wrong unit\n\nDurations need a unit: `5 epochs` or `100 steps` (`every:`, `warmup:`, `period:`, milestones). Steps must be whole numbers; epochs and steps cannot be mixed in one expression.\n"
        }
        E204 => {
            "E204 integer use fed by a float search space\n\nA `param` used where an integer is required (a width, a count, maxout pieces, a repeat count) is searched with a distribution that produces non-integers (`uniform`, `loguniform`, `log1m`). Use `int(a, b)`, `logint(a, b)` or `choice(…)` of integers.\n"
        }
        E205 => {
            "E205 path expected\n\nFile paths are strings: `csv(\"data/letters.csv\")`, not `csv(data/letters.csv)`. Relative paths are resolved from the directory of the model file.\n"
        }
        E301 => {
            "E301 input width does not match the data\n\n`input N` declares the model's input width, but the data (after preprocessing) has another number of features. The input width is inferred from `data`; remove `input`, or fix it.\n"
        }
        E302 => {
            "E302 output width does not match the number of classes\n\nWith `loss softmax` or `loss svm`, the last layer must produce one score per class. Write `dense data.classes` as the last layer so it follows the data.\n"
        }
        E303 => {
            "E303 model without trainable layer or loss\n\nA model needs at least one layer with weights (`dense`, `maxout`) and ends with a `loss` statement; no layer may follow the loss.\n"
        }
        E304 => {
            "E304 `default` or `input` after the first layer\n\n`default init: …, bias: …` and `input N` apply from the top of the model; write them before the first layer.\n"
        }
        E305 => {
            "E305 maxout with fewer than 2 pieces\n\n`maxout N, pieces: k` takes the maximum of k affine pieces per unit. With k = 1 it is a plain linear layer; use k ≥ 2 (2 to 5 is typical).\n"
        }
        W306 => {
            "W306 activation right before a classification loss\n\n`loss softmax` and `loss svm` expect raw, unbounded class scores. An activation such as `relu` or `sigmoid` right before them clips or squashes the scores and hurts learning. Remove it.\n"
        }
        W307 => {
            "W307 redundant activation\n\nTwo activations in a row, or an activation right after `maxout` (which is its own nonlinearity), add cost and rarely help.\n"
        }
        W308 => {
            "W308 bias right before batch normalization\n\nBatch normalization subtracts the batch mean, which cancels any bias added just before it; batchnorm's learnable `beta` plays that role. Write `bias: false` on the layer.\n"
        }
        W309 => {
            "W309 initialization does not suit the activation\n\n`xavier` keeps the activation variance for tanh-like units but halves it at every ReLU layer; use `he` for ReLU stacks. `small(0.01)` in a deep sigmoid/tanh network makes activations shrink toward zero with depth; use `xavier`.\n"
        }
        E310 => {
            "E310 all-zero weight initialization\n\nWith all weights zero, every unit of a layer computes the same output and receives the same gradient, so they never become different. Zero (or constant) initialization is only for biases.\n"
        }
        W311 => {
            "W311 batch normalization with batch size 1\n\nBatch statistics of a single example are undefined (the variance is zero). Use a batch of at least 16, or remove `batchnorm`.\n"
        }
        E401 => {
            "E401 missing `data` section\n\nThe file does not say what data to use. Add a `data` section, e.g.\n\n    data {\n      source spiral(points: 100, classes: 3)\n      split train: 80%, val: 20%\n    }\n"
        }
        E402 => {
            "E402 missing `model` section\n\nThe file does not describe a network. Add a `model` section ending with a `loss`.\n"
        }
        E403 => {
            "E403 missing `train` section\n\n`nnc run` and `nnc search` need a `train` section (optimizer, batch size, length). `nnc check` and `nnc gradcheck` do without.\n"
        }
        E404 => {
            "E404 duplicate section\n\nOne file describes one experiment: each of `data`, `model`, `train` and `search` appears at most once.\n"
        }
        E405 => {
            "E405 metric refers to a split that does not exist\n\n`eval val`, `early_stop val.loss` or `metric val.accuracy` need a validation split (`split train: 80%, val: 20%` or `split kfold(5)`; for `search`, `validate kfold(k)` also provides one). `test.*` needs a test share or a `test` source.\n"
        }
        E406 => {
            "E406 data file not found or unreadable\n\nA file named by `csv(…)`, `idx(…)` or `cifar(…)` cannot be read. Relative paths are resolved from the directory of the model file, not from the current directory.\n"
        }
        E407 => {
            "E407 IDX file malformed or inconsistent\n\nIDX image files start with the magic number 0x00000803 and label files with 0x00000801; both must hold the same number of items.\n"
        }
        E408 => {
            "E408 CSV file malformed\n\nA CSV row has a different number of cells than the header, or a feature cell is not a finite number. The message gives the line and column.\n"
        }
        W409 => {
            "W409 preprocessing fitted on all data\n\n`preprocess …, fit: all` computes means, deviations or PCA bases on validation and test rows too, which leaks information into the evaluation. Statistics should be fitted on the training split only (the default) and then applied to every split.\n"
        }
        E410 => {
            "E410 whitening without centering\n\n`whiten` and `zca` assume zero-mean data. Add `center` before them: `preprocess center, whiten(eps: 1e-5)`.\n"
        }
        E411 => {
            "E411 more PCA components than features\n\n`pca(components: k)` cannot keep more components than the data has features. Use a smaller k or `pca(variance: 0.99)`.\n"
        }
        W412 => {
            "W412 normalization after whitening\n\nWhitened data already has unit variance in every direction; `normalize` after `whiten`/`zca` is redundant.\n"
        }
        I413 => {
            "I413 `search` section ignored by `nnc run`\n\n`nnc run` trains once with the params' defaults (and `--set` overrides); the `search` section is used by `nnc search`.\n"
        }
        E414 => {
            "E414 only one class in the data\n\nEvery example has the same label, so a classifier has nothing to tell apart: its loss is 0 from the first step and it learns nothing. Check the `label:` column of a CSV file (or the labels file of IDX data), or the `classes:` of a generated source; at least two classes are needed.\n"
        }
        E501 => {
            "E501 search space on a non-hyperparameter\n\nOnly `param`s can be searched; a `let` is a constant. Declare it with `param` to make it searchable.\n"
        }
        E502 => {
            "E502 unknown name in `search`\n\nThe name on the left of `~` is not declared. The help line suggests the closest `param`.\n"
        }
        W503 => {
            "W503 searched `param` never used\n\nA searched `param` does not reach the model or the training settings, so every trial would be the same.\n"
        }
        E504 => {
            "E504 grid search over a continuous space\n\n`search grid` enumerates every combination, so every space must be finite: `choice(…)`, `int(a, b)` or `logint(a, b)`. Use `search random` for continuous spaces.\n"
        }
        E505 => {
            "E505 inconsistent search stages or trials\n\nA random search needs `trials n` or `stage` lines (not both); every stage needs `trials:`; `keep:` must not exceed the previous stage's trials and makes no sense on the first stage; `shrink:` must be in (0, 1).\n"
        }
        W506 => {
            "W506 best value on the border of its search range\n\nAfter a search, the best value of a param lies within the outer 10% of its range (in log space for log distributions): the optimum may lie outside. Consider widening the range.\n"
        }
        E507 => {
            "E507 `--set` of an unknown or non-`param` name\n\n`--set name=value` overrides a `param`'s default. The name must be a declared `param`; a `let` is a constant and cannot be overridden.\n"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_explained_and_parsable() {
        for code in Code::ALL {
            let text = explanation(*code);
            assert!(text.starts_with(code.as_str()), "{code}: {text}");
            assert_eq!(Code::parse(code.as_str()), Some(*code));
        }
        assert_eq!(Code::parse("E0301"), Some(Code::E301));
        assert_eq!(Code::parse("w306"), Some(Code::W306));
        assert!(explain("E999").is_none());
    }
}
