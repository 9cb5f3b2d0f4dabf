//! Waiting for vSphere tasks, and the questions that can block them: with
//! `auto_answer=1` a question gets its default answer, otherwise it is
//! reported as an error (and the task cancelled when the server lets us).

use std::time::{Duration, Instant};

use super::soap::{child, child_text, children, path, MoRef};
use super::vi::{object_spec, prop_spec, ObjectContent, Session};
use crate::abi::*;
use crate::error::{Error, Result};

/// How long a task may run before the driver gives up waiting.
const TASK_TIMEOUT: Duration = Duration::from_secs(600);

/// How a finished task ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded; the `info.result` text, if any.
    Success(Option<String>),
    /// It failed with this message.
    Failed(String),
}

/// Waits for `task` (started on `vm`, whose questions are answered or
/// reported on the way).
pub fn wait(session: &Session, task: &MoRef, vm: Option<&MoRef>, auto_answer: bool) -> Result<Outcome> {
    let mut specs = format!(
        "{}{}",
        prop_spec("Task", &["info.state", "info.error", "info.result"]),
        object_spec(task, false, &[])
    );
    if let Some(vm) = vm {
        specs.push_str(&prop_spec("VirtualMachine", &["runtime.question"]));
        specs.push_str(&object_spec(vm, false, &[]));
    }
    let outcome = poll(session, task, vm, auto_answer, &specs);
    // Whatever the task did is done now: anything read before is stale.
    session.changed();
    outcome
}

fn poll(
    session: &Session,
    task: &MoRef,
    vm: Option<&MoRef>,
    auto_answer: bool,
    specs: &str,
) -> Result<Outcome> {
    let start = Instant::now();
    let mut pause = Duration::from_millis(10);
    loop {
        let objects = session.retrieve(specs)?;
        let task_obj = objects
            .iter()
            .find(|o| o.obj == *task)
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, format!("Task '{}' disappeared", task.value)))?;
        match task_obj.text("info.state").as_deref() {
            Some("success") => {
                return Ok(Outcome::Success(
                    task_obj.text("info.result").filter(|r| !r.is_empty()),
                ))
            }
            Some("error") => return Ok(Outcome::Failed(task_error(task_obj))),
            Some("queued") | Some("running") => {}
            other => {
                return Err(Error::internal(
                    VIR_FROM_ESX,
                    format!(
                        "Task '{}' is in unknown state '{}'",
                        task.value,
                        other.unwrap_or("")
                    ),
                ))
            }
        }
        if let Some(vm_obj) = vm.and_then(|v| objects.iter().find(|o| o.obj == *v)) {
            if let Some(question) = vm_obj.get("runtime.question") {
                handle_question(session, &vm_obj.obj, question, Some(task), auto_answer)?;
            }
        }
        if start.elapsed() > TASK_TIMEOUT {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!(
                    "Task '{}' did not finish within {} seconds",
                    task.value,
                    TASK_TIMEOUT.as_secs()
                ),
            ));
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(500));
    }
}

/// The message of a failed task: the server's localized text, else the fault's type.
fn task_error(task: &ObjectContent) -> String {
    let Some(err) = task.get("info.error") else {
        return "unknown error".to_string();
    };
    if let Some(msg) = child_text(err, "localizedMessage").filter(|m| !m.is_empty()) {
        return msg;
    }
    child(err, "fault")
        .and_then(|f| super::soap::xsi_type(f).map(str::to_string))
        .unwrap_or_else(|| "unknown error".to_string())
}

/// Answers a pending question with its default answer (`auto_answer`), or
/// reports it as an error after cancelling `task`, the one it blocks.
pub fn handle_question(
    session: &Session,
    vm: &MoRef,
    question: &crate::xml::dom::Element,
    task: Option<&MoRef>,
    auto_answer: bool,
) -> Result<()> {
    let id = child_text(question, "id").unwrap_or_default();
    let text = child_text(question, "text").unwrap_or_default();
    let choices: Vec<(String, String)> = path(question, "choice")
        .map(|c| {
            children(c, "choiceInfo")
                .map(|i| {
                    (
                        child_text(i, "key").unwrap_or_default(),
                        child_text(i, "label").unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let default = path(question, "choice.defaultIndex")
        .and_then(|d| d.text().trim().parse::<usize>().ok())
        .and_then(|i| choices.get(i));
    if auto_answer {
        if let Some((key, _)) = default {
            let args = format!(
                "{}{}",
                super::soap::text("questionId", &id),
                super::soap::text("answerChoice", key)
            );
            session.call("AnswerVM", vm, &args)?;
            return Ok(());
        }
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!("Pending question blocks virtual machine execution, question is '{text}', no default answer is available"),
        ));
    }
    // The task cannot go on; stop it if the server allows, then report.
    if let Some(task) = task {
        let _ = session.call("CancelTask", task, "");
    }
    let answers: Vec<String> = choices.iter().map(|(_, label)| format!("'{label}'")).collect();
    Err(Error::internal(
        VIR_FROM_ESX,
        format!(
            "Pending question blocks virtual machine execution, question is '{text}', possible answers are {}",
            answers.join(", ")
        ),
    ))
}
