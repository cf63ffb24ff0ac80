//! Sunshine Conversations webhooks: API key, batched events, every content type, AI agents.

use serde_json::json;

use crate::support::*;

fn msg_event(
    id: &str,
    author: serde_json::Value,
    content: serde_json::Value,
    source_type: &str,
) -> serde_json::Value {
    json!({
        "id": id,
        "createdAt": "2020-09-30T15:14:29.834Z",
        "type": "conversation:message",
        "payload": {
            "conversation": {"id": "conv-1", "type": "personal",
                "activeSwitchboardIntegration": {"id": "si1", "name": "zd-agentWorkspace", "integrationId": "i1", "integrationType": "zd:agentWorkspace"}},
            "message": {
                "id": format!("msg-{id}"),
                "received": "2020-09-30T15:14:29.834Z",
                "author": author,
                "content": content,
                "source": {"type": source_type, "integrationId": "i2"}
            }
        }
    })
}

fn user() -> serde_json::Value {
    json!({"type": "user", "userId": "u1", "displayName": "End User"})
}

fn envelope(events: Vec<serde_json::Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "app": {"id": "5ebee0975ac5304b664a12fa"},
        "webhook": {"id": "5f4eaef81e3dcc117c7ba48a", "version": "v2"},
        "events": events
    }))
    .unwrap()
}

#[tokio::test]
async fn api_key_is_checked_per_tenant() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    let body = envelope(vec![msg_event(
        "e0",
        user(),
        json!({"type": "text", "text": "hello"}),
        "web",
    )]);
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine", &body, "wrong-key")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine/acme", &body, SC_SECRET)
            .await
            .status(),
        401
    );
    let r = app
        .client
        .post(format!("{}/webhooks/sunshine", app.base))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "missing X-API-Key");
    assert_eq!(
        app.post_sunshine("/webhooks/sunshine/acme", &body, "acme-sunshine-key-123456")
            .await
            .status(),
        200
    );
    assert_eq!(
        app.store.stats().await.unwrap().ready,
        0,
        "no PHI, nothing queued"
    );
    app.stop().await;
}

#[tokio::test]
async fn mixed_batch_with_every_content_type() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    let events = vec![
        msg_event(
            "e1",
            json!({"type": "user", "userId": "u1"}),
            json!({"type": "text", "text": "my member id is fine, phone (415) 555-0172"}),
            "whatsapp",
        ),
        msg_event(
            "e2",
            user(),
            json!({"type": "image", "mediaUrl": "https://media.example/apps/x/insurance.jpg", "mediaType": "image/jpeg", "altText": "insurance.jpg"}),
            "web",
        ),
        msg_event(
            "e3",
            user(),
            json!({"type": "file", "mediaUrl": "https://media.example/apps/x/f.pdf", "mediaType": "application/pdf", "altText": "labs_Maria_Ortiz_DOB_03-14-1962.pdf"}),
            "web",
        ),
        msg_event(
            "e4",
            json!({"type": "business", "displayName": "Bot"}),
            json!({"type": "carousel", "items": [{"title": "Option A", "description": "x", "actions": []}]}),
            "zd:answerBot",
        ),
        msg_event(
            "e5",
            user(),
            json!({"type": "formResponse", "fields": [{"name": "email", "label": "Email", "type": "email", "email": "maria.ortiz@example.org"}], "textFallback": "Email: maria.ortiz@example.org"}),
            "web",
        ),
        msg_event(
            "e6",
            user(),
            json!({"type": "location", "coordinates": {"lat": 45.5, "long": -73.6}, "location": {"name": "Home", "address": "1234 Elm Street, Springfield, IL 62704"}}),
            "web",
        ),
        json!({"id": "e7", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:create",
               "payload": {"conversation": {"id": "conv-2", "type": "personal"}, "creationReason": "message", "user": {"id": "u1"}}}),
        json!({"id": "e8", "createdAt": "2020-09-30T15:14:29.834Z", "type": "switchboard:passControl",
               "payload": {"conversation": {"id": "conv-1", "type": "personal",
                  "activeSwitchboardIntegration": {"id": "si2", "name": "answerbot", "integrationId": "i3", "integrationType": "zd:answerBot"}},
                  "reason": "ticketClosed"}}),
        json!({"id": "e9", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:remove",
               "payload": {"conversation": {"id": "conv-3"}}}),
        json!({"id": "e10", "createdAt": "2020-09-30T15:14:29.834Z", "type": "conversation:typing",
               "payload": {"conversation": {"id": "conv-1"}}}),
    ];
    let body = envelope(events);
    let r = app
        .post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
        .await;
    assert_eq!(r.status(), 200);
    let rep: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rep["events"], 10);
    assert!(rep["confirmations"].as_u64().unwrap() >= 1, "{rep}");
    assert!(rep["ignored"].as_u64().unwrap() >= 1, "{rep}");

    let items = app
        .store
        .lease("t", 100, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    let actions: Vec<serde_json::Value> = items
        .iter()
        .map(|i| serde_json::from_slice(&i.payload).unwrap())
        .collect();
    let has = |kind: &str, msg: &str| {
        actions
            .iter()
            .any(|a| a["kind"] == kind && a["object"]["message_id"] == msg)
    };
    assert!(
        has("delete_message", "msg-e1"),
        "PHI on WhatsApp is deleted: {actions:#?}"
    );
    assert!(
        has("remove_message_attachments", "msg-e2"),
        "end-user image removed"
    );
    assert!(
        has("remove_message_attachments", "msg-e3"),
        "end-user file removed"
    );
    assert!(
        actions.iter().any(|a| a["kind"] == "delete_ai_messages"),
        "AI transcript deleted at hand-off"
    );
    assert!(
        !actions
            .iter()
            .any(|a| a["object"]["message_id"] == "msg-e4"),
        "AI carousel kept until hand-off"
    );

    // Re-delivery of the same batch: every event that caused work is a duplicate and nothing
    // new is queued (events without work are re-scanned and again decide nothing).
    let before = app.store.stats().await.unwrap();
    let r = app
        .post_sunshine("/webhooks/sunshine", &body, SC_SECRET)
        .await;
    let rep: serde_json::Value = r.json().await.unwrap();
    assert_eq!(rep["actions"], 0, "{rep}");
    assert!(rep["duplicates"].as_u64().unwrap() >= 4, "{rep}");
    let after = app.store.stats().await.unwrap();
    assert_eq!(after.ready + after.leased, before.ready + before.leased);
    app.stop().await;
}

#[tokio::test]
async fn malformed_batches_are_400_not_panics() {
    let app = TestApp::spawn("[server]\nworker_enabled = false\n").await;
    for bad in [
        &b"not json"[..],
        b"{\"events\": 5}",
        b"{\"app\":{\"id\":\"a\"},\"events\":[{\"type\":\"conversation:message\"}]}",
    ] {
        let r = app
            .post_sunshine("/webhooks/sunshine", bad, SC_SECRET)
            .await;
        assert_eq!(r.status(), 400, "{}", String::from_utf8_lossy(bad));
        let err: serde_json::Value = r.json().await.unwrap();
        assert!(err["error"].is_string());
    }
    app.stop().await;
}
