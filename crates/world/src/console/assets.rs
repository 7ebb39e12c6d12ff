//! The console's one stylesheet and one script, embedded in the binary and served with a short
//! cache (the strict CSP admits no other).

use axum::http::header;
use axum::response::{IntoResponse, Response};

const STYLE: &str = include_str!("../../console-assets/style.css");
const SCRIPT: &str = include_str!("../../console-assets/console.js");

pub async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        STYLE,
    )
        .into_response()
}

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "max-age=300"),
        ],
        SCRIPT,
    )
        .into_response()
}
