//! The command-line interface: arguments (clap), dispatch and exit codes.

use crate::commands;
use crate::exit::{self, Failure};
use crate::output::{Format, Output};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  nnc run models/spiral.nn                   train the spiral MLP, babysat
  nnc run models/digits.nn --set lr=0.05 --seed 3
  nnc check models/digits.nn --shapes        layers, widths, parameters
  nnc grad models/spiral.nn                  gradient report of a batch (f64)
  nnc gradcheck models/wine.nn               gradients vs finite differences
  nnc doctor models/spiral.nn                the babysitting protocol
  nnc eval models/digits.nn --weights W      metrics, confusion matrix
  nnc predict models/digits.nn new.csv --weights W --out predictions.csv
  nnc export models/digits.nn --weights W --to onnx
  nnc bench models/bench/w2.nn --threads 2   ms per step, memory
  nnc search models/search.nn --jobs 2       random search, leaderboard
  nnc compare runs/wine_mlp/1 runs/wine_mlp/2
  nnc list activations                       the vocabulary of the language
  nnc explain E302                           what a diagnostic means
(W: a run's weights, e.g. runs/digits_mlp/1/weights.safetensors)

Exit codes: 0 ok, 1 bad model file or data, 2 bad usage, 3 diverged,
4 a check failed (gradcheck, doctor), 130 interrupted.
See docs/cli.md for the guide and docs/language.md for the .nn language.";

/// Train neural networks the right way, from a declarative `.nn` file.
#[derive(Debug, Parser)]
#[command(name = "nnc", version, after_help = EXAMPLES, max_term_width = 80)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Flags every command takes.
    #[command(flatten)]
    pub global: Global,
}

/// Flags every command takes: how it prints.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// Print only results and errors: no progress, no notes, no warnings.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// How diagnostics, findings and results are printed.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
}

/// `--set`, for the commands that read a model file.
#[derive(Debug, Clone, Default, Args)]
pub struct SetFlag {
    /// Override a `param` of the model file (repeat for more), e.g. `--set lr=0.01`.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
}

/// `--seed`, for the commands that initialise a model.
#[derive(Debug, Clone, Default, Args)]
pub struct SeedFlag {
    /// Seed of initialization, dropout and batch order (replaces the file's `train` seed;
    /// the data split keeps its own).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// `--threads`, for the commands that compute.
#[derive(Debug, Clone, Default, Args)]
pub struct ThreadsFlag {
    /// Worker threads (default: all cores; also RAYON_NUM_THREADS).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
}

/// What a command was given beyond its own arguments: the flags commands share, gathered
/// from those the command takes (a flag it does not take is empty).
#[derive(Debug, Clone, Default)]
pub struct Common {
    /// `--set NAME=VALUE` overrides.
    pub set: Vec<String>,
    /// `--seed`.
    pub seed: Option<u64>,
    /// `--threads`.
    pub threads: Option<usize>,
    /// `--out`.
    pub out: Option<PathBuf>,
    /// `--quiet`.
    pub quiet: bool,
    /// `--format`.
    pub format: Format,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train and evaluate the model, babysat; writes a run directory.
    #[command(after_help = "Example: nnc run models/digits.nn --set lr=0.05 --out /tmp/digits")]
    Run {
        /// The model file.
        model: PathBuf,
        /// With a k-fold split: the fold to train on (1-based, default 1).
        #[arg(long, value_name = "K")]
        fold: Option<usize>,
        /// The run directory (default `runs/<model>/<n>/`, the next free number).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--seed`.
        #[command(flatten)]
        seed: SeedFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Check the file; with --shapes, print the layer table.
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
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
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
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--seed`.
        #[command(flatten)]
        seed: SeedFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
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
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--seed`.
        #[command(flatten)]
        seed: SeedFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// The babysitting protocol before a long run: seven checks, verdicts.
    ///
    /// The data, the initial loss, regularization raising the loss, overfitting a tiny
    /// subset, the learning-rate range, a gradient check and the activation statistics.
    #[command(after_help = "Example: nnc doctor models/spiral.nn --out /tmp/doctor")]
    Doctor {
        /// The model file.
        model: PathBuf,
        /// Where to draw the learning-rate range curve (`lr_range.svg`); default: none.
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--seed`.
        #[command(flatten)]
        seed: SeedFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Evaluate saved weights on a split: metrics and confusion matrix.
    #[command(
        after_help = "Example:\n  nnc eval models/digits.nn --split test \\\n    --weights runs/digits_mlp/1/weights.safetensors"
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
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Predict new rows: a CSV of classes and probabilities.
    #[command(
        after_help = "Examples:\n  nnc predict models/digits.nn new.csv --out predictions.csv \\\n    --weights runs/digits_mlp/1/weights.safetensors\n  cat new.csv | nnc predict models/digits.nn - --weights W | head"
    )]
    Predict {
        /// The command's own arguments.
        #[command(flatten)]
        args: commands::predict::PredictArgs,
        /// The predictions file (default, or `-`: standard output).
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Export trained weights to ONNX, or to a PyTorch state dict + module.
    #[command(
        after_help = "Examples:\n  nnc export models/digits.nn --to onnx \\\n    --weights runs/digits_mlp/1/weights.safetensors\n  nnc export models/digits.nn --to pytorch --out /tmp/digits.safetensors \\\n    --weights runs/digits_mlp/1/weights.safetensors"
    )]
    Export {
        /// The command's own arguments.
        #[command(flatten)]
        args: commands::export::ExportArgs,
        /// The file to write, or the directory to write it in (default: beside the weights).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
    },
    /// Time the training step: ms per step, steps/s, memory, allocations.
    #[command(after_help = "Example: nnc bench models/bench/w1.nn --threads 1 --format json")]
    Bench {
        /// The command's own arguments.
        #[command(flatten)]
        args: commands::bench::BenchArgs,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--seed`.
        #[command(flatten)]
        seed: SeedFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Run the file's hyperparameter search: live table, leaderboard.
    ///
    /// Trials run in parallel; the leaderboard ranks them at equal budgets; the search
    /// directory (trials.jsonl, best.nn, the refit, plots) is what --resume continues.
    #[command(
        after_help = "Examples:\n  nnc search models/search.nn --jobs 2\n  nnc search models/halving.nn                   successive halving\n  nnc search models/search.nn --trials 8 --seed 3 --out /tmp/s\n  nnc search models/search.nn --out /tmp/s --resume\n                                                 continue an interrupted search"
    )]
    Search {
        /// The model file (with a `search` section).
        model: PathBuf,
        /// Trials per stage (replaces the file's `trials`; with successive halving, the first
        /// rung's).
        #[arg(long, value_name = "N")]
        trials: Option<u64>,
        /// Trials run at once, each on one thread (default: the number of worker threads).
        /// Under mpirun each rank runs one trial at a time on --threads threads, and --jobs
        /// above 1 is refused.
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Continue the search in --out (default: the model's latest search directory),
        /// running only the trials it has not finished.
        #[arg(long)]
        resume: bool,
        /// The search directory (default `runs/<model>/search-<n>/`).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Seed of the sampler (random search, halving), which draws the trials' values (the
        /// trials train with the file's seed).
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// `--set` overrides.
        #[command(flatten)]
        set: SetFlag,
        /// `--threads`.
        #[command(flatten)]
        threads: ThreadsFlag,
    },
    /// Compare runs: differing params, metrics, findings, time.
    ///
    /// The params that differ, the final and best metrics, the findings and the time of each
    /// run; a search directory stands for its refit run.
    #[command(after_help = "Example: nnc compare runs/wine_mlp/1 runs/wine_mlp/2 --format json")]
    Compare {
        /// The run directories.
        #[arg(required = true, value_name = "RUN_DIR")]
        runs: Vec<PathBuf>,
    },
    /// Print the vocabulary: layers, activations, optimizers, codes, ...
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
    crate::shared::started::mark();
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if let Some(f) = commands::export::misused_format(&args) {
        crate::output::line_err(&f.to_string());
        return f.code;
    }
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) if misplaced_flag(&e, &args).is_some() => {
            let f = misplaced_flag(&e, &args).unwrap_or_else(|| Failure::silent(exit::USAGE));
            print_failure(&f, wants_json(&args));
            return f.code;
        }
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
    let common = cli.command.common(&cli.global);
    let out = Output {
        format: common.format,
        quiet: common.quiet,
    };
    let (name, parallel) = cli.command.ranks();
    let result = crate::cluster::start(name, parallel)
        .and_then(|()| threads(common.threads))
        .and_then(|()| dispatch(&cli, &common, &out));
    if let Err(f) = &result {
        print_failure(f, out.json());
    }
    crate::cluster::finish(&result)
}

impl Command {
    /// The command's name, and whether it can run on several ranks (under `mpirun`).
    fn ranks(&self) -> (&'static str, bool) {
        match self {
            Command::Run { .. } => ("run", true),
            Command::Grad { .. } => ("grad", true),
            Command::Search { .. } => ("search", true),
            Command::Check { .. } => ("check", false),
            Command::Gradcheck { .. } => ("gradcheck", false),
            Command::Doctor { .. } => ("doctor", false),
            Command::Eval { .. } => ("eval", false),
            Command::Predict { .. } => ("predict", false),
            Command::Export { .. } => ("export", false),
            Command::Bench { .. } => ("bench", true),
            Command::Compare { .. } => ("compare", false),
            Command::List { .. } => ("list", false),
            Command::Explain { .. } => ("explain", false),
        }
    }
}

/// Prints why a command failed: the error line and its hint, or an `error` JSON record
/// (nothing when the failure was explained already).
fn print_failure(f: &Failure, json: bool) {
    if f.message.is_empty() {
        return;
    }
    if json {
        let out = Output {
            format: Format::Json,
            quiet: false,
        };
        out.record(
            "error",
            &serde_json::json!({ "message": f.message, "hint": f.hint, "exit_code": f.code }),
        );
    } else {
        crate::output::line_err(&f.to_string());
    }
}

/// A flag the command does not take: which commands it belongs to (`nnc run --resume` → a
/// flag of `nnc search`), instead of the parser's tip to pass it as a value or its
/// did-you-mean of a flag with a similar name (`run --steps` is not `--set`); a flag no
/// command has keeps the parser's did-you-mean.
fn misplaced_flag(e: &clap::Error, args: &[OsString]) -> Option<Failure> {
    use clap::CommandFactory;
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(given)) = e.get(ContextKind::InvalidArg) else {
        return None;
    };
    let flag = given.split('=').next()?.strip_prefix("--")?;
    let cli = Cli::command();
    let command = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find_map(|a| cli.find_subcommand(a))?;
    let name = command.get_name();
    let owners: Vec<(String, String)> = cli
        .get_subcommands()
        .filter_map(|c| {
            let arg = c.get_arguments().find(|a| a.get_long() == Some(flag))?;
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            let help = help.split(" (").next().unwrap_or_default().to_string();
            Some((c.get_name().to_string(), help))
        })
        .collect();
    if owners.is_empty() && e.get(ContextKind::SuggestedArg).is_some() {
        // A misspelling of one of the command's own flags: the parser's did-you-mean.
        return None;
    }
    let message = format!("`nnc {name}` takes no `--{flag}` flag");
    let hint = match owners.as_slice() {
        [] => format!("`nnc {name} --help` lists the flags it takes"),
        [(owner, help)] => format!(
            "`--{flag}` is a flag of `nnc {owner}` ({}); `nnc {name} --help` lists {name}'s flags",
            help.trim_end_matches('.').to_lowercase_first()
        ),
        many => format!(
            "`--{flag}` is a flag of {}; `nnc {name} --help` lists {name}'s flags",
            many.iter()
                .map(|(o, _)| format!("`nnc {o}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    Some(Failure::new(exit::USAGE, message).hint(hint))
}

/// Lower-cases a help line's first letter, to quote it inside a sentence.
trait LowercaseFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowercaseFirst for str {
    fn to_lowercase_first(&self) -> String {
        let mut chars = self.chars();
        chars.next().map_or_else(String::new, |c| {
            c.to_lowercase().chain(chars).collect::<String>()
        })
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
    // Several ranks on one machine share its cores (unless told otherwise).
    let Some(n) = n.or_else(crate::cluster::cores_per_rank) else {
        return Ok(());
    };
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
        Some(0) => Err(Failure::new(exit::USAGE, "folds are numbered from 1")
            .hint("`--fold 1` is the first fold")),
        Some(k) => Ok(Some(k - 1)),
        None => Ok(None),
    }
}

/// The shared flags a command took, gathered into a [`Common`].
fn gather(
    global: &Global,
    set: &SetFlag,
    seed: Option<u64>,
    threads: &ThreadsFlag,
    out: Option<&PathBuf>,
) -> Common {
    Common {
        set: set.set.clone(),
        seed,
        threads: threads.threads,
        out: out.cloned(),
        quiet: global.quiet,
        format: global.format,
    }
}

impl Command {
    /// The shared flags this command was given (those it does not take are empty).
    pub fn common(&self, global: &Global) -> Common {
        let none = ThreadsFlag::default();
        let no_set = SetFlag::default();
        let g = |set, seed, threads, out| gather(global, set, seed, threads, out);
        match self {
            Command::Run {
                out,
                set,
                seed,
                threads,
                ..
            } => g(set, seed.seed, threads, out.as_ref()),
            Command::Check { set, .. } => g(set, None, &none, None),
            Command::Gradcheck {
                set, seed, threads, ..
            }
            | Command::Grad {
                set, seed, threads, ..
            }
            | Command::Bench {
                set, seed, threads, ..
            } => g(set, seed.seed, threads, None),
            Command::Doctor {
                out,
                set,
                seed,
                threads,
                ..
            } => g(set, seed.seed, threads, out.as_ref()),
            Command::Eval { set, threads, .. } => g(set, None, threads, None),
            Command::Predict {
                out, set, threads, ..
            } => g(set, None, threads, out.as_ref()),
            Command::Export { out, set, .. } => g(set, None, &none, out.as_ref()),
            Command::Search {
                out,
                seed,
                set,
                threads,
                ..
            } => g(set, *seed, threads, out.as_ref()),
            Command::Compare { .. } | Command::List { .. } | Command::Explain { .. } => {
                g(&no_set, None, &none, None)
            }
        }
    }
}

fn dispatch(cli: &Cli, common: &Common, out: &Output) -> exit::CommandResult {
    match &cli.command {
        Command::Run { model, fold, .. } => crate::run::run(model, fold_index(*fold)?, common, out),
        Command::Check {
            model,
            shapes,
            no_data,
            deny_warnings,
            ..
        } => commands::check::check(model, *shapes, !*no_data, *deny_warnings, common, out),
        Command::Gradcheck {
            model,
            examples,
            elements,
            ..
        } => commands::grad::gradcheck(model, *examples, *elements, common, out),
        Command::Grad {
            model, dtype, dump, ..
        } => commands::grad::grad(model, *dtype, dump.as_deref(), common, out),
        Command::Doctor { model, .. } => commands::doctor::doctor(model, common, out),
        Command::Eval {
            model,
            weights,
            split,
            fold,
            ..
        } => commands::eval::eval(model, weights, *split, fold_index(*fold)?, common, out),
        Command::Predict { args, .. } => commands::predict::predict(args, common, out),
        Command::Export { args, .. } => commands::export::export(args, common, out),
        Command::Bench { args, .. } => commands::bench::bench(args, common, out),
        Command::Search {
            model,
            trials,
            jobs,
            resume,
            ..
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// The `nnc …` command lines of a help text's examples, with `\` continuations joined and
    /// the description (after two spaces) and any pipe left out.
    fn example_lines(text: &str) -> Vec<String> {
        let mut joined = Vec::<String>::new();
        let mut continues = false;
        for line in text.lines() {
            match joined.last_mut() {
                Some(last) if continues => last.push_str(line.trim_start()),
                _ => joined.push(line.to_string()),
            }
            continues = line.ends_with('\\');
            if let Some(last) = joined.last_mut().filter(|_| continues) {
                last.pop();
            }
        }
        joined
            .iter()
            .filter_map(|l| l.find("nnc ").map(|at| &l[at..]))
            .map(|l| l.split("  ").next().unwrap_or(l))
            .map(|l| l.split(" | ").next().unwrap_or(l).trim().to_string())
            .collect()
    }

    /// Every example in the help texts is a command line the parser accepts: no example uses
    /// a flag its command does not take.
    #[test]
    fn every_help_example_parses() {
        let cli = Cli::command();
        let mut texts = vec![EXAMPLES.to_string()];
        for sub in cli.get_subcommands() {
            if let Some(h) = sub.get_after_help() {
                texts.push(h.to_string());
            }
        }
        let mut parsed = 0;
        for line in texts.iter().flat_map(|t| example_lines(t)) {
            let args: Vec<&str> = line.split_whitespace().collect();
            if let Err(e) = Cli::try_parse_from(&args) {
                panic!("`{line}` does not parse: {e}");
            }
            parsed += 1;
        }
        assert!(parsed >= 20, "only {parsed} examples found");
    }

    /// A flag of another command names it; an unknown flag with a near spelling keeps the
    /// parser's suggestion.
    #[test]
    fn misplaced_flags_name_their_command() {
        let args: Vec<OsString> = ["nnc", "eval", "m.nn", "--weights", "w", "--jobs", "2"]
            .iter()
            .map(OsString::from)
            .collect();
        let e = Cli::try_parse_from(&args).unwrap_err();
        let f = misplaced_flag(&e, &args).expect("a misplaced flag");
        assert_eq!(f.message, "`nnc eval` takes no `--jobs` flag");
        assert!(
            f.hint
                .starts_with("`--jobs` is a flag of `nnc search` (trials run at once"),
            "{}",
            f.hint
        );
        // `--steps` is near `run`'s `--set`, but it is `bench`'s flag.
        let args: Vec<OsString> = ["nnc", "run", "m.nn", "--steps", "100"]
            .iter()
            .map(OsString::from)
            .collect();
        let e = Cli::try_parse_from(&args).unwrap_err();
        let f = misplaced_flag(&e, &args).expect("a misplaced flag");
        assert!(
            f.hint.starts_with("`--steps` is a flag of `nnc bench`"),
            "{}",
            f.hint
        );
        let args: Vec<OsString> = ["nnc", "check", "m.nn", "--shape"]
            .iter()
            .map(OsString::from)
            .collect();
        let e = Cli::try_parse_from(&args).unwrap_err();
        assert!(misplaced_flag(&e, &args).is_none());
    }

    /// The `nnc …` lines of the code blocks of README.md and docs/*.md (synopses with
    /// placeholders such as `[--fold K]` or `RUN_DIR...` left out).
    fn documented_command_lines() -> Vec<(String, String)> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut files = vec![root.join("README.md")];
        let docs = std::fs::read_dir(root.join("docs")).expect("docs/");
        files.extend(docs.filter_map(|e| e.ok().map(|e| e.path())));
        let mut lines = Vec::new();
        for file in files
            .iter()
            .filter(|f| f.extension().is_some_and(|e| e == "md"))
        {
            let text = std::fs::read_to_string(file).expect("a doc");
            for (i, block) in text.split("```").enumerate() {
                if i % 2 == 0 {
                    continue;
                }
                for line in block.lines().map(str::trim) {
                    let line = line.strip_prefix("$ ").unwrap_or(line);
                    let placeholder =
                        ["[", "...", "…", "<", "INPUT", "RUN_DIR", "CODE", "model.nn"]
                            .iter()
                            .any(|p| line.contains(p));
                    if !placeholder && line.starts_with("nnc ") {
                        let command = line.split("  ").next().unwrap_or(line);
                        lines.push((file.display().to_string(), command.to_string()));
                    }
                }
            }
        }
        lines
    }

    /// Every command line the docs show is one the parser accepts.
    #[test]
    fn every_documented_command_line_parses() {
        let lines = documented_command_lines();
        let bad: Vec<String> = lines
            .iter()
            .filter(|(_, line)| {
                let args: Vec<&str> = line
                    .split_whitespace()
                    .take_while(|w| !w.starts_with('#') && *w != "|" && *w != ">" && *w != "2>&1")
                    .collect();
                Cli::try_parse_from(&args).is_err()
            })
            .map(|(file, line)| format!("{file}: {line}"))
            .collect();
        assert!(lines.len() >= 20, "only {} documented lines", lines.len());
        assert!(
            bad.is_empty(),
            "documented lines that do not parse:\n{}",
            bad.join("\n")
        );
    }
}
