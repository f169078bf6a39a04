//! What several commands share: Ctrl-C ([`interrupt`]), the output directories and writing
//! files into them ([`files`]), the weights file's metadata ([`weights`]), when the command
//! started ([`started`]) and numbers as people read them ([`numbers`]) — a finding prints itself (`Finding`'s `Display`). Commands import these
//! from here (and their errors from [`crate::exit`]), never from each other.

pub mod files;
pub mod interrupt;
pub mod numbers;
pub mod started;
pub mod trained;
pub mod weights;
