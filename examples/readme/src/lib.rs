//! The README's Rust code blocks, compiled as this crate's doctests (`cargo test -p
//! background-tasks-readme --doc`): a snippet that calls an item that does not exist fails the
//! build. Where a block is an excerpt, the lines that make it whole are hidden behind `#`.

#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct Readme;
