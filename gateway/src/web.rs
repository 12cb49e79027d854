//! The web app (`web/`, built into `WEB_DIR`): static files, the single-page-app fallback
//! for client routes, cache headers and the app's content security policy.
//!
//! - `/assets/*` are Vite's content-hashed files: cached for a year, `immutable`; a missing
//!   one is a 404 (never `index.html`, which a browser would try to run as a script).
//! - Every other `GET`/`HEAD` outside `/api/`, `/health` and `/metrics` that is not a file
//!   answers `index.html` with `no-cache`, so `/invoices/{id}` survives a reload and a new
//!   build is picked up on the next navigation.
//! - When `WEB_DIR` holds no `index.html`, `/` answers a short page saying how to build the
//!   app, never a blank page.
//! - `index.html` may carry the placeholder [`NONCE_PLACEHOLDER`] (Vite's `html.cspNonce`):
//!   each response then gets a fresh nonce, substituted in the page and allowed by the
//!   policy's `script-src` and `style-src`, so a library that injects a `<style>` element
//!   can do so without `'unsafe-inline'`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::error::ApiError;

/// The app's policy: scripts, styles, fonts and API calls from this origin only; documents
/// shown in frames come from this origin or from `blob:` URLs the app made from an
/// authenticated download; no plugins, no `<base>`, and no one may frame the app.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
     frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Replaced in `index.html` by a fresh nonce per response (configure Vite's
/// `html.cspNonce` with this exact value).
pub const NONCE_PLACEHOLDER: &str = "__CSP_NONCE__";

/// Vite's hashed files: they never change under the same name.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

const NOT_BUILT: &str = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Web app not built</title></head><body>\
<h1>The web app is not built</h1>\
<p>The API is running (<a href=\"/api/docs\">/api/docs</a>, <a href=\"/health\">/health</a>), \
but the directory this gateway serves the web app from holds no <code>index.html</code>.</p>\
<p>Build it with <code>cd web &amp;&amp; npm ci &amp;&amp; npm run build</code> (or start \
everything with <code>make run</code>, which builds it), or point <code>WEB_DIR</code> at a \
built copy.</p></body></html>";

struct WebApp {
    dir: PathBuf,
    files: ServeDir,
}

/// The router that answers everything the API routes do not: mount it as the fallback.
pub fn router(dir: &Path) -> Router {
    let files = ServeDir::new(dir)
        .append_index_html_on_directories(false)
        .precompressed_br()
        .precompressed_gzip();
    Router::new().fallback(serve).with_state(Arc::new(WebApp {
        dir: dir.to_path_buf(),
        files,
    }))
}

/// Paths the web app never answers: unknown API routes stay JSON 404s.
fn reserved(path: &str) -> bool {
    ["/api", "/health", "/metrics"]
        .iter()
        .any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

async fn serve(State(web): State<Arc<WebApp>>, req: Request) -> Response {
    let path = req.uri().path().to_owned();
    if reserved(&path) {
        return ApiError::not_found().into_response();
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut resp = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed.",
        )
        .into_response();
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    if path == "/" || path == "/index.html" {
        return index(&web.dir).await;
    }
    let asset = path.starts_with("/assets/");
    let resp = match web.files.clone().oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    };
    let status = resp.status();
    if status == StatusCode::NOT_FOUND && !asset {
        return index(&web.dir).await;
    }
    if status.is_client_error() || status.is_server_error() {
        // The house error body (normalised outside), not ServeDir's empty one.
        return ApiError::for_status(status, None).into_response();
    }
    let mut resp = resp.map(Body::new);
    let h = resp.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if asset { IMMUTABLE } else { "no-cache" }),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    resp
}

/// `index.html`, read per request (a rebuild needs no restart), never cached without
/// revalidation, or the "not built" page.
async fn index(dir: &Path) -> Response {
    let html = match tokio::fs::read_to_string(dir.join("index.html")).await {
        Ok(html) => html,
        Err(e) => {
            if e.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(error = %e, dir = %dir.display(), "web app index unreadable");
            }
            return page(NOT_BUILT.to_owned(), CSP.to_owned());
        }
    };
    if html.contains(NONCE_PLACEHOLDER) {
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let csp = CSP
            .replacen(
                "script-src 'self'",
                &format!("script-src 'self' 'nonce-{nonce}'"),
                1,
            )
            .replacen(
                "style-src 'self'",
                &format!("style-src 'self' 'nonce-{nonce}'"),
                1,
            );
        return page(html.replace(NONCE_PLACEHOLDER, &nonce), csp);
    }
    page(html, CSP.to_owned())
}

fn page(html: String, csp: String) -> Response {
    let mut resp = (StatusCode::OK, html).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    // No validators: with a nonce, a revalidated copy would carry a stale one.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_health_and_metrics_are_reserved() {
        for p in [
            "/api",
            "/api/v1/nope",
            "/health",
            "/health/live",
            "/metrics",
        ] {
            assert!(reserved(p), "{p}");
        }
        for p in ["/", "/invoices/1", "/apiary", "/healthy", "/approvals"] {
            assert!(!reserved(p), "{p}");
        }
    }
}
