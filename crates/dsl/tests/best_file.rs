//! A search's best trial written as a model file (`best.nn`): the trial's training length, and
//! the refit — validation rows (or every fold) joined to training, the test rows the search's
//! own, the preprocessing fitted on exactly those training rows.

use nnc_data::preprocess::Elementwise;
use nnc_data::{Dataset, FittedStep};
use nnc_dsl::resolve::{TrialFile, trial_text};
use nnc_dsl::{CheckOptions, FileProbe, LoadOptions, ModelFile, Override, Purpose, check_with};
use nnc_train::Duration;
use std::path::PathBuf;

/// A model directory with `data/rows.csv` (an `id` column equal to the row number, 60 rows of
/// three classes of 30, 20 and 10) and an empty search directory; removed on drop.
struct Dirs {
    root: PathBuf,
    models: PathBuf,
    search: PathBuf,
}

impl Dirs {
    fn new(name: &str) -> Dirs {
        let root = std::env::temp_dir().join(format!("nnc-best-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let (models, search) = (root.join("models"), root.join("runs/m/search-1"));
        std::fs::create_dir_all(models.join("data")).unwrap();
        std::fs::create_dir_all(&search).unwrap();
        let mut csv = String::from("id,x,label\n");
        for id in 0..60 {
            let label = ["a", "a", "a", "b", "b", "c"][id % 6];
            csv.push_str(&format!("{id},{},{label}\n", (id * 7) % 13));
        }
        std::fs::write(models.join("data/rows.csv"), csv).unwrap();
        Dirs {
            root,
            models,
            search,
        }
    }

    fn model_path(&self) -> PathBuf {
        self.models.join("m.nn")
    }

    /// `text` with the trial's `sets` checked for a search and written as `trial` says.
    fn best(&self, text: &str, sets: &[&str], trial: &TrialFile<'_>) -> Result<String, String> {
        let path = self.model_path();
        let overrides: Vec<Override> = sets.iter().map(|s| Override::parse(*s)).collect();
        let probe = FileProbe::new();
        let options = CheckOptions {
            overrides: &overrides,
            probe: &probe,
            purpose: Purpose::Search,
        };
        let checked = check_with(text, &path, &options).expect("the model file checks");
        trial_text(
            &path,
            text,
            &overrides,
            &checked.experiment,
            trial,
            "nnc search",
            &self.search,
        )
    }

    /// The model file `text` with `sets`, loaded as the search loads it.
    fn original(&self, text: &str, sets: &[&str]) -> ModelFile {
        ModelFile::from_text(self.model_path(), text, sets)
            .unwrap_or_else(|e| panic!("the model file loads: {e}"))
    }

    /// A written best file, loaded from the search directory as `nnc run` loads it.
    fn written(&self, text: &str) -> ModelFile {
        let options = LoadOptions {
            purpose: Some(Purpose::Run),
            ..LoadOptions::default()
        };
        ModelFile::from_text_with(self.search.join("best.nn"), text, &options)
            .unwrap_or_else(|e| panic!("the best file loads: {e}\n{text}"))
    }
}

impl Drop for Dirs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A searched model with a holdout split written as `split`, and `train` as its train section.
fn model(split: &str, train: &str) -> String {
    format!(
        "nn 0.1\n\
         # A model searched for its learning rate.\n\
         param lr = 0.1\n\
         param n_epochs = 15   # the full length\n\
         data {{\n  source csv(\"data/rows.csv\", label: \"label\")\n  {split}\n  \
         preprocess center\n  seed 4\n}}\n\
         model {{\n  dense 4 -> relu   # small\n  dense data.classes\n  loss softmax\n}}\n\
         {train}\
         search random(seed: 1) {{\n  lr ~ loguniform(1e-3, 1)\n  metric val.accuracy\n  trials 4\n}}\n\
         # the end\n"
    )
}

const TRAIN: &str = "train {\n  optimizer sgd(lr: lr)\n  batch 8\n  epochs n_epochs   # long enough\n  \
                     eval val, every: 1 epoch\n  early_stop val.loss, patience: 3\n  keep best\n}\n";

const HOLDOUT: &str = "split train: 70%, val: 15%, test: 15%, stratify: true";

/// The `id`s of the rows of `data`, sorted.
fn ids(data: &Dataset) -> Vec<u32> {
    let mut ids: Vec<u32> = (0..data.len()).map(|i| data.row(i)[0] as u32).collect();
    ids.sort_unstable();
    ids
}

/// The fitted `center` mean of the `id` column.
fn centred_id_mean(file: &ModelFile) -> f64 {
    match file.compiled().data.pipeline.fitted_steps() {
        [FittedStep::Elementwise(Elementwise::Center { mean })] => mean[0],
        other => panic!("not one `center` step: {other:?}"),
    }
}

#[test]
fn the_trial_budget_replaces_the_training_length_and_comments_stay() {
    let dirs = Dirs::new("epochs");
    let text = model(HOLDOUT, TRAIN);
    let trial = TrialFile {
        epochs: Some(3),
        refit: false,
        note: "# Best of the search: trial 2.\n",
        length_reason: None,
    };
    let best = dirs.best(&text, &["lr=0.3"], &trial).unwrap();
    assert!(
        best.contains(
            "  epochs 3   # long enough   # the trial's budget (file: epochs n_epochs)\n"
        ),
        "{best}"
    );
    assert!(
        best.starts_with("nn 0.1\n# Resolved by `nnc search` from "),
        "{best}"
    );
    assert!(
        best.contains("relative to this file).\n# Overrides: --set lr=0.3\n# Best of the search: trial 2.\n# A model searched"),
        "{best}"
    );
    for kept in [
        "param n_epochs = 15   # the full length\n",
        "param lr = 0.3  # --set (default: 0.1)\n",
        "  dense 4 -> relu   # small\n",
        "\n  eval val, every: 1 epoch\n  early_stop val.loss, patience: 3\n  keep best\n",
        "search random(seed: 1) {\n",
        "# the end\n",
        HOLDOUT,
    ] {
        assert!(best.contains(kept), "{kept:?} is missing from\n{best}");
    }
    let file = dirs.written(&best);
    assert_eq!(file.train_config().unwrap().duration, Duration::Epochs(3));
    // The file's own length stays when the trial trained as long.
    let same = TrialFile {
        epochs: Some(15),
        ..trial
    };
    let best = dirs.best(&text, &["lr=0.3"], &same).unwrap();
    assert!(
        best.contains("  epochs n_epochs   # long enough\n"),
        "{best}"
    );
}

#[test]
fn a_steps_length_becomes_the_trial_epochs() {
    let dirs = Dirs::new("steps");
    let train = "train { optimizer sgd(lr: lr); batch 8; steps 40; eval val }\n";
    let text = model(HOLDOUT, train);
    let trial = TrialFile {
        epochs: Some(2),
        ..TrialFile::default()
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(
        best.contains(
            "train { optimizer sgd(lr: lr); batch 8; epochs 2; eval val }   # the trial's budget (file: steps 40)\n"
        ),
        "{best}"
    );
    let file = dirs.written(&best);
    assert_eq!(file.train_config().unwrap().duration, Duration::Epochs(2));
}

#[test]
fn the_refit_of_a_stratified_holdout_trains_on_train_and_val_and_tests_the_same_rows() {
    let dirs = Dirs::new("holdout");
    let text = model(HOLDOUT, TRAIN);
    let trial = TrialFile {
        epochs: Some(3),
        refit: true,
        note: "",
        length_reason: None,
    };
    let best = dirs.best(&text, &["lr=0.3"], &trial).unwrap();
    assert!(
        best.contains(
            "  split train: 0.85, test: 0.15, stratify: true   # refit: validation rows join training \
             (file: split train: 70%, val: 15%, test: 15%, stratify: true)\n"
        ),
        "{best}"
    );
    for commented in [
        "  # eval val, every: 1 epoch   # refit: no validation split\n",
        "  # early_stop val.loss, patience: 3   # refit: no validation split\n",
        "  # keep best   # refit: no validation split\n",
        "# search: removed (this file is the refit of the best trial, the final model)\n# the end\n",
    ] {
        assert!(
            best.contains(commented),
            "{commented:?} is missing from\n{best}"
        );
    }
    assert!(!best.contains("metric val.accuracy"), "{best}");

    let original = dirs.original(&text, &["lr=0.3"]);
    let refit = dirs.written(&best);
    let (before, after) = (
        &original.compiled().raw.splits,
        &refit.compiled().raw.splits,
    );
    assert!(!before.val.is_empty() && after.val.is_empty());
    assert_eq!(ids(&after.test), ids(&before.test));
    let mut train_and_val = [ids(&before.train), ids(&before.val)].concat();
    train_and_val.sort_unstable();
    assert_eq!(ids(&after.train), train_and_val);
    assert_fitted_on(&refit, &train_and_val);
    assert_eq!(refit.train_config().unwrap().duration, Duration::Epochs(3));
    let spec = refit.experiment().train.as_ref().unwrap();
    assert!(spec.eval.is_none() && spec.early_stop.is_none() && spec.keep.is_none());
    assert!(refit.experiment().search.is_none());
}

/// The `center` step of `file` was fitted on the rows with exactly these `ids`.
fn assert_fitted_on(file: &ModelFile, ids: &[u32]) {
    let expected = ids.iter().map(|&i| f64::from(i)).sum::<f64>() / ids.len() as f64;
    let mean = centred_id_mean(file);
    assert!((mean - expected).abs() < 1e-9, "{mean} != {expected}");
}

#[test]
fn the_refit_of_a_kfold_split_trains_on_every_fold_and_tests_the_same_rows() {
    let dirs = Dirs::new("kfold");
    let train = "train {\n  optimizer sgd(lr: lr)\n  batch 8\n  epochs n_epochs\n  keep best\n}\n";
    let text = model("split kfold(4), test: 20%", train);
    let trial = TrialFile {
        epochs: None,
        refit: true,
        note: "# refit\n",
        length_reason: None,
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(
        best.contains("  split train: 0.8, test: 0.2   # refit: validation rows join training (file: split kfold(4), test: 20%)\n"),
        "{best}"
    );
    assert!(best.contains("  epochs n_epochs\n  # keep best   # refit: no validation split\n"));
    let original = dirs.original(&text, &[]);
    let refit = dirs.written(&best);
    let (before, after) = (&original.compiled().raw, &refit.compiled().raw);
    assert!(before.folds.is_some() && after.folds.is_none());
    // Same split, same generator: the test rows come in the same order, not just as a set.
    assert_eq!(after.splits.test, before.splits.test);
    assert_eq!(after.splits.train, before.splits.train);
    assert_fitted_on(&refit, &ids(&before.splits.train));
    assert_eq!(refit.train_config().unwrap().duration, Duration::Epochs(15));
}

#[test]
fn statements_sharing_a_line_are_taken_out_and_named() {
    let dirs = Dirs::new("shared");
    let train = "train { optimizer sgd(lr: lr); keep best; batch 8; epochs 2; eval val }\n\
                 # (trained)\n";
    let text = model("split train: 60%, val: 40%   # no test rows", train);
    let trial = TrialFile {
        epochs: Some(1),
        refit: true,
        note: "",
        length_reason: None,
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(
        best.contains(
            "train { optimizer sgd(lr: lr); batch 8; epochs 1 }   # the trial's budget (file: epochs 2)   \
             # refit: no validation split: removed `eval val`   \
             # refit: no validation split: removed `keep best`\n# (trained)\n"
        ),
        "{best}"
    );
    assert!(
        best.contains("  split train: 1   # no test rows   # refit: validation rows join training (file: split train: 60%, val: 40%)\n"),
        "{best}"
    );
    let refit = dirs.written(&best);
    assert_eq!(refit.compiled().raw.splits.train.len(), 60);
}

#[test]
fn a_statement_over_several_lines_is_commented_out_line_by_line() {
    let dirs = Dirs::new("lines");
    let train = "train {\n  optimizer sgd(lr: lr)\n  batch 8\n  epochs 2\n  early_stop val.loss,\n    patience: 3  # soon\n}\n";
    let text = model(HOLDOUT, train);
    let trial = TrialFile {
        refit: true,
        ..TrialFile::default()
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(
        best.contains("  # early_stop val.loss,\n    # patience: 3  # soon   # refit: no validation split\n}\n"),
        "{best}"
    );
    dirs.written(&best);
}

#[test]
fn a_refit_that_needs_validation_rows_is_an_error() {
    let dirs = Dirs::new("needs-val");
    let train = "train {\n  optimizer sgd(lr: lr)\n  batch data.val.size\n  epochs 2\n}\n";
    let text = model(HOLDOUT, train);
    let trial = TrialFile {
        refit: true,
        ..TrialFile::default()
    };
    let e = dirs.best(&text, &[], &trial).unwrap_err();
    assert!(
        e.starts_with("the refit model file cannot be made: "),
        "{e}"
    );
    assert!(e.contains("batch data.val.size"), "{e}");
}

#[test]
fn a_separate_test_source_leaves_train_alone_in_the_refit() {
    let dirs = Dirs::new("test-source");
    let split = "test csv(\"data/rows.csv\", label: \"label\")\n  split train: 80%, val: 20%";
    let text = model(split, TRAIN);
    let trial = TrialFile {
        refit: true,
        ..TrialFile::default()
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(best.contains("  split train: 1   # refit"), "{best}");
    // The paths are rewritten for the search directory.
    assert!(
        best.contains("test csv(\"../../../models/data/rows.csv\""),
        "{best}"
    );
    let refit = dirs.written(&best);
    assert_eq!(refit.compiled().raw.splits.train.len(), 60);
    assert_eq!(refit.compiled().raw.splits.test.len(), 60);
}

#[test]
fn without_a_validation_share_the_split_stays() {
    let dirs = Dirs::new("no-val");
    let train = "train {\n  optimizer sgd(lr: lr)\n  batch 8\n  epochs 2\n}\n";
    let text = model("split train: 80%, test: 20%, shuffle: false", train)
        .replace("metric val.accuracy", "metric train.loss");
    let trial = TrialFile {
        refit: true,
        ..TrialFile::default()
    };
    let best = dirs.best(&text, &[], &trial).unwrap();
    assert!(
        best.contains("  split train: 80%, test: 20%, shuffle: false\n"),
        "{best}"
    );
    assert!(!best.contains("search random"), "{best}");
    dirs.written(&best);
}
