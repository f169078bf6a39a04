//! # nnc: the command line
//!
//! `nnc run model.nn` trains and evaluates the experiment a `.nn` file describes while the
//! babysitter watches, and leaves a run directory with the resolved model, metrics, plots and
//! weights. The other commands check a file (`check`), verify gradients (`gradcheck`, `grad`),
//! run the babysitting protocol (`doctor`), evaluate saved weights (`eval`), time the training
//! step (`bench`), and print the vocabulary (`list`) and the long text of a diagnostic
//! (`explain`). `docs/cli.md` is the guide.
//!
//! The binary is a thin wrapper around [`cli::main`], which returns the process exit code
//! ([`exit`]). `run` and `search` have their own modules ([`run`], [`search`]), the other
//! commands live in [`commands`], and what several of them use (Ctrl-C, output directories,
//! writing files, finding text) is in [`shared`].

pub mod cli;
pub mod commands;
pub mod exit;
pub mod load;
pub mod output;
pub mod plots;
pub mod run;
pub mod search;
pub mod shared;
