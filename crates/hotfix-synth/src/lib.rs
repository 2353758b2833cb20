//! Synthesis: test and demo material built from the real update data set
//! (`hotfix-dataset`), kept out of the installer crates so that nothing the
//! installer runs can depend on it.
//!
//! - [`generate`] writes a system drive image whose files are real PEs with
//!   the versions an unpatched system at a service-pack level carries, and
//!   whose hives (`hives.rs`) are real regf files (`hotfix image new`).
//! - [`synth`] builds a hotfix package for one data-set entry, its update.inf
//!   from `synth_inf.rs` and its build-lab tags from `tags.rs`
//!   (`hotfix synth`).
//! - [`synth_sp`] builds a service pack as Microsoft's were built
//!   (`hotfix synth-sp`).
//!
//! The packages and images are opened and serviced by the installer crates
//! exactly as genuine ones are; nothing here is trusted by them.
#![deny(missing_docs)]

mod generate;
mod hives;
mod sp;
mod synth;
mod synth_inf;
mod tags;

pub use generate::{GenerateSpec, GenerateSummary, MAX_GENERATED_FILE, generate};
pub use sp::{SpSpec, SynthSp, sp_kb, synth_sp};
pub use synth::{SynthOptions, Synthesized, synth};

/// Why building a service pack failed.
#[derive(Debug, thiserror::Error)]
pub enum SpError {
    /// The SP could not be built as asked.
    #[error("synth-sp: {0}")]
    Synth(String),
}
