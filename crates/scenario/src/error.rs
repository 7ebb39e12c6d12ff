//! The scenario engine's one error type: French for people (the console and `idn` show
//! `to_string()`), with the world's or the phone's own error kept for exit codes.

use idn_capture::CaptureError;
use idn_device::DeviceError;
use idn_world::WorldError;

pub type Result<T, E = ScenarioError> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file, its persona or the name is wrong: nothing was done to the world.
    #[error("{0}")]
    Invalid(String),
    /// The scenario ran but did not land where it promised.
    #[error("{0}")]
    NotLanded(String),
    /// The world or the phone refused or failed.
    #[error("{}", .0.message_fr())]
    Device(DeviceError),
    /// A synthetic photo or video could not be made.
    #[error("{}", .0.message_fr())]
    Capture(CaptureError),
    /// The embedded world of `idn scenario apply --data-dir` or `idn replay` did not start.
    #[error("{}", .0.message_fr())]
    World(WorldError),
    /// What was being done when `cause` happened (shown before it).
    #[error("{context} : {cause}")]
    During {
        context: String,
        cause: Box<ScenarioError>,
    },
}

// Written out rather than `#[from]`, which would also make them `source()`: the message already
// says everything, and `idn` prints the chain.
impl From<DeviceError> for ScenarioError {
    fn from(error: DeviceError) -> Self {
        Self::Device(error)
    }
}

impl From<idn_api::ClientError> for ScenarioError {
    fn from(error: idn_api::ClientError) -> Self {
        Self::Device(error.into())
    }
}

impl From<CaptureError> for ScenarioError {
    fn from(error: CaptureError) -> Self {
        Self::Capture(error)
    }
}

impl From<WorldError> for ScenarioError {
    fn from(error: WorldError) -> Self {
        Self::World(error)
    }
}

impl ScenarioError {
    /// The world's or the phone's error behind this one, if any.
    pub fn device(&self) -> Option<&DeviceError> {
        match self {
            Self::Device(error) => Some(error),
            Self::During { cause, .. } => cause.device(),
            Self::Invalid(_) | Self::NotLanded(_) | Self::Capture(_) | Self::World(_) => None,
        }
    }

    /// The capture error behind this one, if any.
    pub fn capture(&self) -> Option<&CaptureError> {
        match self {
            Self::Capture(error) => Some(error),
            Self::During { cause, .. } => cause.capture(),
            Self::Invalid(_) | Self::NotLanded(_) | Self::Device(_) | Self::World(_) => None,
        }
    }
}

impl From<toml::de::Error> for ScenarioError {
    fn from(error: toml::de::Error) -> Self {
        Self::Invalid(error.to_string())
    }
}

impl From<std::io::Error> for ScenarioError {
    fn from(error: std::io::Error) -> Self {
        Self::Invalid(error.to_string())
    }
}

impl From<chrono::ParseError> for ScenarioError {
    fn from(error: chrono::ParseError) -> Self {
        Self::Invalid(error.to_string())
    }
}

/// `anyhow`-like context on results and options, kept inside this crate's error type.
pub(crate) trait Context<T> {
    fn context(self, context: impl Into<String>) -> Result<T>;
    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T>;
}

impl<T, E: Into<ScenarioError>> Context<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|error| ScenarioError::During {
            context: context.into(),
            cause: Box::new(error.into()),
        })
    }

    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T> {
        self.map_err(|error| ScenarioError::During {
            context: context().into(),
            cause: Box::new(error.into()),
        })
    }
}

/// A missing value is a scenario that cannot go on: the context says what was missing.
impl<T> Context<T> for Option<T> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.ok_or_else(|| ScenarioError::NotLanded(context.into()))
    }

    fn with_context<S: Into<String>>(self, context: impl FnOnce() -> S) -> Result<T> {
        self.ok_or_else(|| ScenarioError::NotLanded(context().into()))
    }
}

/// Returns a [`ScenarioError::NotLanded`] with a French message.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::ScenarioError::NotLanded(format!($($arg)*)))
    };
}

/// Returns a [`ScenarioError::Invalid`] with a French message: the file or the name is wrong.
macro_rules! invalid {
    ($($arg:tt)*) => {
        return Err($crate::error::ScenarioError::Invalid(format!($($arg)*)))
    };
}

pub(crate) use {bail, invalid};
