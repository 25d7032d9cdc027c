//! Serves any [`ChatModel`] over the OpenAI-compatible protocol: `POST /v1/chat/completions`
//! (n, logprobs, top_logprobs, stop, seed, `grammar`, `guided_choice`, `response_format`
//! json_schema/json_object), `GET /v1/models`, `GET /health`. Streaming is refused with a 400.
//! Errors are OpenAI-style JSON: `{"error": {"message", "type", "code"}}`.

use super::wire::{WireRequest, WireResponse};
use super::{ChatModel, LlmError};
use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

struct AppState {
    model: Arc<dyn ChatModel>,
    next_id: AtomicU64,
}

/// The router; mount it on any listener (see [`serve`]).
pub fn router(model: Arc<dyn ChatModel>) -> Router {
    let state = Arc::new(AppState {
        model,
        next_id: AtomicU64::new(1),
    });
    Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .with_state(state)
}

/// Serves until the listener fails or the task is dropped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    model: Arc<dyn ChatModel>,
) -> std::io::Result<()> {
    axum::serve(listener, router(model)).await
}

fn error(status: StatusCode, kind: &str, message: String) -> Response {
    (
        status,
        Json(json!({"error": {"message": message, "type": kind, "code": status.as_u16()}})),
    )
        .into_response()
}

async fn chat(
    State(st): State<Arc<AppState>>,
    body: Result<Json<WireRequest>, JsonRejection>,
) -> Response {
    let Json(wire) = match body {
        Ok(b) => b,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                e.body_text(),
            )
        }
    };
    let req = match wire.into_request() {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                e.to_string(),
            )
        }
    };
    match st.model.chat(req).await {
        Ok(r) => {
            let id = format!("chatcmpl-{}", st.next_id.fetch_add(1, Ordering::Relaxed));
            let created = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            Json(WireResponse::from_response(&r, id, created)).into_response()
        }
        Err(
            e @ (LlmError::BadRequest(_) | LlmError::Grammar(_) | LlmError::ContextOverflow { .. }),
        ) => error(
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            e.to_string(),
        ),
        Err(e) => error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            e.to_string(),
        ),
    }
}

async fn models(State(st): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!({
        "object": "list",
        "data": [{"id": st.model.name(), "object": "model", "owned_by": "hone"}]
    }))
}
