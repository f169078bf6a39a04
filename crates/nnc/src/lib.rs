//! # nnc: the command line
//!
//! `nnc run model.nn` trains and evaluates the experiment a `.nn` file describes while the
//! babysitter watches, and leaves a run directory with the resolved model, metrics, plots and
//! weights. `nnc search model.nn` runs the file's `search` section (trials in parallel,
//! coarse-to-fine stages, k-fold validation) and leaves a search directory with every trial,
//! the leaderboard, plots and the best model file. The other commands check a file
//! (`check`), verify gradients (`gradcheck`, `grad`), run the babysitting protocol (`doctor`),
//! evaluate saved weights (`eval`), predict new rows (`predict`), export them to ONNX or
//! PyTorch (`export`), time the training step (`bench`), put finished runs side by side
//! (`compare`), and print the vocabulary (`list`) and the long text of a diagnostic
//! (`explain`). `docs/cli.md` is the
//! guide.
//!
//! The binary is a thin wrapper around [`cli::main`], which parses the flags, dispatches and
//! returns the process exit code ([`exit`]). [`run`] and [`search`] are the two commands that
//! train and write a directory; [`commands`] holds the others. [`load`] reads, checks and
//! lowers a model file and renders its diagnostics, [`output`] prints text or JSON lines, and
//! [`plots`] draws the SVG charts, and what several commands use (Ctrl-C, output directories,
//! writing files, finding text, weights) is in [`shared`]. The language itself (parsing, checking, lowering, the
//! resolved model file) is `nnc-dsl`; training, search and the babysitter are `nnc-train`.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod exit;
pub mod load;
pub mod output;
pub mod plots;
pub mod run;
pub mod search;
pub mod shared;
