//! What a caller asks of the engine: phones and vault (`ApplyOptions`), and what a `Walkthrough` adds to a scenario file.

use super::*;

/// How a scenario is applied.
pub struct ApplyOptions {
    /// Phones are kept here (`telephone-1`, `telephone-2`).
    pub devices_dir: PathBuf,
    pub vault: Arc<dyn Vault>,
    /// The profile folder of a phone that must end up holding the identity (the app's own
    /// device, at start): the last phone of the scenario is this one, and it remembers the
    /// account even when the scenario stops before activation, so the app opens on the learner.
    pub identity_phone: Option<PathBuf>,
}

impl ApplyOptions {
    /// Phones in `devices_dir` with their keys in memory (gone when `idn` exits).
    pub fn in_memory(devices_dir: PathBuf) -> Self {
        Self {
            devices_dir,
            vault: Arc::new(MemoryVault::default()),
            identity_phone: None,
        }
    }
}

/// What a walkthrough adds to a scenario, none of which a scenario file says: the person's own
/// photos and video, a first take spoiled on purpose, a login at the end, phones thrown away,
/// and an observer told of each move as it happens.
pub struct Walkthrough<'a> {
    pub filming: Filming,
    pub afterwards: Afterwards,
    pub phones: Phones,
    /// Told of each move as it happens (a printer, or nothing).
    pub progress: &'a mut (dyn FnMut(Progress) + Send + Sync),
}

impl<'a> Walkthrough<'a> {
    /// A scenario file's own walk: synthetic media, nothing after the step, phones kept.
    pub fn plain(progress: &'a mut (dyn FnMut(Progress) + Send + Sync)) -> Self {
        Self {
            filming: Filming::default(),
            afterwards: Afterwards::Stay,
            phones: Phones::Kept,
            progress,
        }
    }
}

/// What the phone sends at the visual identification.
#[derive(Debug, Clone, Default)]
pub struct Filming {
    /// Photos chosen from the phone's « Photothèque », one per page of the document in the
    /// order the app takes them; the synthetic camera otherwise.
    pub photos: Option<Vec<PathBuf>>,
    /// A video chosen from the « Photothèque »; the synthetic scene and voice otherwise.
    pub video: Option<PathBuf>,
    /// How the person spoils their first synthetic take; the next ones are clean.
    pub first_take: FirstTake,
}

/// A synthetic take of the visual identification: clean by default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FirstTake {
    /// Degradations of the photo of the document's first page.
    pub photo: Degradations,
    pub speech: Speech,
    pub framing: Framing,
    /// A recording stopped this early instead of running its whole length.
    pub stopped_after: Option<std::time::Duration>,
}

impl FirstTake {
    pub fn is_spoiled(&self) -> bool {
        *self != Self::default()
    }
}

/// What the person does once the learner stands on the scenario's step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Afterwards {
    Stay,
    /// Logs in to Mon Compte Formation through FranceConnect+ with the mobile number and approves
    /// the request on the phone holding the identity (the step must be `enrolled`).
    ApprovedLogin,
}

/// What becomes of the scenario's phones once it is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phones {
    /// Left in `devices_dir` with their keys, to be used again (`idn device`, the app).
    Kept,
    /// Thrown away whether the scenario landed or not: each key leaves the vault (the OS
    /// keyring keeps nothing of a demo) and each profile folder is deleted.
    Discarded,
}
