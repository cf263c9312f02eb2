//! Tests of the condenser: the pure policy on shaped histories, and one condensation carried
//! out against the scripted host.

use super::*;
use synth_sdk::testing::{FakeHost, assistant_call};

fn call(i: usize) -> Message {
    assistant_call(&format!("c{i}"), "execute_bash", json!({"command": "ls"}))
}

fn result(i: usize) -> Message {
    Message::tool_result(format!("c{i}"), "out")
}

/// System, task, then `pairs` assistant-call / tool-result pairs.
fn history(pairs: usize) -> Vec<Message> {
    let mut h = vec![Message::system("sys"), Message::user("task")];
    for i in 0..pairs {
        h.push(call(i));
        h.push(result(i));
    }
    h
}

const POLICY: Policy = Policy {
    max_messages: 10,
    keep_first: 2,
};

#[test]
fn waits_until_the_limit() {
    assert_eq!(plan(&history(4), POLICY, false, false), None);
    assert_eq!(history(4).len(), 10);
}

#[test]
fn keeps_head_and_about_half() {
    // 12 messages: head 2 + summary 1 + tail 2 = 5 = max/2.
    let cut = plan(&history(5), POLICY, false, false).unwrap();
    assert_eq!(
        cut,
        Cut {
            head: 2,
            tail_start: 10
        }
    );
    let big = Policy {
        max_messages: 100,
        keep_first: 2,
    };
    let cut = plan(&history(50), big, false, false).unwrap();
    assert_eq!(cut.head, 2);
    let kept = 2 + 1 + (102 - cut.tail_start);
    assert!((49..=51).contains(&kept), "{kept}");
}

#[test]
fn never_starts_the_tail_on_a_tool_result() {
    // 13 messages: the ideal start (11) is a tool result; the next boundary is 12.
    let mut h = history(5);
    h.push(Message::user("auto reply"));
    let cut = plan(&h, POLICY, false, false).unwrap();
    assert_eq!(cut.tail_start, 12);
    // One assistant message with three calls answered by three tool messages.
    let mut h = history(3);
    let mut multi = call(10);
    multi.tool_calls.extend(call(11).tool_calls);
    multi.tool_calls.extend(call(12).tool_calls);
    h.push(multi);
    h.extend([result(10), result(11), result(12)]);
    assert_eq!(h.len(), 12);
    let cut = plan(&h, POLICY, false, false).unwrap();
    assert_eq!(h[cut.tail_start].role, Role::Assistant);
    // With nothing to keep after the ideal start, it moves back to the call.
    assert_eq!(cut.tail_start, 8);
    for m in &h[cut.tail_start..] {
        if m.role == Role::Tool {
            let id = m.tool_call_id.as_deref().unwrap();
            assert!(
                h[cut.tail_start..]
                    .iter()
                    .any(|a| a.tool_calls.iter().any(|c| c.id == id))
            );
        }
    }
}

#[test]
fn text_mode_results_are_not_boundaries() {
    let mut h = vec![Message::system("sys"), Message::user("task")];
    for _ in 0..6 {
        h.push(Message::assistant("<function=think>..</function>"));
        h.push(Message::user("EXECUTION RESULT of [think]:\nok"));
    }
    let cut = plan(&h, POLICY, false, false).unwrap();
    assert_eq!(h[cut.tail_start].role, Role::Assistant);
}

#[test]
fn head_extends_past_tool_results() {
    let h = history(6);
    let policy = Policy {
        max_messages: 10,
        keep_first: 3,
    };
    assert_eq!(head_len(&h, 3), 4);
    assert_eq!(plan(&h, policy, false, false).unwrap().head, 4);
}

#[test]
fn forced_and_impossible() {
    let cut = plan(&history(3), POLICY, false, true).unwrap();
    assert_eq!(
        cut,
        Cut {
            head: 2,
            tail_start: 6
        }
    );
    // Only the previous summary could go: nothing to gain.
    let mut h = history(0);
    h.push(Message::user("summary"));
    h.push(call(0));
    h.push(result(0));
    assert_eq!(plan(&h, POLICY, true, true), None);
    assert_eq!(
        plan(&h, POLICY, false, true),
        Some(Cut {
            head: 2,
            tail_start: 3
        })
    );
    // A tail of tool results only, after the head.
    let mut h = history(1);
    h.push(result(7));
    h.push(result(8));
    assert_eq!(plan(&h, POLICY, false, true), None);
    assert_eq!(plan(&[Message::system("s")], POLICY, false, true), None);
}

#[test]
fn condenses_through_the_host_and_notes_it() {
    let mut host = FakeHost::new();
    host.reply(Message::assistant(
        "USER_CONTEXT: fix calc\nCOMPLETED: ran ls",
    ));
    host.reply(Message::assistant("second summary"));
    let config = CondenserConfig {
        enabled: true,
        max_messages: 10,
        keep_first: 2,
    };
    let mut condenser = Condenser::new(&config);
    let mut h = history(5);
    assert!(
        condenser
            .condense(&mut host, &mut h, Reason::MaxMessages)
            .unwrap()
    );
    assert_eq!(h.len(), 5);
    assert_eq!(h[2].role, Role::User);
    assert!(h[2].text().starts_with(SUMMARY_HEADER));
    assert!(h[2].text().ends_with("COMPLETED: ran ls"));
    assert_eq!(h[3].role, Role::Assistant);

    let request = &host.requests[0];
    assert_eq!(request.params.purpose, Purpose::Condense);
    assert!(request.tools.is_empty());
    let input = request.messages[1].text();
    assert!(input.starts_with("<EVENT id=2>\nASSISTANT: \n[tool call execute_bash:"));
    assert!(input.contains("<EVENT id=9>\nTOOL RESULT: out\n</EVENT>"));
    assert!(!input.contains("PREVIOUS SUMMARY"));

    let (kind, data) = &host.notes[0];
    assert_eq!(kind, "condensation");
    let data: serde_json::Value = serde_json::from_str(data).unwrap();
    assert_eq!(data["forgotten_messages"], 8);
    assert_eq!(data["kept_head"], 2);
    assert_eq!(data["kept_tail"], 2);
    assert_eq!(data["messages_before"], 12);
    assert_eq!(data["messages_after"], 5);
    assert_eq!(data["reason"], "max_messages");
    assert!(data["chars_before"].as_u64().unwrap() > 0 && data["chars_after"].is_u64());
    assert_eq!(
        data["approx_tokens_before"],
        data["chars_before"].as_u64().unwrap() / 4
    );
    assert_eq!(data["summary"], "USER_CONTEXT: fix calc\nCOMPLETED: ran ls");

    // Below the limit nothing happens; past it again the old summary is rewritten.
    assert!(
        !condenser
            .condense(&mut host, &mut h, Reason::MaxMessages)
            .unwrap()
    );
    for i in 20..23 {
        h.push(call(i));
        h.push(result(i));
    }
    assert!(
        condenser
            .condense(&mut host, &mut h, Reason::MaxMessages)
            .unwrap()
    );
    let input = host.requests[1].messages[1].text();
    assert!(
        input.starts_with("<PREVIOUS SUMMARY>\nUSER_CONTEXT: fix calc"),
        "{input}"
    );
    assert!(input.contains("<EVENT id=3>"));
    assert!(!input.contains("<EVENT id=2>"));
    assert!(h[2].text().ends_with("second summary"));
    assert_eq!(
        h.iter()
            .filter(|m| m.text().starts_with(SUMMARY_HEADER))
            .count(),
        1
    );
    let data: serde_json::Value = serde_json::from_str(&host.notes[1].1).unwrap();
    assert_eq!(data["replaced_previous_summary"], true);
}

#[test]
fn disabled_or_failing_summarizer() {
    let mut host = FakeHost::new();
    let off = CondenserConfig {
        enabled: false,
        ..CondenserConfig::default()
    };
    let mut h = history(60);
    assert!(
        !Condenser::new(&off)
            .condense(&mut host, &mut h, Reason::ContextLength)
            .unwrap()
    );
    host.replies
        .push_back(Err(synth_sdk::llm::LlmError::BudgetExhausted(
            "spent".into(),
        )));
    let end = Condenser::new(&CondenserConfig::default())
        .condense(&mut host, &mut h, Reason::MaxMessages)
        .unwrap_err();
    assert!(matches!(end, End::Stop(ref o) if o.exit == synth_sdk::ExitKind::BudgetExhausted));
    assert_eq!(h.len(), 122);
}
