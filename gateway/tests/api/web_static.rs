//! The gateway serves the built web app from `WEB_DIR`: `index.html` (no-cache, strict CSP)
//! for `/` and every client route, hashed assets cached immutable, unknown API paths still
//! JSON 404s, and a "not built" page instead of a blank one when there is no build.

use serde_json::Value;

use crate::helpers::TestApp;

const INDEX: &str = "<!doctype html><html><head><script type=\"module\" src=\"/assets/app-abc123.js\"></script></head><body><div id=\"root\"></div></body></html>";
const SCRIPT: &str = "console.log('app');";

/// A fake `web/dist` in a temporary directory, removed on drop; `secret.txt` sits beside
/// it (outside the served directory).
struct WebDir {
    root: std::path::PathBuf,
}

impl WebDir {
    fn new(index: &str) -> Self {
        let root = std::env::temp_dir().join(format!("ap-web-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(root.join("dist/assets")).expect("mkdir");
        std::fs::write(root.join("dist/index.html"), index).expect("index");
        std::fs::write(root.join("dist/assets/app-abc123.js"), SCRIPT).expect("asset");
        std::fs::write(root.join("dist/robots.txt"), "User-agent: *\n").expect("robots");
        std::fs::write(root.join("secret.txt"), "not for the web").expect("secret");
        Self { root }
    }

    fn dist(&self) -> String {
        self.root.join("dist").display().to_string()
    }
}

impl Drop for WebDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    app.http.get(app.url(path)).send().await.expect("request")
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn assert_app_policy(resp: &reqwest::Response) {
    let csp = header(resp, "content-security-policy");
    for directive in [
        "default-src 'self'",
        "script-src 'self';",
        "style-src 'self';",
        "img-src 'self' data: blob:",
        "connect-src 'self'",
        "frame-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} missing in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!csp.contains("unsafe-eval"), "{csp}");
    assert_eq!(header(resp, "x-content-type-options"), "nosniff");
    assert_eq!(header(resp, "referrer-policy"), "no-referrer");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_root_serves_index_html_uncached_under_a_strict_policy() {
    let web = WebDir::new(INDEX);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    let r = get(&app, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert_app_policy(&r);
    assert_eq!(r.text().await.expect("body"), INDEX);

    let r = app.http.head(app.url("/")).send().await.expect("head");
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-cache");
}

#[tokio::test(flavor = "multi_thread")]
async fn client_routes_reload_into_the_app() {
    let web = WebDir::new(INDEX);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    for path in [
        "/invoices/123",
        "/approvals",
        "/invoices?status=needs_review&q=acme",
        "/purchase-orders/0193c9a0-0000-7000-8000-000000000000",
        "/index.html",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert_app_policy(&r);
        assert_eq!(r.text().await.expect("body"), INDEX, "{path}");
    }
    // A real file outside /assets is served as itself, revalidated.
    let r = get(&app, "/robots.txt").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "cache-control"), "no-cache");
    assert_eq!(r.text().await.expect("body"), "User-agent: *\n");
}

#[tokio::test(flavor = "multi_thread")]
async fn hashed_assets_are_cached_for_a_year_and_a_missing_one_is_a_404() {
    let web = WebDir::new(INDEX);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    let r = get(&app, "/assets/app-abc123.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert!(
        header(&r, "content-type").contains("javascript"),
        "{:?}",
        r.headers()
    );
    assert_eq!(r.text().await.expect("body"), SCRIPT);

    // Never index.html in place of a script (a stale tab asking for an old build's chunk).
    let r = get(&app, "/assets/app-old999.js").await;
    assert_eq!(r.status(), 404);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "not_found", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn api_health_and_metrics_paths_are_not_the_app() {
    let web = WebDir::new(INDEX);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    for path in [
        "/api/v1/nope",
        "/api/v1/invoices/1/nope",
        "/api/nope",
        "/metrics/x",
    ] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(
            header(&r, "content-type").starts_with("application/json"),
            "{path}"
        );
        let body: Value = r.json().await.expect("json");
        assert_eq!(body["code"], "not_found", "{path}: {body}");
        assert_eq!(body["detail"], "Not found.", "{path}: {body}");
    }
    assert_eq!(get(&app, "/health").await.status(), 200);
    let r = get(&app, "/metrics").await;
    assert_eq!(r.status(), 200);
    assert!(!r.text().await.expect("body").contains("<!doctype html>"));
    // Writing to a client route is not a thing.
    let r = app
        .http
        .post(app.url("/invoices/1"))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 405);
    let body: Value = r.json().await.expect("json");
    assert_eq!(body["code"], "method_not_allowed", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn nothing_outside_the_web_directory_is_served() {
    let web = WebDir::new(INDEX);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    for path in [
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e/secret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
    ] {
        let r = get(&app, path).await;
        let status = r.status();
        let body = r.text().await.expect("body");
        assert!(!body.contains("not for the web"), "{path} leaked: {status}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_nonce_placeholder_gets_a_fresh_nonce_per_response() {
    let index = "<html><head><meta property=\"csp-nonce\" nonce=\"__CSP_NONCE__\"><script type=\"module\" nonce=\"__CSP_NONCE__\" src=\"/assets/app-abc123.js\"></script></head></html>";
    let web = WebDir::new(index);
    let app = TestApp::spawn_with(&[("WEB_DIR", &web.dist())], None).await;
    let mut nonces = Vec::new();
    for _ in 0..2 {
        let r = get(&app, "/invoices").await;
        assert_eq!(r.status(), 200);
        let csp = header(&r, "content-security-policy");
        let body = r.text().await.expect("body");
        assert!(!body.contains("__CSP_NONCE__"), "{body}");
        let nonce = body
            .split("nonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("nonce in page")
            .to_owned();
        assert!(nonce.len() >= 32, "{nonce}");
        assert!(
            csp.contains(&format!("script-src 'self' 'nonce-{nonce}';")),
            "{csp}"
        );
        assert!(
            csp.contains(&format!("style-src 'self' 'nonce-{nonce}';")),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        nonces.push(nonce);
    }
    assert_ne!(nonces[0], nonces[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_build_the_root_says_how_to_build_it() {
    let missing = std::env::temp_dir()
        .join(format!("ap-web-missing-{}", uuid::Uuid::new_v4().simple()))
        .display()
        .to_string();
    let app = TestApp::spawn_with(&[("WEB_DIR", &missing)], None).await;
    for path in ["/", "/invoices/123"] {
        let r = get(&app, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
        assert_app_policy(&r);
        let body = r.text().await.expect("body");
        assert!(body.contains("The web app is not built"), "{body}");
        assert!(body.contains("npm ci &amp;&amp; npm run build"), "{body}");
        assert!(body.contains("make run"), "{body}");
    }
    let r = get(&app, "/assets/app-abc123.js").await;
    assert_eq!(r.status(), 404);
    let r = get(&app, "/api/v1/nope").await;
    assert_eq!(r.status(), 404);
    assert_eq!(get(&app, "/health").await.status(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn email_confirmation_pages_link_to_the_approvals_screen() {
    let app = TestApp::spawn().await;
    let r = get(&app, "/api/v1/approvals/email/not-a-token").await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("This link cannot be used"), "{html}");
    assert!(html.contains("<a href=\"/approvals\">"), "{html}");
}
