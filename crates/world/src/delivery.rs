//! The simulated mail and SMS providers: which folder a message lands in, given the delivery
//! faults a trainer or a scenario planned. Kept apart from the journey because delivery is not a
//! rule of the service: La Poste sends the code either way; a spam filter or a lost SMS decides
//! whether the person sees it.

use crate::api::{DeliveryFate, DeliveryFault, MessageChannel};
use crate::WorldError;
use idn_journey::Notice;

/// Most messages one fault may affect: enough for every resend of a code.
pub const MAX_FAULT_TIMES: u32 = 10;
/// Most faults planned at once for one learner.
pub const MAX_FAULTS: usize = 20;

/// Where a sent message ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Folder {
    Inbox,
    Spam,
    /// Never delivered: stored for trainers, hidden from the person.
    Withheld,
}

impl Folder {
    /// The value of `inbox.folder`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Inbox => "inbox",
            Self::Spam => "spam",
            Self::Withheld => "withheld",
        }
    }
}

/// Checks a plan before it is stored: known message kinds, sensible counts.
pub fn validate(faults: &[DeliveryFault]) -> Result<(), WorldError> {
    if faults.len() > MAX_FAULTS {
        return Err(WorldError::bad_request(
            "delivery_plan_too_long",
            format!("Au plus {MAX_FAULTS} incidents de remise peuvent être prévus."),
        ));
    }
    for fault in faults {
        if !Notice::CODES.contains(&fault.message.as_str()) {
            return Err(WorldError::bad_request(
                "unknown_message_kind",
                format!(
                    "Type de message inconnu : « {} » (attendus : {}).",
                    fault.message,
                    Notice::CODES.join(", ")
                ),
            ));
        }
        if fault.times == 0 || fault.times > MAX_FAULT_TIMES {
            return Err(WorldError::bad_request(
                "invalid_fault_times",
                format!("Un incident de remise concerne de 1 à {MAX_FAULT_TIMES} messages."),
            ));
        }
    }
    Ok(())
}

/// Routes one message: the first planned fault matching its kind and channel decides, and is
/// spent by one; without a match the message reaches the inbox.
pub fn route(plan: &mut Vec<DeliveryFault>, channel: MessageChannel, notice: &Notice) -> Folder {
    let matching = plan
        .iter()
        .position(|fault| fault.message == notice.code() && fault.channel.is_none_or(|only| only == channel));
    let Some(index) = matching else {
        return Folder::Inbox;
    };
    let fate = plan[index].fate;
    plan[index].times -= 1;
    if plan[index].times == 0 {
        plan.remove(index);
    }
    match fate {
        DeliveryFate::Spam => Folder::Spam,
        DeliveryFate::Withheld => Folder::Withheld,
    }
}

/// The plan in French, for the journal line that records it.
pub fn describe(faults: &[DeliveryFault]) -> String {
    describe_naming(faults, |code| Notice::label_fr_of(code).unwrap_or(code))
}

/// The plan as wave one journaled it, each message by its code (« email_code »): how lines
/// written before details were data are read back.
pub fn describe_by_code(faults: &[DeliveryFault]) -> String {
    describe_naming(faults, |code| code)
}

fn describe_naming(faults: &[DeliveryFault], name: impl Fn(&str) -> &str) -> String {
    if faults.is_empty() {
        return "Remise normale de tous les messages.".to_owned();
    }
    faults
        .iter()
        .map(|fault| {
            let channel = match fault.channel {
                None => "",
                Some(MessageChannel::Email) => " par e-mail",
                Some(MessageChannel::Sms) => " par SMS",
                Some(MessageChannel::Post) => " par courrier",
            };
            let fate = match fault.fate {
                DeliveryFate::Spam => "dans les courriers indésirables",
                DeliveryFate::Withheld => "jamais remis",
            };
            format!(
                "« {} »{channel} : {fate} ({} fois)",
                name(&fault.message),
                fault.times
            )
        })
        .collect::<Vec<_>>()
        .join(" ; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    fn fault(
        message: &str,
        channel: Option<MessageChannel>,
        fate: DeliveryFate,
        times: u32,
    ) -> DeliveryFault {
        DeliveryFault {
            message: message.into(),
            channel,
            fate,
            times,
        }
    }

    fn email_code() -> Notice {
        Notice::EmailCode {
            code: "123456".into(),
            valid_until: DateTime::UNIX_EPOCH,
        }
    }

    fn activation_code() -> Notice {
        Notice::ActivationCode {
            code: "123456".into(),
            valid_until: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_withheld_code_is_withheld_once_then_the_resend_arrives() {
        let mut plan = vec![fault("email_code", None, DeliveryFate::Withheld, 1)];
        assert_eq!(
            route(&mut plan, MessageChannel::Email, &email_code()),
            Folder::Withheld
        );
        assert_eq!(
            route(&mut plan, MessageChannel::Email, &email_code()),
            Folder::Inbox,
            "the fault is spent: the resent code reaches the inbox"
        );
        assert!(plan.is_empty());
    }

    #[test]
    fn a_fault_on_one_channel_leaves_the_other_alone() {
        let mut plan = vec![fault(
            "activation_code",
            Some(MessageChannel::Sms),
            DeliveryFate::Withheld,
            1,
        )];
        assert_eq!(
            route(&mut plan, MessageChannel::Email, &activation_code()),
            Folder::Inbox,
            "the activation email still arrives"
        );
        assert_eq!(
            route(&mut plan, MessageChannel::Sms, &activation_code()),
            Folder::Withheld
        );
    }

    #[test]
    fn other_kinds_of_message_are_not_affected() {
        let mut plan = vec![fault("registered_letter_available", None, DeliveryFate::Spam, 2)];
        assert_eq!(
            route(&mut plan, MessageChannel::Email, &email_code()),
            Folder::Inbox
        );
        assert_eq!(plan[0].times, 2, "an unrelated message spends nothing");
    }

    #[tokio::test]
    async fn the_world_files_planned_messages_and_journals_the_plan() {
        use crate::api::LearnerAction;
        use crate::clock::SystemWallClock;
        use crate::{World, WorldOptions};
        let dir = tempfile::tempdir().unwrap();
        let mut options = WorldOptions::new(dir.path());
        options.seed = Some(5);
        let world = World::open(options, std::sync::Arc::new(SystemWallClock))
            .await
            .unwrap();
        let planned = vec![fault("email_code", None, DeliveryFate::Withheld, 1)];
        let id = world
            .create_planned_learner("plan@simulation.example", planned)
            .await
            .unwrap()
            .id;
        assert!(
            world.inbox(&id).await.unwrap().is_empty(),
            "the withheld code is not in the person's inbox"
        );
        let journal = world.journal(&id).await.unwrap();
        assert_eq!(
            journal
                .iter()
                .map(|e| (e.actor.as_str(), e.action.as_str()))
                .collect::<Vec<_>>(),
            [("formateur", "plan_delivery"), ("apprenant", "start_account")],
            "the plan is journaled before the account starts, so a replay knows it"
        );
        world.act(&id, LearnerAction::ResendEmailCode).await.unwrap();
        let inbox = world.inbox(&id).await.unwrap();
        assert_eq!(inbox.len(), 1, "the resent code arrives");
        assert_eq!(inbox[0].folder, "inbox");
        world
            .set_delivery_plan(&id, vec![fault("email_code", None, DeliveryFate::Spam, 1)])
            .await
            .unwrap();
        world.act(&id, LearnerAction::ResendEmailCode).await.unwrap();
        let inbox = world.inbox(&id).await.unwrap();
        assert_eq!(inbox.last().map(|m| m.folder.as_str()), Some("spam"));
        assert!(
            inbox.last().and_then(|m| m.code.clone()).is_some(),
            "a code in spam is still readable"
        );
    }

    #[test]
    fn plans_with_unknown_messages_or_counts_are_refused() {
        let unknown = [fault("postcard", None, DeliveryFate::Spam, 1)];
        assert_eq!(validate(&unknown).unwrap_err().code(), "unknown_message_kind");
        let zero = [fault("email_code", None, DeliveryFate::Spam, 0)];
        assert_eq!(validate(&zero).unwrap_err().code(), "invalid_fault_times");
        assert!(validate(&[fault("email_code", None, DeliveryFate::Spam, 3)]).is_ok());
    }
}
