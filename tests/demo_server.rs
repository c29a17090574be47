//! Integration tests of the demo server over real HTTP on loopback: auth,
//! request checks, every filter, sorting, paging through `accounts.list`,
//! determinism, recorded requests, injected faults and shutdown.
//!
//! Expected results come from the public generator (`generate_account`,
//! `account_stage`), filtered here with plain code, so each filter test checks
//! both that matching accounts come back and that no other account does.

use chrono::{DateTime, Duration, Utc};
use devrev_export::demo_server::{
    account_stage, demo_stages, demo_tags, demo_users, generate_account, DemoServer,
    DemoServerConfig, Fault,
};
use devrev_export::devrev::models::{Account, AccountsExportResponse, AccountsListResponse};
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashSet;

const SEED: u64 = 42;
const ACCOUNTS: usize = 1_000;

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig::default())
        .await
        .expect("demo server starts on a free loopback port")
}

fn export_url(server: &DemoServer) -> String {
    format!("{}/accounts.export", server.base_url())
}

/// Posts a raw body with the given `Authorization` header, returning status and JSON.
async fn post_raw(
    server: &DemoServer,
    authorization: Option<&str>,
    body: &str,
) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(export_url(server))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request
        .send()
        .await
        .expect("request reaches the demo server");
    let status = response.status();
    let json = response
        .json()
        .await
        .expect("the demo server answers with JSON");
    (status, json)
}

async fn export(server: &DemoServer, body: Value) -> (StatusCode, Value) {
    post_raw(server, Some("Bearer demo"), &body.to_string()).await
}

/// Exports with the given body, expecting 200, and returns the account IDs in order.
async fn export_ids(server: &DemoServer, body: Value) -> Vec<String> {
    let (status, json) = export(server, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "body {body}: {json}");
    json["accounts"]
        .as_array()
        .expect("`accounts` is a list")
        .iter()
        .map(|account| {
            account["id"]
                .as_str()
                .expect("every account has an id")
                .to_owned()
        })
        .collect()
}

fn all_accounts() -> Vec<Account> {
    (0..ACCOUNTS)
        .map(|index| generate_account(SEED, index))
        .collect()
}

/// IDs of the first 500 generated accounts that satisfy `keep`, in generation order.
fn expected_ids(keep: impl Fn(usize, &Account) -> bool) -> Vec<String> {
    all_accounts()
        .iter()
        .enumerate()
        .filter(|(index, account)| keep(*index, account))
        .take(500)
        .map(|(_, account)| account.id.clone())
        .collect()
}

/// Checks one filter: the positive body returns exactly the expected, non-empty
/// list, and the negative body returns no account.
async fn check_filter(
    server: &DemoServer,
    positive: Value,
    expected: Vec<String>,
    negative: Value,
) {
    assert!(
        !expected.is_empty(),
        "the data set has no account for {positive}"
    );

    let got = export_ids(server, positive.clone()).await;
    assert_eq!(got, expected, "filter {positive}");

    let none = export_ids(server, negative.clone()).await;
    assert!(none.is_empty(), "filter {negative} returned {none:?}");
}

fn with_first(mut body: Value) -> Value {
    body["first"] = json!(500);
    body
}

// Authentication

#[tokio::test]
async fn missing_token_gets_401() {
    let server = start_server().await;

    let (status, body) = post_raw(&server, None, "{}").await;

    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["type"], "unauthenticated");
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn wrong_token_gets_401() {
    let server = start_server().await;

    for header in ["Bearer wrong", "demo", "Bearer  demo", "Basic ZGVtbzpkZW1v"] {
        let (status, body) = post_raw(&server, Some(header), "{}").await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "header {header}");
        assert_eq!(body["type"], "unauthenticated", "header {header}");
    }
}

#[tokio::test]
async fn bearer_scheme_is_case_insensitive() {
    let server = start_server().await;

    for header in ["bearer demo", "BEARER demo"] {
        let (status, _) = post_raw(&server, Some(header), "{}").await;

        assert_eq!(status, StatusCode::OK, "header {header}");
    }
}

#[tokio::test]
async fn configured_token_is_accepted() {
    let config = DemoServerConfig {
        token: "s3cret".into(),
        ..Default::default()
    };
    let server = DemoServer::start(config).await.unwrap();

    let (accepted, _) = post_raw(&server, Some("Bearer s3cret"), "{}").await;
    let (rejected, _) = post_raw(&server, Some("Bearer demo"), "{}").await;

    assert_eq!(accepted, StatusCode::OK);
    assert_eq!(rejected, StatusCode::UNAUTHORIZED);
}

// Request checks

#[tokio::test]
async fn unknown_field_gets_400_naming_it() {
    let server = start_server().await;

    let (status, body) = export(&server, json!({"tiers": ["SMB"]})).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "bad_request");
    assert!(
        body["message"].as_str().unwrap().contains("tiers"),
        "{body}"
    );
}

#[tokio::test]
async fn wrong_type_gets_400_naming_field() {
    let server = start_server().await;

    for (request, field) in [
        (json!({"tier": "SMB"}), "tier"),
        (json!({"first": "ten"}), "first"),
        (
            json!({"created_date": {"after": "yesterday"}}),
            "created_date",
        ),
    ] {
        let (status, body) = export(&server, request.clone()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{request}");
        assert_eq!(body["type"], "bad_request", "{request}");
        assert!(
            body["message"].as_str().unwrap().contains(field),
            "{request} gave {body}"
        );
    }
}

#[tokio::test]
async fn first_out_of_range_gets_400() {
    let server = start_server().await;

    for first in [0, 501] {
        let (status, body) = export(&server, json!({ "first": first })).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "first {first}");
        assert_eq!(body["type"], "bad_request", "first {first}");
        assert!(
            body["message"].as_str().unwrap().contains("first"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn first_at_range_ends_is_accepted() {
    let server = start_server().await;

    let one = export_ids(&server, json!({"first": 1})).await;
    let five_hundred = export_ids(&server, json!({"first": 500})).await;

    assert_eq!(one.len(), 1);
    assert_eq!(five_hundred.len(), 500);
}

#[tokio::test]
async fn invalid_json_gets_parse_error() {
    let server = start_server().await;

    for body in ["{\"first\": ", "", "not json"] {
        let (status, json) = post_raw(&server, Some("Bearer demo"), body).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "body {body:?}");
        assert_eq!(json["type"], "parse_error", "body {body:?}");
    }
}

#[tokio::test]
async fn non_object_body_gets_400() {
    let server = start_server().await;

    let (status, body) = export(&server, json!(["tier"])).await;

    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["type"], "bad_request");
}

#[tokio::test]
async fn bad_sort_key_gets_400() {
    let server = start_server().await;

    for key in ["owned_by:asc", "tier:up", "custom_fields.tnt__region:desc"] {
        let (status, body) = export(&server, json!({ "sort_by": [key] })).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "key {key}");
        assert_eq!(body["type"], "bad_request", "key {key}");
        assert!(
            body["message"].as_str().unwrap().contains("sort_by"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn client_only_rules_are_not_applied() {
    let server = start_server().await;

    // An empty tier entry and a reversed range break `validate()`, not the API.
    let (status, body) = export(
        &server,
        json!({
            "tier": [""],
            "created_date": {"after": "2025-01-01T00:00:00Z", "before": "2020-01-01T00:00:00Z"}
        }),
    )
    .await;

    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["accounts"], json!([]));
}

#[tokio::test]
async fn unknown_path_gets_404() {
    let server = start_server().await;

    let response = reqwest::Client::new()
        .post(format!("{}/accounts.get", server.base_url()))
        .header("authorization", "Bearer demo")
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "not_found");
}

#[tokio::test]
async fn other_method_gets_405() {
    let server = start_server().await;

    let response = reqwest::Client::new()
        .get(export_url(&server))
        .header("authorization", "Bearer demo")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "POST");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "method_not_allowed");
}

// Answers

#[tokio::test]
async fn empty_body_object_returns_first_fifty() {
    let server = start_server().await;

    let ids = export_ids(&server, json!({})).await;

    assert_eq!(ids, expected_ids(|_, _| true)[..50].to_vec());
}

#[tokio::test]
async fn response_decodes_as_accounts_with_stage() {
    let server = start_server().await;

    let (status, body) = export(&server, json!({"first": 20})).await;
    let decoded: AccountsExportResponse = serde_json::from_value(body.clone()).unwrap();

    assert_eq!(status, StatusCode::OK);
    assert_eq!(decoded.accounts.len(), 20);
    for (index, account) in decoded.accounts.iter().enumerate() {
        let stage = account_stage(SEED, index);
        assert_eq!(*account, generate_account(SEED, index));
        assert_eq!(body["accounts"][index]["stage"]["id"], stage.id);
        assert_eq!(body["accounts"][index]["stage"]["name"], stage.name);
    }
}

#[tokio::test]
async fn data_set_smaller_than_first_returns_all() {
    let config = DemoServerConfig {
        accounts: 7,
        ..Default::default()
    };
    let server = DemoServer::start(config).await.unwrap();

    let ids = export_ids(&server, json!({"first": 100})).await;

    assert_eq!(ids.len(), 7);
}

// Filters

#[tokio::test]
async fn created_by_filter() {
    let server = start_server().await;
    let users = demo_users();
    let user = &users[4].id;
    let other = &users[9].id;

    check_filter(
        &server,
        with_first(json!({ "created_by": [user, other] })),
        expected_ids(|_, account| {
            let creator = &account.created_by.as_ref().unwrap().id;
            creator == user || creator == other
        }),
        json!({"created_by": ["don:identity:dvrv-us-1:devo/demo:devu/999"]}),
    )
    .await;
}

#[tokio::test]
async fn owned_by_filter() {
    let server = start_server().await;
    let user = demo_users()[11].id.clone();

    check_filter(
        &server,
        with_first(json!({ "owned_by": [user] })),
        expected_ids(|_, account| account.owned_by.iter().any(|owner| owner.id == user)),
        json!({"owned_by": ["don:identity:dvrv-us-1:devo/demo:devu/0"]}),
    )
    .await;
}

#[tokio::test]
async fn created_date_filter_is_inclusive() {
    let server = start_server().await;
    let target = generate_account(SEED, 3);
    let created = target.created_date.unwrap();
    let millisecond = Duration::milliseconds(1);

    let exact = export_ids(
        &server,
        json!({"created_date": {"after": created, "before": created}}),
    )
    .await;
    let after_it = export_ids(
        &server,
        json!({"created_date": {"after": created + millisecond, "before": created + millisecond}}),
    )
    .await;

    assert!(exact.contains(&target.id), "{exact:?}");
    assert!(!after_it.contains(&target.id), "{after_it:?}");
}

#[tokio::test]
async fn created_date_filter_with_open_end() {
    let server = start_server().await;
    let after: DateTime<Utc> = "2025-06-01T00:00:00Z".parse().unwrap();
    let before: DateTime<Utc> = "2019-03-01T00:00:00Z".parse().unwrap();

    check_filter(
        &server,
        with_first(json!({"created_date": {"after": after}})),
        expected_ids(|_, account| account.created_date.unwrap() >= after),
        json!({"created_date": {"before": "2018-12-31T23:59:59Z"}}),
    )
    .await;
    let early = export_ids(
        &server,
        with_first(json!({"created_date": {"before": before}})),
    )
    .await;
    assert_eq!(
        early,
        expected_ids(|_, account| account.created_date.unwrap() <= before)
    );
}

#[tokio::test]
async fn modified_date_filter() {
    let server = start_server().await;
    let after: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
    let before: DateTime<Utc> = "2024-12-31T23:59:59Z".parse().unwrap();

    check_filter(
        &server,
        with_first(json!({"modified_date": {"after": after, "before": before}})),
        expected_ids(|_, account| {
            let modified = account.modified_date.unwrap();
            modified >= after && modified <= before
        }),
        json!({"modified_date": {"after": "2027-01-01T00:00:00Z"}}),
    )
    .await;
}

#[tokio::test]
async fn display_name_filter_ignores_case() {
    let server = start_server().await;
    let name = generate_account(SEED, 5).display_name.unwrap();

    check_filter(
        &server,
        with_first(json!({ "display_name": [name.to_uppercase()] })),
        expected_ids(|_, account| account.display_name.as_deref() == Some(name.as_str())),
        json!({ "display_name": [format!("{name} extra")] }),
    )
    .await;
}

#[tokio::test]
async fn domains_filter_ignores_case() {
    let server = start_server().await;
    let domain = generate_account(SEED, 8).domains[0].clone();

    check_filter(
        &server,
        with_first(json!({ "domains": ["nothing.example", domain.to_uppercase()] })),
        expected_ids(|_, account| account.domains.contains(&domain)),
        json!({"domains": ["nothing.example"]}),
    )
    .await;
}

#[tokio::test]
async fn websites_filter_ignores_case() {
    let server = start_server().await;
    let website = generate_account(SEED, 12).websites[0].clone();

    check_filter(
        &server,
        with_first(json!({ "websites": [website.to_uppercase()] })),
        expected_ids(|_, account| account.websites.contains(&website)),
        json!({"websites": ["www.nothing.example"]}),
    )
    .await;
}

#[tokio::test]
async fn external_refs_filter_is_exact() {
    let server = start_server().await;
    let accounts = all_accounts();
    let reference = accounts
        .iter()
        .flat_map(|account| &account.external_refs)
        .find(|reference| reference.starts_with("SF-"))
        .unwrap()
        .clone();

    check_filter(
        &server,
        with_first(json!({ "external_refs": [reference] })),
        expected_ids(|_, account| account.external_refs.contains(&reference)),
        json!({ "external_refs": [reference.to_lowercase()] }),
    )
    .await;
}

#[tokio::test]
async fn external_refs_filter_keeps_leading_zeros() {
    let server = start_server().await;
    let accounts = all_accounts();
    let reference = accounts
        .iter()
        .flat_map(|account| &account.external_refs)
        .find(|reference| reference.starts_with('0'))
        .unwrap()
        .clone();
    let without_zeros = reference.trim_start_matches('0').to_owned();

    check_filter(
        &server,
        with_first(json!({ "external_refs": [reference] })),
        expected_ids(|_, account| account.external_refs.contains(&reference)),
        json!({ "external_refs": [without_zeros] }),
    )
    .await;
}

#[tokio::test]
async fn tier_filter_is_exact() {
    let server = start_server().await;

    check_filter(
        &server,
        with_first(json!({"tier": ["Strategic", "Enterprise"]})),
        expected_ids(|_, account| {
            matches!(account.tier.as_deref(), Some("Strategic" | "Enterprise"))
        }),
        json!({"tier": ["strategic"]}),
    )
    .await;
}

#[tokio::test]
async fn subtype_filter_is_exact() {
    let server = start_server().await;

    check_filter(
        &server,
        with_first(json!({"subtype": ["Partner"]})),
        expected_ids(|_, account| account.subtype.as_deref() == Some("Partner")),
        json!({"subtype": ["partner"]}),
    )
    .await;
}

#[tokio::test]
async fn stage_filter_uses_stage_id() {
    let server = start_server().await;
    let stage = demo_stages()
        .into_iter()
        .find(|stage| stage.name == "At risk")
        .unwrap();

    check_filter(
        &server,
        with_first(json!({ "stage": [stage.id] })),
        expected_ids(|index, _| account_stage(SEED, index) == stage),
        json!({ "stage": [stage.name] }),
    )
    .await;
}

#[tokio::test]
async fn tags_filter_by_id() {
    let server = start_server().await;
    let tag = demo_tags()
        .into_iter()
        .find(|tag| tag.tag.name == "churn-risk")
        .unwrap();

    check_filter(
        &server,
        with_first(json!({ "tags": [tag.tag.id] })),
        expected_ids(|_, account| account.tags.iter().any(|entry| entry.tag.id == tag.tag.id)),
        json!({"tags": ["don:core:dvrv-us-1:devo/demo:tag/999"]}),
    )
    .await;
}

#[tokio::test]
async fn tags_filter_by_id_and_value() {
    let server = start_server().await;
    let priority = demo_tags()
        .into_iter()
        .find(|tag| tag.tag.name == "priority")
        .unwrap();
    let id = priority.tag.id.clone();

    check_filter(
        &server,
        with_first(json!({ "tags": [format!("{id}=high")] })),
        expected_ids(|_, account| {
            account
                .tags
                .iter()
                .any(|entry| entry.tag.id == id && entry.value.as_deref() == Some("high"))
        }),
        json!({ "tags": [format!("{id}=urgent")] }),
    )
    .await;
}

#[tokio::test]
async fn custom_fields_filter_text_ignores_case() {
    let server = start_server().await;

    check_filter(
        &server,
        with_first(json!({"custom_fields": {"tnt__region": ["emea", "Apac"]}})),
        expected_ids(|_, account| {
            matches!(
                account
                    .custom_fields
                    .get("tnt__region")
                    .and_then(Value::as_str),
                Some("EMEA" | "APAC")
            )
        }),
        json!({"custom_fields": {"tnt__region": "Antarctica"}}),
    )
    .await;
}

#[tokio::test]
async fn custom_fields_filter_number_and_bool() {
    let server = start_server().await;
    let score = (0..ACCOUNTS)
        .find_map(|index| {
            generate_account(SEED, index)
                .custom_fields
                .get("tnt__health_score")
                .cloned()
        })
        .unwrap();

    check_filter(
        &server,
        with_first(json!({"custom_fields": {"tnt__health_score": score, "tnt__is_public": true}})),
        expected_ids(|_, account| {
            account.custom_fields.get("tnt__health_score") == Some(&score)
                && account.custom_fields.get("tnt__is_public") == Some(&json!(true))
        }),
        json!({"custom_fields": {"tnt__health_score": 101}}),
    )
    .await;
}

#[tokio::test]
async fn custom_fields_filter_null_matches_missing() {
    let server = start_server().await;

    let ids = export_ids(
        &server,
        with_first(json!({"custom_fields": {"tnt__region": null}})),
    )
    .await;

    assert!(!ids.is_empty());
    assert_eq!(
        ids,
        expected_ids(|_, account| account
            .custom_fields
            .get("tnt__region")
            .is_none_or(Value::is_null))
    );
}

#[tokio::test]
async fn filters_on_different_fields_all_apply() {
    let server = start_server().await;

    check_filter(
        &server,
        with_first(json!({"tier": ["SMB"], "subtype": ["Customer"]})),
        expected_ids(|_, account| {
            account.tier.as_deref() == Some("SMB") && account.subtype.as_deref() == Some("Customer")
        }),
        json!({"tier": ["SMB"], "subtype": ["Customer"], "domains": ["nothing.example"]}),
    )
    .await;
}

// Sorting

#[tokio::test]
async fn sort_by_created_date_both_ways() {
    let server = start_server().await;
    let mut accounts = all_accounts();
    accounts.sort_by_key(|account| account.created_date);
    let ascending: Vec<String> = accounts.iter().take(30).map(|a| a.id.clone()).collect();
    let descending: Vec<String> = accounts
        .iter()
        .rev()
        .take(30)
        .map(|a| a.id.clone())
        .collect();

    let got_ascending = export_ids(
        &server,
        json!({"sort_by": ["created_date:asc"], "first": 30}),
    )
    .await;
    let got_descending = export_ids(
        &server,
        json!({"sort_by": ["created_date:desc"], "first": 30}),
    )
    .await;

    assert_eq!(got_ascending, ascending);
    assert_eq!(got_descending, descending);
}

#[tokio::test]
async fn sort_by_display_name_ignores_case() {
    let server = start_server().await;

    let (status, body) = export(
        &server,
        json!({"sort_by": ["display_name:asc"], "first": 500}),
    )
    .await;
    let names: Vec<String> = body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["display_name"].as_str().unwrap().to_lowercase())
        .collect();

    assert_eq!(status, StatusCode::OK);
    assert_eq!(names.len(), 500);
    assert!(
        names.windows(2).all(|pair| pair[0] <= pair[1]),
        "not sorted"
    );
}

#[tokio::test]
async fn sort_by_two_keys() {
    let server = start_server().await;
    let mut accounts = all_accounts();
    accounts.retain(|account| account.tier.is_some());
    accounts.sort_by(|left, right| {
        left.tier
            .as_deref()
            .map(str::to_lowercase)
            .cmp(&right.tier.as_deref().map(str::to_lowercase))
            .then(right.modified_date.cmp(&left.modified_date))
    });
    let expected: Vec<String> = accounts.iter().take(100).map(|a| a.id.clone()).collect();

    let got = export_ids(
        &server,
        json!({"sort_by": ["tier:asc", "modified_date:desc"], "first": 100}),
    )
    .await;

    assert_eq!(got, expected);
}

#[tokio::test]
async fn sort_by_display_id_uses_number() {
    let server = start_server().await;

    let ids = export_ids(&server, json!({"sort_by": ["display_id:desc"], "first": 3})).await;

    assert_eq!(
        ids,
        [1000, 999, 998].map(|number| format!("don:core:dvrv-us-1:devo/demo:account/{number}"))
    );
}

// Determinism

#[tokio::test]
async fn same_seed_serves_same_accounts() {
    let config = DemoServerConfig {
        seed: 7,
        ..Default::default()
    };
    let first = DemoServer::start(config.clone()).await.unwrap();
    let second = DemoServer::start(config).await.unwrap();
    let other = DemoServer::start(DemoServerConfig {
        seed: 8,
        ..Default::default()
    })
    .await
    .unwrap();
    let request = json!({"first": 100, "sort_by": ["modified_date:desc"]});

    let (_, from_first) = export(&first, request.clone()).await;
    let (_, from_second) = export(&second, request.clone()).await;
    let (_, from_other) = export(&other, request).await;

    assert_eq!(from_first, from_second);
    assert_ne!(from_first, from_other);
}

// Recorded requests

#[tokio::test]
async fn requests_are_recorded_in_order() {
    let server = start_server().await;

    post_raw(&server, Some("Bearer demo"), r#"{"first": 2}"#).await;
    post_raw(&server, None, "not json").await;
    reqwest::get(format!("{}/health", server.base_url()))
        .await
        .unwrap();
    let recorded = server.recorded_requests();

    assert_eq!(recorded.len(), 3);
    assert_eq!(recorded[0].method, "POST");
    assert_eq!(recorded[0].path, "/accounts.export");
    assert_eq!(recorded[0].authorization.as_deref(), Some("Bearer demo"));
    assert_eq!(recorded[0].body, r#"{"first": 2}"#);
    assert_eq!(recorded[1].authorization, None);
    assert_eq!(recorded[1].body, "not json");
    assert_eq!(recorded[2].method, "GET");
    assert_eq!(recorded[2].path, "/health");
}

// Faults

#[tokio::test]
async fn forbidden_fault() {
    let server = start_server().await;
    server.inject_fault(Fault::forbidden());

    let (status, body) = export(&server, json!({})).await;

    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "forbidden");
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn too_many_requests_fault_sends_retry_after() {
    let server = start_server().await;
    server.inject_fault(Fault::too_many_requests(3));

    let response = reqwest::Client::new()
        .post(export_url(&server))
        .header("authorization", "Bearer demo")
        .body("{}")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], "3");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], "too_many_requests");
    assert_eq!(body["retry_after"], 3);
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn internal_error_fault_carries_reference_id() {
    let server = start_server().await;
    server.inject_fault(Fault::internal_error("ref-123"));

    let (status, body) = export(&server, json!({})).await;

    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(body["type"], "internal_error");
    assert_eq!(body["reference_id"], "ref-123");
}

#[tokio::test]
async fn service_unavailable_fault() {
    let server = start_server().await;
    server.inject_fault(Fault::service_unavailable());

    let (status, body) = export(&server, json!({})).await;

    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["type"], "service_unavailable");
    assert!(body["message"].is_string());
}

#[tokio::test]
async fn faults_apply_in_queue_order() {
    let server = start_server().await;
    server.inject_fault(Fault::service_unavailable());
    server.inject_fault(Fault::too_many_requests(1));

    let (first, _) = export(&server, json!({})).await;
    let (second, _) = export(&server, json!({})).await;
    let (third, body) = export(&server, json!({"first": 2})).await;

    assert_eq!(first, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(third, StatusCode::OK);
    assert_eq!(body["accounts"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn fault_comes_before_auth_and_routing() {
    let server = start_server().await;
    server.inject_fault(Fault::forbidden());
    server.inject_fault(Fault::internal_error("ref-9"));

    let (unauthenticated, _) = post_raw(&server, None, "{}").await;
    let wrong_path = reqwest::get(format!("{}/nowhere", server.base_url()))
        .await
        .unwrap();

    assert_eq!(unauthenticated, StatusCode::FORBIDDEN);
    assert_eq!(wrong_path.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(server.recorded_requests().len(), 2);
}

// accounts.list

/// Number of accounts the paging tests walk through.
const PAGED_ACCOUNTS: usize = 2_345;

/// Most pages a walk reads before the test fails, so that a cursor that never
/// ends the walk fails the test instead of hanging it.
const MAX_PAGES: usize = 5_000;

async fn start_with_accounts(accounts: usize) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts,
        ..Default::default()
    })
    .await
    .expect("demo server starts on a free loopback port")
}

async fn post_list(
    client: &reqwest::Client,
    server: &DemoServer,
    authorization: Option<&str>,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = client
        .post(format!("{}/accounts.list", server.base_url()))
        .json(body);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request
        .send()
        .await
        .expect("request reaches the demo server");
    let status = response.status();
    let json = response
        .json()
        .await
        .expect("the demo server answers with JSON");
    (status, json)
}

async fn list(server: &DemoServer, body: Value) -> (StatusCode, Value) {
    post_list(&reqwest::Client::new(), server, Some("Bearer demo"), &body).await
}

fn ids_of(page: &Value) -> Vec<String> {
    page["accounts"]
        .as_array()
        .expect("`accounts` is a list")
        .iter()
        .map(|account| {
            account["id"]
                .as_str()
                .expect("every account has an id")
                .to_owned()
        })
        .collect()
}

/// Pages through `accounts.list` in `mode` until the cursor ends, checking
/// each page's size and cursors, and returns the IDs in the order of the
/// data: pages walked backwards are put back in order.
async fn walk(server: &DemoServer, body: Value, mode: &str) -> Vec<String> {
    let (next_key, back_key) = match mode {
        "after" => ("next_cursor", "prev_cursor"),
        _ => ("prev_cursor", "next_cursor"),
    };
    let limit = body["limit"].as_u64().unwrap_or(50) as usize;
    let mut request = body.clone();
    request["mode"] = json!(mode);
    let mut pages: Vec<Vec<String>> = Vec::new();
    // One client for the walk: building a client costs more than a page.
    let client = reqwest::Client::new();

    while pages.len() < MAX_PAGES {
        let (status, page) = post_list(&client, server, Some("Bearer demo"), &request).await;
        assert_eq!(status, StatusCode::OK, "{request}: {page}");
        let ids = ids_of(&page);
        assert_eq!(
            page.get(back_key).is_some(),
            !pages.is_empty(),
            "{back_key} on page {}",
            pages.len()
        );

        match page.get(next_key) {
            Some(cursor) => {
                assert_eq!(ids.len(), limit, "a page before the last is full");
                pages.push(ids);
                request["cursor"] = cursor.clone();
            }
            None => {
                assert!(ids.len() <= limit);
                pages.push(ids);
                if mode == "before" {
                    pages.reverse();
                }
                return pages.into_iter().flatten().collect();
            }
        }
    }
    panic!("{body} did not end within {MAX_PAGES} pages");
}

fn generated_ids(accounts: usize) -> Vec<String> {
    (0..accounts)
        .map(|index| generate_account(SEED, index).id)
        .collect()
}

fn assert_no_duplicates(ids: &[String]) {
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "duplicate accounts");
}

#[tokio::test]
async fn list_pages_through_all_accounts() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;
    let expected = generated_ids(PAGED_ACCOUNTS);

    for limit in [7, 50, 100, 1000] {
        let ids = walk(&server, json!({ "limit": limit }), "after").await;

        assert_eq!(ids.len(), PAGED_ACCOUNTS, "limit {limit}");
        assert_no_duplicates(&ids);
        assert_eq!(ids, expected, "limit {limit}");
    }
}

#[tokio::test]
async fn list_default_limit_is_fifty() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    let (status, page) = list(&server, json!({})).await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_of(&page), generated_ids(50));
    assert!(page.get("prev_cursor").is_none());
    assert!(page["next_cursor"].is_string());
}

#[tokio::test]
async fn list_before_mode_walks_backwards() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    let (_, last) = list(&server, json!({"mode": "before", "limit": 100})).await;
    let ids = walk(&server, json!({ "limit": 100 }), "before").await;

    assert_eq!(
        ids_of(&last),
        generated_ids(PAGED_ACCOUNTS)[2_245..].to_vec()
    );
    assert!(last.get("next_cursor").is_none());
    assert_eq!(ids, generated_ids(PAGED_ACCOUNTS));
}

#[tokio::test]
async fn list_sorted_pages_follow_sort_order() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;
    let sort = json!(["tier:asc", "created_date:desc"]);
    let mut accounts: Vec<Account> = (0..PAGED_ACCOUNTS)
        .map(|index| generate_account(SEED, index))
        .collect();
    // Stable sort, so ties keep the generation order as the server's do.
    accounts.sort_by(|left, right| {
        let tier = |account: &Account| account.tier.as_deref().map(str::to_lowercase);
        match (tier(left), tier(right)) {
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (l, r) => l.cmp(&r),
        }
        .then(right.created_date.cmp(&left.created_date))
    });
    let expected: Vec<String> = accounts.into_iter().map(|account| account.id).collect();

    for (limit, mode) in [(64, "after"), (1000, "after"), (90, "before")] {
        let ids = walk(&server, json!({ "limit": limit, "sort_by": sort }), mode).await;

        assert_no_duplicates(&ids);
        assert_eq!(ids, expected, "limit {limit}, mode {mode}");
    }
}

#[tokio::test]
async fn list_matches_export_with_filters() {
    let server = start_with_accounts(6_000).await;
    let filters = json!({
        "tier": ["SMB", "Enterprise"],
        "custom_fields": {"tnt__region": ["EMEA", "APAC"]},
    });
    let expected: Vec<String> = (0..6_000)
        .map(|index| generate_account(SEED, index))
        .filter(|account| {
            matches!(account.tier.as_deref(), Some("SMB" | "Enterprise"))
                && matches!(
                    account
                        .custom_fields
                        .get("tnt__region")
                        .and_then(Value::as_str),
                    Some("EMEA" | "APAC")
                )
        })
        .map(|account| account.id)
        .collect();

    for sort in [json!([]), json!(["display_name:desc"])] {
        let mut body = filters.clone();
        body["sort_by"] = sort.clone();
        body["limit"] = json!(77);
        let listed = walk(&server, body.clone(), "after").await;
        body["first"] = json!(500);
        body.as_object_mut().unwrap().remove("limit");
        let exported = export_ids(&server, body).await;

        assert_eq!(listed[..500], exported[..], "sort {sort}");
        if sort == json!([]) {
            assert_eq!(listed, expected);
        } else {
            assert_eq!(listed.len(), expected.len());
        }
    }
}

#[tokio::test]
async fn list_response_decodes_with_stage() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    let (status, body) = list(&server, json!({"limit": 20})).await;
    let decoded: AccountsListResponse = serde_json::from_value(body.clone()).unwrap();

    assert_eq!(status, StatusCode::OK);
    assert_eq!(decoded.accounts.len(), 20);
    assert!(decoded.next_cursor.is_some());
    assert!(decoded.prev_cursor.is_none());
    for (index, account) in decoded.accounts.iter().enumerate() {
        assert_eq!(*account, generate_account(SEED, index));
        assert_eq!(
            body["accounts"][index]["stage"]["id"],
            account_stage(SEED, index).id
        );
    }
}

#[tokio::test]
async fn list_rejects_invalid_cursor() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;
    let (_, smb) = list(&server, json!({"tier": ["SMB"]})).await;
    let cursor = smb["next_cursor"].as_str().unwrap().to_owned();

    for body in [
        json!({"cursor": "garbage"}),
        json!({"cursor": "100"}),
        json!({"cursor": cursor.to_uppercase(), "tier": ["SMB"]}),
        json!({"cursor": cursor, "tier": ["Enterprise"]}),
        json!({"cursor": cursor}),
        json!({"cursor": cursor, "tier": ["SMB"], "sort_by": ["tier:asc"]}),
    ] {
        let (status, error) = list(&server, body.clone()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["type"], "bad_request", "{body}");
        let message = error["message"].as_str().unwrap();
        assert!(message.contains("cursor"), "{message}");
        assert!(
            message.contains("start again without a cursor"),
            "{message}"
        );
    }
}

#[tokio::test]
async fn list_cursor_works_with_any_limit_and_mode() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;
    let (_, first) = list(&server, json!({"limit": 10})).await;
    let cursor = first["next_cursor"].clone();

    let (_, wider) = list(&server, json!({"limit": 25, "cursor": cursor})).await;
    let (_, back) = list(
        &server,
        json!({"limit": 4, "mode": "before", "cursor": cursor}),
    )
    .await;

    assert_eq!(ids_of(&wider), generated_ids(35)[10..].to_vec());
    assert_eq!(ids_of(&back), generated_ids(10)[6..].to_vec());
}

#[tokio::test]
async fn list_limit_out_of_range_gets_400() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    for limit in [0, 1001] {
        let (status, body) = list(&server, json!({ "limit": limit })).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "limit {limit}");
        assert_eq!(body["type"], "bad_request", "limit {limit}");
        assert!(
            body["message"].as_str().unwrap().contains("limit"),
            "{body}"
        );
    }
    let (status, body) = list(&server, json!({"limit": 1000})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids_of(&body).len(), 1000);
}

#[tokio::test]
async fn list_rejects_unknown_field_and_wrong_types() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    for (body, field) in [
        (json!({"first": 10}), "first"),
        (json!({"limit": "10"}), "limit"),
        (json!({"mode": "sideways"}), "mode"),
        (json!({"cursor": 5}), "cursor"),
        (json!({"tier": "SMB"}), "tier"),
        (json!({"sort_by": ["owned_by:asc"]}), "sort_by"),
    ] {
        let (status, error) = list(&server, body.clone()).await;

        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(error["type"], "bad_request", "{body}");
        assert!(
            error["message"].as_str().unwrap().contains(field),
            "{body} gave {error}"
        );
    }
}

#[tokio::test]
async fn list_requires_token() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;

    for authorization in [None, Some("Bearer wrong")] {
        let (status, body) =
            post_list(&reqwest::Client::new(), &server, authorization, &json!({})).await;

        assert_eq!(status, StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert_eq!(body["type"], "unauthenticated", "{authorization:?}");
    }
}

#[tokio::test]
async fn list_other_method_gets_405() {
    let server = start_with_accounts(10).await;

    let response = reqwest::Client::new()
        .get(format!("{}/accounts.list", server.base_url()))
        .header("authorization", "Bearer demo")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    let body: Value = response.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("/accounts.list"),
        "{body}"
    );
}

#[tokio::test]
async fn list_fault_sends_crafted_page() {
    let server = start_with_accounts(PAGED_ACCOUNTS).await;
    let crafted = json!({
        "accounts": [{"id": "don:core:dvrv-us-1:devo/demo:account/1"}],
        "next_cursor": "same",
        "prev_cursor": "same"
    });
    server.inject_fault(Fault::Status {
        status: 200,
        body: crafted.clone(),
        retry_after_header: None,
    });

    let response = reqwest::Client::new()
        .post(format!("{}/accounts.list", server.base_url()))
        .header("authorization", "Bearer demo")
        .json(&json!({"cursor": "same"}))
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.json::<Value>().await.unwrap(), crafted);
}

#[tokio::test]
async fn list_and_export_send_json_content_type() {
    let server = start_with_accounts(20).await;

    for path in ["accounts.list", "accounts.export"] {
        let response = reqwest::Client::new()
            .post(format!("{}/{path}", server.base_url()))
            .header("authorization", "Bearer demo")
            .body("{}")
            .send()
            .await
            .unwrap();

        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{path}"
        );
    }
}

#[tokio::test]
async fn list_million_accounts_pages_deep() {
    let server = start_with_accounts(1_000_000).await;

    let (status, last) = list(&server, json!({"mode": "before", "limit": 1000})).await;
    let (_, before_last) = list(
        &server,
        json!({"mode": "before", "limit": 1000, "cursor": last["prev_cursor"]}),
    )
    .await;
    let (_, forward) = list(
        &server,
        json!({"limit": 1000, "cursor": before_last["prev_cursor"]}),
    )
    .await;

    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids_of(&last).last().unwrap(),
        &generate_account(SEED, 999_999).id
    );
    assert_eq!(ids_of(&before_last)[0], generate_account(SEED, 998_000).id);
    assert_eq!(ids_of(&forward)[0], generate_account(SEED, 998_000).id);
    assert!(last.get("next_cursor").is_none());
}

// Shutdown

#[tokio::test]
async fn shutdown_releases_port() {
    let server = start_server().await;
    let addr = server.local_addr();
    let base_url = server.base_url();
    export_ids(&server, json!({"first": 1})).await;

    server.shutdown().await;

    let listener = std::net::TcpListener::bind(addr);
    assert!(listener.is_ok(), "port still taken: {:?}", listener.err());
    drop(listener);
    let after = reqwest::Client::new()
        .post(format!("{base_url}/accounts.export"))
        .body("{}")
        .send()
        .await;
    assert!(after.is_err(), "server still answers after shutdown");
}

#[tokio::test]
async fn base_url_uses_loopback_and_port() {
    let server = start_server().await;

    let addr = server.local_addr();

    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        server.base_url(),
        format!("http://127.0.0.1:{}", addr.port())
    );
}

#[tokio::test]
async fn port_in_use_gives_bind_error() {
    let server = start_server().await;
    let config = DemoServerConfig {
        bind: server.local_addr(),
        ..Default::default()
    };

    let error = DemoServer::start(config).await.unwrap_err();

    assert!(
        error.to_string().contains(&server.local_addr().to_string()),
        "{error}"
    );
}
