//! Where data comes from: generated sets, CSV tables, IDX files and CIFAR-10 batches. Each
//! source produces a [`Dataset`](crate::Dataset).

pub mod cifar;
pub mod csv;
mod csv_cell;
mod csv_labels;
mod csv_plain;
mod csv_reader;
pub mod csv_stream;
pub mod generated;
pub mod idx;
pub mod spec;
