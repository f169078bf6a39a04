//! What several commands share: Ctrl-C ([`interrupt`]), the output directories and writing
//! files into them ([`files`]), the weights file's metadata ([`weights`]), and findings in
//! plain words ([`findings`]). Commands import these from here, never from each other.

pub mod files;
pub mod findings;
pub mod interrupt;
pub mod weights;
