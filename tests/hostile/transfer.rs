//! See the list in `mod.rs`.

#[allow(unused_imports)]
use super::{Sandbox, within};
