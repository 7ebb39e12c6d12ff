//! The simulated phones: opened on first use, the last one holding the identity, discarded when thrown away.

use super::*;

impl Run<'_> {
    /// The index of the phone that holds the identity at the end: the second one when the
    /// identity moves to a new phone, the first otherwise.
    pub(super) fn holder(&self) -> usize {
        let moves = self
            .scenario
            .faults
            .iter()
            .any(|fault| matches!(fault, Fault::ApprovalFromOtherDevice));
        usize::from(moves)
    }

    /// The index of the phone the person uses now: the last one opened (the first at the start).
    pub(super) fn current_phone(&self) -> usize {
        self.devices.len().max(1) - 1
    }

    /// The phone at `index`, opened on first use.
    pub(super) fn phone(&mut self, index: usize) -> Result<&mut Device> {
        while self.devices.len() <= index {
            let opening = self.devices.len();
            let dir = match &self.options.identity_phone {
                Some(own) if opening == self.holder() => own.clone(),
                _ => self
                    .options
                    .devices_dir
                    .join(format!("telephone-{}", opening + 1)),
            };
            let mut device = Device::open(&dir, self.learner.clone(), self.options.vault.clone())?;
            // The person signs in on this phone: it holds the account's credential, unless it
            // already holds this learner's (the identity activated on it).
            if device.profile().learner_id.as_deref() != Some(self.id.as_str()) {
                device.adopt_account(&self.access)?;
            }
            self.devices.push((dir, device));
        }
        Ok(&mut self.devices[index].1)
    }

    /// Every phone opened: its credential ends at the world, its signing key and credential leave
    /// the vault and its profile folder is deleted.
    /// Each phone is tried even when one fails; the first failure is returned.
    pub(super) async fn discard_phones(&mut self) -> Result<()> {
        let mut first_failure = None;
        for (dir, mut device) in self.devices.drain(..) {
            let removed = device
                .remove_identity()
                .await
                .map_err(ScenarioError::from)
                .and_then(|()| std::fs::remove_dir_all(&dir).map_err(ScenarioError::from));
            if let Err(error) = removed {
                tracing::warn!(phone = %dir.display(), %error, "a throw-away phone was not fully removed");
                first_failure.get_or_insert(error);
            }
        }
        first_failure.map_or(Ok(()), Err)
    }
}
