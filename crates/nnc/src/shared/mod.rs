//! What several commands share: Ctrl-C ([`interrupt`]), the output directories and writing
//! files into them ([`files`]), the weights file's metadata ([`weights`]), findings in plain
//! words ([`findings`]) and numbers as people read them ([`numbers`]). Commands import these
//! from here (and their errors from [`crate::exit`]), never from each other.

pub mod files;
pub mod findings;
pub mod interrupt;
pub mod numbers;
pub mod weights;
