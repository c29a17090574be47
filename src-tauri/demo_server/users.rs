//! `/dev-users.self` of the demo server: the user a token belongs to.
//!
//! The demo server has one token, so the answer is always the first demo
//! user, `DEVU-1`. Like the API, it takes `GET` without a body or `POST` with
//! an empty JSON object, and rejects any field in that object.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use super::data::users;
use super::routes::{parse_json, ApiError, SharedState};

/// `GET` or `POST /dev-users.self`: checks the token and returns `{"dev_user": ...}`.
pub(super) async fn current_user(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !state.is_authorized(&headers) {
        return Err(ApiError::unauthenticated());
    }
    check_empty_request(&body)?;

    let user = &users()[0];
    let dev_user = json!({
        "type": "dev_user",
        "id": user.id,
        "display_id": user.display_id,
        "display_name": user.display_name,
        "full_name": user.full_name,
        "email": user.email,
        "state": user.state,
    });
    Ok(Json(json!({ "dev_user": dev_user })).into_response())
}

/// Accepts an empty body or an empty JSON object, as the API's
/// `dev-users-self-request` allows no fields.
fn check_empty_request(body: &[u8]) -> Result<(), ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    match parse_json(body)? {
        Value::Object(fields) => match fields.keys().next() {
            None => Ok(()),
            Some(field) => Err(ApiError::bad_request(format!(
                "`{field}` is not a field of dev-users.self, which takes an empty object."
            ))),
        },
        _ => Err(ApiError::bad_request(
            "The request body must be an empty JSON object, {}.".into(),
        )),
    }
}
