//! Scenarios: put a persona in any situation of the journey in one step, by driving a world as a
//! person would (the device core, the public API, the learner's own clock), never its database.
//! Hardware-free: photos and videos come from the synthetic camera and voice. Used by `idn`
//! (a thin shell over it), by the console through [`WorldScenarios`] (installed by the
//! composition roots), and by the app at start.

mod desk;
mod error;
pub mod journal;
pub mod persona;
mod runner;
pub mod scenario;
mod serve;

pub use error::{Result, ScenarioError};
pub use runner::WorldScenarios;
pub use serve::{embedded_world, serve, serve_over, ServedWorld};
