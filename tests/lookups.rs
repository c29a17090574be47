//! The look-ups against the project's demo server on loopback: paging, the
//! picker search of the app session with the ID it puts in the request, and
//! the agreement between what the look-ups return and what the generated
//! accounts carry.

use std::collections::{HashMap, HashSet};

use devrev_export::columns::{CellValue, Column};
use devrev_export::demo_server::{account_stage, generate_account, DemoServer, DemoServerConfig};
use devrev_export::devrev::lookups::{AggregatedSchemaGetRequest, SubtypesListRequest};
use devrev_export::devrev::{ApiError, BaseUrl, DevRevClient};
use devrev_export::directory::FieldInput;
use devrev_export::export::{PreviewSink, Progress};
use devrev_export::session::AppSession;
use devrev_export::settings::SettingsStore;
use devrev_export::token::{Token, TokenStore};
use serde_json::{json, Value};

const TOKEN: &str = "lookup-test-token";
const ACCOUNTS: usize = 1_000;

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts: ACCOUNTS,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

fn client(server: &DemoServer) -> DevRevClient {
    DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
    )
}

/// Opens a session that uses `server` with a session-only token, so no keyring is touched.
async fn session_for(server: &DemoServer, config: &std::path::Path) -> AppSession {
    let tokens = TokenStore::new(
        &format!("devrev-accounts-export-lookup-test-{}", std::process::id()),
        "api-token",
    );
    let session = AppSession::open(Some(SettingsStore::in_dir(config)), tokens).await;
    session.save_token(TOKEN, true).await.unwrap();
    session.set_base_url(&server.base_url()).await.unwrap();
    session
}

fn requests_to(server: &DemoServer, path: &str) -> Vec<Value> {
    server
        .recorded_requests()
        .into_iter()
        .filter(|request| request.path == path)
        .map(|request| serde_json::from_str(&request.body).unwrap())
        .collect()
}

#[derive(Default)]
struct Rows(std::sync::Mutex<(Vec<Column>, Vec<Vec<CellValue>>)>);

impl PreviewSink for Rows {
    fn columns(&self, columns: &[Column]) {
        self.0.lock().unwrap().0 = columns.to_vec();
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        self.0.lock().unwrap().1.extend(rows);
    }

    fn progress(&self, _progress: Progress) {}
}

#[tokio::test]
async fn users_are_read_page_by_page() {
    let server = start_server().await;

    let users = client(&server).all_dev_users(7).await.unwrap();

    let pages = requests_to(&server, "/dev-users.list");
    server.shutdown().await;
    assert_eq!(users.len(), 40);
    assert_eq!(pages.len(), 6, "{pages:?}");
    assert_eq!(pages[0], json!({"limit": 7, "state": ["active"]}));
    assert_eq!(pages[1]["cursor"], "devu-7");
    let unique: HashSet<&str> = users.iter().map(|user| user.id.as_str()).collect();
    assert_eq!(unique.len(), 40);
}

#[tokio::test]
async fn picker_finds_user_by_name_and_email() {
    let server = start_server().await;
    let config = tempfile::tempdir().unwrap();
    let session = session_for(&server, config.path()).await;

    let by_name = session.search_users("bjorn").await.unwrap();
    let by_email = session.search_users("sofia.").await.unwrap();
    let nobody = session.search_users("no such person").await.unwrap();

    // The demo organization has two users named Björn; both match, by full name.
    assert!(!by_name.is_empty());
    assert!(
        by_name.iter().all(|user| user.name.starts_with("Björn ")),
        "{by_name:?}"
    );
    assert!(!by_email.is_empty());
    assert!(by_email
        .iter()
        .all(|user| user.email.as_deref().unwrap().starts_with("sofia.")));
    assert!(nobody.is_empty());
    // The list was read once for the session; later searches use memory.
    assert_eq!(requests_to(&server, "/dev-users.list").len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn picked_user_id_goes_into_request() {
    let server = start_server().await;
    let config = tempfile::tempdir().unwrap();
    let session = session_for(&server, config.path()).await;
    let rows = Rows::default();

    let picked = session.search_users("Chloé").await.unwrap().remove(0);
    let summary = session
        .preview(
            json!({"owned_by": [picked.id], "first": 500}),
            false,
            &rows,
            |_| {},
        )
        .await
        .unwrap();

    let sent = requests_to(&server, "/accounts.export");
    server.shutdown().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["owned_by"], json!([picked.id]));
    let expected = (0..ACCOUNTS)
        .map(|index| generate_account(42, index))
        .filter(|account| account.owned_by.iter().any(|owner| owner.id == picked.id))
        .count();
    assert!(expected > 0);
    assert_eq!(summary.count, expected);
}

#[tokio::test]
async fn picker_finds_tags_and_their_values() {
    let server = start_server().await;
    let config = tempfile::tempdir().unwrap();
    let session = session_for(&server, config.path()).await;

    let found = session.search_tags("prio").await.unwrap();

    server.shutdown().await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].name, "priority");
    assert_eq!(found[0].values, ["high", "medium", "low"]);
    assert!(found[0].id.starts_with("don:core:"), "{}", found[0].id);
}

#[tokio::test]
async fn filter_options_list_org_values() {
    let server = start_server().await;
    let config = tempfile::tempdir().unwrap();
    let session = session_for(&server, config.path()).await;

    let options = session.filter_options().await.unwrap();

    server.shutdown().await;
    assert!(options.problems.is_empty(), "{:?}", options.problems);
    let stages: Vec<&str> = options
        .stages
        .iter()
        .map(|stage| stage.label.as_str())
        .collect();
    assert_eq!(
        stages,
        [
            "Prospect",
            "Onboarding",
            "Active",
            "Renewal",
            "At risk",
            "Churned"
        ]
    );
    let tiers: Vec<&str> = options
        .tiers
        .iter()
        .map(|tier| tier.value.as_str())
        .collect();
    assert_eq!(tiers, ["SMB", "Mid-market", "Enterprise", "Strategic"]);
    let subtypes: Vec<&str> = options
        .subtypes
        .iter()
        .map(|subtype| subtype.value.as_str())
        .collect();
    assert_eq!(subtypes, ["Customer", "Partner", "Reseller"]);
    let inputs: HashMap<&str, FieldInput> = options
        .custom_fields
        .iter()
        .map(|field| (field.name.as_str(), field.input))
        .collect();
    assert_eq!(inputs.get("tnt__region"), Some(&FieldInput::Choice));
    assert_eq!(inputs.get("tnt__is_public"), Some(&FieldInput::Checkbox));
    assert_eq!(inputs.get("tnt__health_score"), Some(&FieldInput::Integer));
    assert_eq!(inputs.get("tnt__annual_revenue"), Some(&FieldInput::Number));
    assert_eq!(inputs.get("tnt__renewal_date"), Some(&FieldInput::Date));
    assert_eq!(inputs.get("tnt__notes"), None, "notes are not filterable");
}

#[tokio::test]
async fn accounts_use_only_looked_up_values() {
    let server = start_server().await;
    let api = client(&server);

    let users: HashSet<String> = api
        .all_dev_users(100)
        .await
        .unwrap()
        .into_iter()
        .map(|user| user.id)
        .collect();
    let tags: HashMap<String, Vec<String>> = api
        .all_tags(100)
        .await
        .unwrap()
        .into_iter()
        .map(|tag| (tag.id, tag.allowed_values))
        .collect();
    let stages: HashSet<String> = api
        .all_custom_stages(100)
        .await
        .unwrap()
        .into_iter()
        .map(|stage| stage.id)
        .collect();
    let subtypes: HashSet<String> = api
        .list_subtypes(&SubtypesListRequest {
            leaf_types: vec!["account".into()],
        })
        .await
        .unwrap()
        .subtypes
        .into_iter()
        .map(|subtype| subtype.value)
        .collect();
    let schema = api
        .get_aggregated_schema(&AggregatedSchemaGetRequest {
            leaf_type: Some("account".into()),
        })
        .await
        .unwrap()
        .schema;
    server.shutdown().await;
    let tiers = &schema
        .stock_fields
        .iter()
        .find(|field| field.name == "tier")
        .unwrap()
        .allowed_values;
    let fields: HashMap<&str, &Vec<String>> = schema
        .custom_fields
        .iter()
        .map(|field| (field.name.as_str(), &field.allowed_values))
        .collect();

    for index in 0..ACCOUNTS {
        let account = generate_account(42, index);
        let id = &account.id;
        assert!(users.contains(&account.created_by.unwrap().id), "{id}");
        assert!(users.contains(&account.modified_by.unwrap().id), "{id}");
        for owner in &account.owned_by {
            assert!(users.contains(&owner.id), "{id}: owner {}", owner.id);
        }
        for tag in &account.tags {
            let allowed = tags
                .get(&tag.tag.id)
                .unwrap_or_else(|| panic!("{id}: tag {}", tag.tag.id));
            match &tag.value {
                Some(value) => assert!(allowed.contains(value), "{id}: {value}"),
                None => assert!(allowed.is_empty(), "{id}: tag without value"),
            }
        }
        assert!(stages.contains(&account_stage(42, index).id), "{id}");
        if let Some(subtype) = &account.subtype {
            assert!(subtypes.contains(subtype), "{id}: {subtype}");
        }
        if let Some(tier) = &account.tier {
            assert!(tiers.contains(tier), "{id}: {tier}");
        }
        for (name, value) in &account.custom_fields {
            let allowed = fields
                .get(name.as_str())
                .unwrap_or_else(|| panic!("{id}: field {name}"));
            if let (false, Some(text)) = (allowed.is_empty(), value.as_str()) {
                assert!(
                    allowed.iter().any(|entry| entry == text),
                    "{id}: {name} = {text}"
                );
            }
        }
    }
}

#[tokio::test]
async fn lookups_check_token_and_fields() {
    let server = start_server().await;
    let stranger = DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse("wrong-token").unwrap(),
    );

    let unauthorized = stranger.all_tags(10).await.unwrap_err();
    let bad_field = reqwest::Client::new()
        .post(format!("{}/tags.list", server.base_url()))
        .bearer_auth(TOKEN)
        .json(&json!({"colour": "red"}))
        .send()
        .await
        .unwrap();

    let status = bad_field.status().as_u16();
    let body: Value = bad_field.json().await.unwrap();
    server.shutdown().await;
    assert!(matches!(
        unauthorized,
        devrev_export::devrev::LookupError::Api(ApiError::Unauthorized { .. })
    ));
    assert_eq!(status, 400);
    assert!(
        body["message"].as_str().unwrap().contains("`colour`"),
        "{body}"
    );
}
