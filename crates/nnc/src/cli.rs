//! The command-line interface: arguments (clap), dispatch and exit codes.

use crate::commands;
use crate::exit::{self, Failure};
use crate::output::{Format, Output};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  nnc run models/spiral.nn                      train the CS231n spiral MLP, babysat
  nnc run models/digits.nn --set lr=0.05 --seed 3
  nnc check models/digits.nn --shapes           layers, widths and parameter counts
  nnc grad models/spiral.nn                     stable gradient report (f64) of the first batch
  nnc gradcheck models/wine.nn                  gradients against finite differences
  nnc doctor models/spiral.nn                   the babysitting protocol before a long run
  nnc eval models/digits.nn --weights runs/digits_mlp/1/weights.safetensors
  nnc predict models/digits.nn new.csv --weights W --out predictions.csv
  nnc export models/digits.nn --weights W --to onnx   ONNX: preprocessing + network
  nnc bench models/bench/w2.nn --threads 2      ms per step, memory and allocations
  nnc search models/search.nn --jobs 2          random search, coarse-to-fine, leaderboard
  nnc compare runs/wine_mlp/1 runs/wine_mlp/2   differing params, metrics, findings, time
  nnc list activations                          the vocabulary of the language
  nnc explain E302                              what a diagnostic means

Exit codes: 0 ok, 1 bad model file or data, 2 bad usage, 3 diverged,
4 a check failed (gradcheck, doctor), 130 interrupted.
See docs/cli.md for the guide and docs/language.md for the .nn language.";

/// Train neural networks the right way, from a declarative `.nn` file.
#[derive(Debug, Parser)]
#[command(name = "nnc", version, after_help = EXAMPLES, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Flags every command takes.
    #[command(flatten)]
    pub common: Common,
}

/// Flags shared by every command.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Override a `param` of the model file (repeatable), e.g. `--set lr=0.01`.
    #[arg(long = "set", value_name = "NAME=VALUE", global = true)]
    pub set: Vec<String>,
    /// Seed of initialization, dropout and batch order (replaces the file's `train` seed; the
    /// data split keeps its own seed). For `search`: the seed of the sampler (random search,
    /// halving).
    #[arg(long, value_name = "N", global = true)]
    pub seed: Option<u64>,
    /// Worker threads (default: all cores; also RAYON_NUM_THREADS).
    #[arg(long, value_name = "N", global = true)]
    pub threads: Option<usize>,
    /// Output directory: the run directory of `run` (default `runs/<model>/<n>/`), the search
    /// directory of `search` (default `runs/<model>/search-<n>/`), where `doctor` draws its
    /// curves; for `predict`, the predictions file (default: standard output); for `export`,
    /// the file to write (or the directory to write it in).
    #[arg(long, value_name = "DIR", global = true)]
    pub out: Option<PathBuf>,
    /// Print only results and errors: no progress, no notes, no warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// How diagnostics, findings and results are printed.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train and evaluate the model, babysitting the run; writes a run directory.
    #[command(after_help = "Example: nnc run models/spiral.nn --set iters=2000 --out /tmp/spiral")]
    Run {
        /// The model file.
        model: PathBuf,
        /// With a k-fold split: the fold to train on (1-based, default 1).
        #[arg(long, value_name = "K")]
        fold: Option<usize>,
    },
    /// Parse and check the file; print warnings, and with --shapes the layer table.
    #[command(after_help = "Example: nnc check models/digits.nn --shapes")]
    Check {
        /// The model file.
        model: PathBuf,
        /// Print layers, widths and parameter counts.
        #[arg(long)]
        shapes: bool,
        /// Do not read data files (file-backed widths stay symbolic).
        #[arg(long)]
        no_data: bool,
        /// Fail (exit code 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Check every parameter's gradient against f64 central differences.
    #[command(after_help = "Example: nnc gradcheck models/spiral.nn --examples 4")]
    Gradcheck {
        /// The model file.
        model: PathBuf,
        /// Training examples in the checked batch.
        #[arg(long, default_value_t = 8)]
        examples: usize,
        /// Elements checked per parameter tensor (evenly spaced); 0 checks all.
        #[arg(long, default_value_t = 24)]
        elements: usize,
    },
    /// Print the stable gradient report of the model on its first batch.
    #[command(after_help = "Example: nnc grad models/spiral.nn --dump /tmp/spiral-grads")]
    Grad {
        /// The model file.
        model: PathBuf,
        /// Element type of the computation.
        #[arg(long, value_enum, default_value_t = Dtype::F64)]
        dtype: Dtype,
        /// Write the initial parameters, the batch and the gradients as safetensors files here.
        #[arg(long, value_name = "DIR")]
        dump: Option<PathBuf>,
    },
    /// Run the babysitting protocol: initial loss, regularization, tiny-subset overfit,
    /// learning-rate range, gradient check, activation statistics.
    #[command(after_help = "Example: nnc doctor models/spiral.nn")]
    Doctor {
        /// The model file.
        model: PathBuf,
    },
    /// Evaluate saved weights on a split: metrics and confusion matrix.
    #[command(
        after_help = "Example: nnc eval models/digits.nn --weights runs/digits_mlp/1/weights.safetensors --split test"
    )]
    Eval {
        /// The model file the weights were trained from.
        model: PathBuf,
        /// The weights (`weights.safetensors` of a run, or a checkpoint).
        #[arg(long, value_name = "FILE")]
        weights: PathBuf,
        /// The split (default: test if there is one, else val, else train).
        #[arg(long, value_enum)]
        split: Option<SplitArg>,
        /// With a k-fold split: the fold (1-based, default 1).
        #[arg(long, value_name = "K")]
        fold: Option<usize>,
    },
    /// Predict new rows with trained weights: a CSV of classes and probabilities.
    #[command(
        after_help = "Examples:\n  nnc predict models/digits.nn new.csv --weights runs/digits_mlp/1/weights.safetensors --out predictions.csv\n  cat new.csv | nnc predict models/digits.nn - --weights W | head"
    )]
    Predict(commands::predict::PredictArgs),
    /// Export trained weights: an ONNX model, or a PyTorch state dict and its Python module.
    #[command(
        after_help = "Examples:\n  nnc export models/digits.nn --weights runs/digits_mlp/1/weights.safetensors --to onnx\n  nnc export models/digits.nn --weights runs/digits_mlp/1/weights.safetensors --to pytorch --out /tmp/digits.safetensors"
    )]
    Export(commands::export::ExportArgs),
    /// Time the training step: median/min/max ms per step, steps/s, peak memory, allocations.
    #[command(after_help = "Example: nnc bench models/bench/w1.nn --threads 1 --format json")]
    Bench(commands::bench::BenchArgs),
    /// Run the file's `search` section: trials in parallel, a live table, a leaderboard ranked
    /// at equal budgets, and a search directory (trials.jsonl, best.nn, the refit, plots) that
    /// --resume continues.
    #[command(
        after_help = "Examples:\n  nnc search models/search.nn --jobs 2\n  nnc search models/halving.nn                           successive halving\n  nnc search models/search.nn --trials 8 --seed 3 --out /tmp/s\n  nnc search models/search.nn --out /tmp/s --resume      continue an interrupted search"
    )]
    Search {
        /// The model file (with a `search` section).
        model: PathBuf,
        /// Trials per stage (replaces the file's `trials`; with successive halving, the first
        /// rung's).
        #[arg(long, value_name = "N")]
        trials: Option<u64>,
        /// Trials run at once, each on one thread (default: the number of worker threads).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Continue the search in --out (default: the model's latest search directory),
        /// running only the trials it has not finished.
        #[arg(long)]
        resume: bool,
    },
    /// Compare runs side by side: the params that differ, final and best metrics, findings and
    /// time (a search directory stands for its refit run).
    #[command(after_help = "Example: nnc compare runs/wine_mlp/1 runs/wine_mlp/2 --format json")]
    Compare {
        /// The run directories.
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
    },
    /// Print a catalogue of the language (layers, activations, optimizers, codes, ...).
    #[command(after_help = "Example: nnc list optimizers")]
    List {
        /// The catalogue; without one, the list of catalogues.
        catalogue: Option<String>,
    },
    /// Print the long explanation of a diagnostic code.
    #[command(after_help = "Example: nnc explain E302")]
    Explain {
        /// The code, e.g. `E302` (`E0302` works too).
        code: String,
    },
}

/// Element types of `grad`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Dtype {
    /// 64-bit floats (stable reports).
    F64,
    /// 32-bit floats (what training computes).
    F32,
}

/// A data split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SplitArg {
    /// The training rows.
    Train,
    /// The validation rows.
    Val,
    /// The test rows.
    Test,
}

impl SplitArg {
    /// The split's name.
    pub fn name(self) -> &'static str {
        match self {
            SplitArg::Train => "train",
            SplitArg::Val => "val",
            SplitArg::Test => "test",
        }
    }
}

/// Parses `args` (the program name first), runs the command and returns the exit code.
pub fn main<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if let Some(f) = commands::export::misused_format(&args) {
        crate::output::line_err(&f.to_string());
        return f.code;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && wants_json(&args) => {
            parse_error_record(&e);
            return exit::USAGE;
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let out = Output {
        format: cli.common.format,
        quiet: cli.common.quiet,
    };
    let result = threads(cli.common.threads).and_then(|()| dispatch(&cli, &out));
    match result {
        Ok(code) => code,
        Err(f) => {
            if !f.message.is_empty() {
                if out.json() {
                    out.record(
                        "error",
                        &serde_json::json!({ "message": f.message, "hint": f.hint, "exit_code": f.code }),
                    );
                } else {
                    crate::output::line_err(&f.to_string());
                }
            }
            f.code
        }
    }
}

/// Whether the arguments ask for JSON output (`--format json` or `--format=json`), read
/// without the parser, for errors the parser itself reports.
fn wants_json(args: &[OsString]) -> bool {
    args.iter().enumerate().any(|(i, a)| {
        a == "--format=json" || (a == "--format" && args.get(i + 1).is_some_and(|v| v == "json"))
    })
}

/// Prints a command-line parsing error as the `error` record of JSON output: the message
/// (`unexpected argument '--foo' found`), the parser's tip as the hint, and exit code 2.
fn parse_error_record(e: &clap::Error) {
    let text = e.render().to_string();
    let mut lines = text.lines();
    let mut message = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ")
        .to_string();
    // "the following required arguments were not provided:" lists them on the next lines.
    if message.ends_with(':') {
        let listed: Vec<&str> = lines
            .take_while(|l| !l.trim().is_empty())
            .map(str::trim)
            .collect();
        message = format!("{} {}", message, listed.join(", "));
    }
    let hint = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("tip: "))
        .map(str::to_string);
    let out = Output {
        format: Format::Json,
        quiet: false,
    };
    out.record(
        "error",
        &serde_json::json!({ "message": message, "hint": hint, "exit_code": exit::USAGE }),
    );
}

/// The most `--threads`: thousands of threads take minutes just to start.
const MAX_THREADS: usize = 1024;

/// Sets up the worker threads `--threads` asks for.
fn threads(n: Option<usize>) -> Result<(), Failure> {
    let Some(n) = n else { return Ok(()) };
    if n == 0 || n > MAX_THREADS {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        return Err(Failure::new(
            exit::USAGE,
            format!("--threads must be from 1 to {MAX_THREADS}, found {n}"),
        )
        .hint(format!(
            "this machine has {cores} cores; leave --threads out to use them all"
        )));
    }
    // Fails only if a pool exists already (a second call in one process): keep it.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build_global();
    Ok(())
}

/// The library's fold index (from 0) of the fold number `--fold` gives (from 1).
fn fold_index(fold: Option<usize>) -> Result<Option<usize>, Failure> {
    match fold {
        Some(0) => Err(Failure::new(exit::USAGE, "folds are numbered from 1")),
        Some(k) => Ok(Some(k - 1)),
        None => Ok(None),
    }
}

fn dispatch(cli: &Cli, out: &Output) -> exit::CommandResult {
    let common = &cli.common;
    match &cli.command {
        Command::Run { model, fold } => crate::run::run(model, fold_index(*fold)?, common, out),
        Command::Check {
            model,
            shapes,
            no_data,
            deny_warnings,
        } => commands::check::check(model, *shapes, !*no_data, *deny_warnings, common, out),
        Command::Gradcheck {
            model,
            examples,
            elements,
        } => commands::grad::gradcheck(model, *examples, *elements, common, out),
        Command::Grad { model, dtype, dump } => {
            commands::grad::grad(model, *dtype, dump.as_deref(), common, out)
        }
        Command::Doctor { model } => commands::doctor::doctor(model, common, out),
        Command::Eval {
            model,
            weights,
            split,
            fold,
        } => commands::eval::eval(model, weights, *split, fold_index(*fold)?, common, out),
        Command::Predict(args) => commands::predict::predict(args, common, out),
        Command::Export(args) => commands::export::export(args, common, out),
        Command::Bench(args) => commands::bench::bench(args, common, out),
        Command::Search {
            model,
            trials,
            jobs,
            resume,
        } => crate::search::search(
            &crate::search::SearchArgs {
                model,
                trials: *trials,
                jobs: *jobs,
                resume: *resume,
                sampler_seed: common.seed,
            },
            common,
            out,
        ),
        Command::Compare { runs } => commands::compare::compare(runs, out),
        Command::List { catalogue } => commands::list::list(catalogue.as_deref(), out),
        Command::Explain { code } => commands::list::explain(code, out),
    }
}
