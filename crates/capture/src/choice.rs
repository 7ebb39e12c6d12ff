//! The camera and microphone the person chose, remembered between launches, and how a remembered
//! device is found again among those present today (it may have been unplugged).

use crate::CaptureError;
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Devices are remembered by name: indexes change when devices are plugged in another order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceChoice {
    pub camera: Option<String>,
    pub microphone: Option<String>,
}

/// Which device to use now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick<'a, T> {
    /// The remembered device is present.
    Remembered(&'a T),
    /// Nothing remembered, or the remembered device is gone (`missing` names it, so the person
    /// can be told): the first present one.
    First { device: &'a T, missing: Option<&'a str> },
    /// No device at all.
    Nothing,
}

impl DeviceChoice {
    /// Reads the remembered choice; no file yet is no choice. A damaged file is also read as no
    /// choice (and logged by the caller through the returned flag) rather than blocking capture.
    pub fn load(path: &Path) -> (Self, bool) {
        match std::fs::read(path) {
            Ok(bytes) => match serde_json::from_slice(&bytes) {
                Ok(choice) => (choice, true),
                Err(_) => (Self::default(), false),
            },
            Err(_) => (Self::default(), true),
        }
    }

    /// Writes the choice atomically (temporary file, then rename): a crash leaves the old choice
    /// or the new one, never half a file.
    pub fn save(&self, path: &Path) -> Result<(), CaptureError> {
        let unwritable = |source| CaptureError::FileUnreadable {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(unwritable)?;
        }
        let temporary = path.with_extension("json.tmp");
        let text = serde_json::to_vec_pretty(self).expect("plain strings serialise");
        std::fs::write(&temporary, text).map_err(unwritable)?;
        std::fs::rename(&temporary, path).map_err(unwritable)
    }
}

/// Finds the remembered device among `present`, by name.
pub fn pick<'a, T>(remembered: Option<&'a str>, present: &'a [T], name: impl Fn(&T) -> &str) -> Pick<'a, T> {
    if let Some(wanted) = remembered {
        if let Some(device) = present.iter().find(|device| name(device) == wanted) {
            return Pick::Remembered(device);
        }
    }
    match present.first() {
        Some(device) => Pick::First {
            device,
            missing: remembered,
        },
        None => Pick::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_choice_survives_a_restart_and_a_damaged_file_is_no_choice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prefs/devices.json");
        assert_eq!(DeviceChoice::load(&path), (DeviceChoice::default(), true));
        let choice = DeviceChoice {
            camera: Some("HD Webcam C270".into()),
            microphone: Some("USB Audio".into()),
        };
        choice.save(&path).unwrap();
        assert_eq!(DeviceChoice::load(&path), (choice, true));
        std::fs::write(&path, b"{\"camera\": ").unwrap();
        assert_eq!(DeviceChoice::load(&path), (DeviceChoice::default(), false));
    }

    #[test]
    fn a_remembered_device_is_found_by_name_and_an_unplugged_one_falls_back_to_the_first() {
        let present = ["Integrated Camera".to_owned(), "HD Webcam C270".to_owned()];
        fn name(device: &String) -> &str {
            device
        }
        assert_eq!(
            pick(Some("HD Webcam C270"), &present, name),
            Pick::Remembered(&present[1])
        );
        assert_eq!(
            pick(Some("Old Webcam"), &present, name),
            Pick::First {
                device: &present[0],
                missing: Some("Old Webcam")
            }
        );
        assert_eq!(
            pick(None, &present, name),
            Pick::First {
                device: &present[0],
                missing: None
            }
        );
        assert_eq!(pick(Some("x"), &[], name), Pick::Nothing);
    }
}
