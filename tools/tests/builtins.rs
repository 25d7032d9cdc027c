//! The calculator and http_get tools through a ToolRegistry, as an agent calls them; http_get
//! against a real HTTP server on loopback.

use axum::response::Redirect;
use axum::routing::get;
use axum::Router;
use hone_core::ToolRegistry;
use hone_tools::{Calculator, HttpGet};
use serde_json::json;

async fn server() -> String {
    let app = Router::new()
        .route("/hello", get(|| async { "hello from loopback" }))
        .route("/big", get(|| async { "x".repeat(10_000) }))
        .route(
            "/away",
            get(|| async { Redirect::temporary("http://localhost:1/secret") }),
        )
        .route(
            "/missing",
            get(|| async { (axum::http::StatusCode::NOT_FOUND, "no such page") }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn calculator_through_the_registry() {
    let reg = ToolRegistry::new().with(Calculator);
    let out = reg
        .call("calculator", json!({"expression": "(17 + 25) * 2"}))
        .await;
    assert_eq!(out.content, "84");
    assert!(!out.is_error);
    let out = reg.call("calculator", json!({"expression": "1/0"})).await;
    assert!(out.is_error && out.content.contains("division by zero"));
    let out = reg.call("calculator", json!({"expr": "1"})).await;
    assert!(
        out.is_error && out.content.contains("bad arguments"),
        "{out:?}"
    );
}

#[tokio::test]
async fn http_get_fetches_allowed_hosts_only() {
    let base = server().await;
    let reg = ToolRegistry::new().with(HttpGet::new(["127.0.0.1"]).unwrap().max_bytes(100));

    let ok = reg
        .call("http_get", json!({"url": format!("{base}/hello")}))
        .await;
    assert!(
        !ok.is_error && ok.content.contains("hello from loopback"),
        "{ok:?}"
    );

    let big = reg
        .call("http_get", json!({"url": format!("{base}/big")}))
        .await;
    assert!(big.content.contains("[… cut at 100 bytes]"), "{big:?}");

    let denied = reg
        .call("http_get", json!({"url": "http://localhost:9/"}))
        .await;
    assert!(
        denied.is_error && denied.content.contains("not on the allow-list"),
        "{denied:?}"
    );

    let scheme = reg
        .call("http_get", json!({"url": "file:///etc/passwd"}))
        .await;
    assert!(
        scheme.is_error && scheme.content.contains("only http and https"),
        "{scheme:?}"
    );

    let redirect = reg
        .call("http_get", json!({"url": format!("{base}/away")}))
        .await;
    assert!(
        redirect.is_error && redirect.content.contains("not allowed"),
        "{redirect:?}"
    );

    let missing = reg
        .call("http_get", json!({"url": format!("{base}/missing")}))
        .await;
    assert!(
        missing.is_error && missing.content.contains("HTTP 404"),
        "{missing:?}"
    );
}
