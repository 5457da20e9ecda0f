//! The web UI at `/ui/` through the real server: sign-in with a key and with a token, bad
//! credentials, cookie attributes, CSRF and cross-site POSTs, the pages' content and paging,
//! the same 404 for a missing item and one a narrow principal may not see, XSS attempts through
//! a readme, a description and an asset name, asset downloads, and `--no-ui`.

use std::collections::BTreeMap;

use arca_service::PrincipalSpec;
use http::{HeaderMap, HeaderValue, Method};
use serde_json::json;

use crate::common::npm::*;
use crate::common::*;

const ACCOUNT: &str = "111122223333";
const NARROW_KEY: &str = "AKIANARROW0000000001";
const NARROW_SECRET: &str = "narrow-secret-0123456789";

/// A browser: keeps cookies, sends same-origin POSTs like a form submit does.
struct Browser<'a> {
    server: &'a TestServer,
    cookies: BTreeMap<String, String>,
    /// The `Set-Cookie` values of the last response.
    set_cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    fn new(server: &'a TestServer) -> Self {
        Self {
            server,
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    async fn send(
        &mut self,
        method: Method,
        path: &str,
        extra: &[(&str, &str)],
        body: Vec<u8>,
    ) -> RawResponse {
        let mut h = HeaderMap::new();
        h.insert(
            "host",
            HeaderValue::from_str(&self.server.addr.to_string()).unwrap(),
        );
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            h.insert("cookie", HeaderValue::from_str(&c.join("; ")).unwrap());
        }
        for (k, v) in extra {
            h.insert(
                http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        let r = send_http1(self.server.addr, method, path, h, body).await;
        self.set_cookies = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        for c in &self.set_cookies {
            let (pair, _) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if v.is_empty() {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        r
    }

    async fn get(&mut self, path: &str) -> RawResponse {
        self.send(Method::GET, path, &[], Vec::new()).await
    }

    /// A 200 page's HTML.
    async fn page(&mut self, path: &str) -> String {
        let r = self.get(path).await;
        assert_eq!(r.status, 200, "GET {path}: {}", text(&r));
        assert_eq!(r.header("content-type"), Some("text/html; charset=utf-8"));
        text(&r)
    }

    /// A form POST as a browser sends it from one of the UI's own pages.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> RawResponse {
        let origin = format!("http://{}", self.server.addr);
        self.post_with(
            path,
            fields,
            &[("origin", &origin), ("sec-fetch-site", "same-origin")],
        )
        .await
    }

    async fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> RawResponse {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut h = vec![("content-type", "application/x-www-form-urlencoded")];
        h.extend_from_slice(headers);
        self.send(Method::POST, path, &h, body.into_bytes()).await
    }

    /// Opens the sign-in page and returns its CSRF token.
    async fn signin_csrf(&mut self) -> String {
        let html = self.page("/ui/signin").await;
        csrf(&html)
    }

    async fn sign_in_key(&mut self, id: &str, secret: &str) -> RawResponse {
        let csrf = self.signin_csrf().await;
        self.post(
            "/ui/signin",
            &[
                ("csrf", &csrf),
                ("access_key_id", id),
                ("secret_access_key", secret),
            ],
        )
        .await
    }

    async fn sign_in_root(&mut self) {
        let c = self.server.credentials.clone();
        let r = self
            .sign_in_key(&c.access_key_id, &c.secret_access_key)
            .await;
        assert_eq!(r.status, 303, "{}", text(&r));
        assert_eq!(r.header("location"), Some("/ui/"));
    }
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

fn text(r: &RawResponse) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

/// The value of the first `name="csrf"` field.
fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_string()
}

/// The `href` of the first link whose text is `label`.
fn link(html: &str, label: &str) -> String {
    let end = html
        .find(&format!(">{label}</a>"))
        .unwrap_or_else(|| panic!("no link {label} in {html}"));
    let start = html[..end].rfind("href=\"").unwrap() + 6;
    unescape(html[start..end].split('"').next().unwrap())
}

fn unescape(s: &str) -> String {
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&#x26;", "&")
}

async fn start() -> TestServer {
    TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![PrincipalSpec {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/narrow"),
            access_key_id: NARROW_KEY.into(),
            secret_access_key: NARROW_SECRET.into(),
            policy: Some(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["codeartifact:ListDomains",
                        "codeartifact:ListRepositoriesInDomain"], "Resource": "*"},
                    {"Effect": "Allow", "Action": ["codeartifact:Describe*", "codeartifact:List*",
                        "codeartifact:Get*", "codeartifact:ReadFromRepository"],
                     "Resource": [
                        format!("arn:aws:codeartifact:*:{ACCOUNT}:repository/acme/releases"),
                        format!("arn:aws:codeartifact:*:{ACCOUNT}:package/acme/releases/*"),
                     ]},
                ]})
                .to_string(),
            ),
            org_id: None,
        }];
    })
    .await
}

/// acme/releases (upstream: acme/base) with generic `kit` 1.0.0, and acme/secret with `hidden`.
async fn start_with_kit() -> TestServer {
    let s = start().await;
    s.domain_with_repo("acme", "base").await;
    s.client
        .create_repository()
        .domain("acme")
        .repository("releases")
        .description("Release builds")
        .upstreams(
            aws_sdk_codeartifact::types::UpstreamRepository::builder()
                .repository_name("base")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .expect("create releases");
    s.create_repo("acme", "secret").await;
    s.publish_ok(
        "acme",
        "releases",
        "kit",
        "1.0.0",
        "kit.bin",
        b"kit bytes\n",
        false,
    )
    .await;
    s.publish_ok(
        "acme", "secret", "hidden", "1.0.0", "h.bin", b"hidden", false,
    )
    .await;
    s
}

fn repo_path(repo: &str) -> String {
    format!("/ui/d/{ACCOUNT}/acme/{repo}/")
}

#[tokio::test]
async fn signed_out_requests_go_to_sign_in() {
    let s = start_with_kit().await;
    let mut b = Browser::new(&s);
    for path in [
        "/ui/".to_string(),
        repo_path("releases"),
        format!(
            "{}asset?f=generic&ns={NS}&n=kit&v=1.0.0&a=kit.bin",
            repo_path("releases")
        ),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status, 303, "{path}");
        assert_eq!(r.header("location"), Some("/ui/signin"), "{path}");
    }
    // A forged session cookie is no session.
    b.cookies
        .insert("arca_ui_session".into(), "e30.AAAA".into());
    assert_eq!(b.get("/ui/").await.status, 303);
}

#[tokio::test]
async fn sign_in_with_the_root_key_then_browse_to_an_asset() {
    let s = start_with_kit().await;
    let mut b = Browser::new(&s);
    b.sign_in_root().await;
    // The session cookie: HttpOnly, SameSite=Strict, Path=/ui, not Secure over http.
    let cookie = b
        .set_cookies
        .iter()
        .find(|c| c.starts_with("arca_ui_session="))
        .expect("a session cookie")
        .clone();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/ui"] {
        assert!(cookie.contains(attr), "{attr} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");

    let home = b.page("/ui/").await;
    assert!(home.contains("Sign out"), "{home}");
    let domain = b.page(&link(&home, "acme")).await;
    for r in ["base", "releases", "secret", "Release builds"] {
        assert!(domain.contains(r), "{r} in {domain}");
    }
    let repo = b.page(&link(&domain, "releases")).await;
    // The upstream graph names base under releases.
    assert!(
        repo.contains("class=\"depth-1\"><a class=\"node\""),
        "{repo}"
    );
    assert!(repo.contains(">base</a>"), "{repo}");
    let package = b.page(&link(&repo, "kit")).await;
    assert!(package.contains("Published"), "{package}");
    assert!(
        package.contains("aws codeartifact list-package-version-assets"),
        "{package}"
    );
    let version = b.page(&link(&package, "1.0.0")).await;
    assert!(version.contains(&sha256_hex(b"kit bytes\n")), "{version}");
    assert!(version.contains("10 B"), "{version}");
    let r = b.get(&link(&version, "kit.bin")).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], b"kit bytes\n");
    assert_eq!(
        r.header("content-disposition"),
        Some("attachment; filename=\"kit.bin\"; filename*=UTF-8''kit.bin")
    );

    // Sign-out needs the session's CSRF token, then ends the session.
    let r = b.post("/ui/signout", &[("csrf", "wrong")]).await;
    assert_eq!(r.status, 403);
    assert_eq!(b.get("/ui/").await.status, 200);
    let token = csrf(&home);
    let r = b.post("/ui/signout", &[("csrf", &token)]).await;
    assert_eq!(r.status, 303);
    assert!(
        b.set_cookies[0].contains("Max-Age=0"),
        "{:?}",
        b.set_cookies
    );
    assert_eq!(b.get("/ui/").await.status, 303);
}

#[tokio::test]
async fn bad_credentials_are_refused_without_a_session() {
    let s = start_with_kit().await;
    let root = s.credentials.clone();
    for (id, secret) in [
        (root.access_key_id.as_str(), "not-the-secret"),
        ("AKIANOSUCHKEY0000000", "whatever"),
        (NARROW_KEY, "not-the-secret"),
        ("", ""),
    ] {
        let mut b = Browser::new(&s);
        let r = b.sign_in_key(id, secret).await;
        assert_eq!(r.status, 401, "{id}: {}", text(&r));
        assert!(!b.cookies.contains_key("arca_ui_session"), "{id}");
        assert_eq!(b.get("/ui/").await.status, 303);
    }
    let mut b = Browser::new(&s);
    let csrf = b.signin_csrf().await;
    let r = b
        .post("/ui/signin", &[("csrf", &csrf), ("token", "not.a-token")])
        .await;
    assert_eq!(r.status, 401);
    assert!(text(&r).contains("not accepted"), "{}", text(&r));
}

#[tokio::test]
async fn sign_in_with_a_token_sees_its_domain_only() {
    let s = start_with_kit().await;
    s.create_domain("other").await;
    let token = s
        .client
        .get_authorization_token()
        .domain("acme")
        .send()
        .await
        .unwrap()
        .authorization_token
        .unwrap();
    let mut b = Browser::new(&s);
    let csrf = b.signin_csrf().await;
    let r = b
        .post("/ui/signin", &[("csrf", &csrf), ("token", &token)])
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let home = b.page("/ui/").await;
    assert!(home.contains(">acme</a>"), "{home}");
    assert!(!home.contains(">other</a>"), "{home}");
    assert_eq!(b.get(&format!("/ui/d/{ACCOUNT}/other/")).await.status, 404);
    b.page(&repo_path("releases")).await;
}

#[tokio::test]
async fn a_denied_item_and_a_missing_one_get_the_same_404() {
    let s = start_with_kit().await;
    let mut b = Browser::new(&s);
    let r = b.sign_in_key(NARROW_KEY, NARROW_SECRET).await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let releases = b.page(&repo_path("releases")).await;
    assert!(releases.contains(">kit</a>"), "{releases}");
    let pairs = [
        (repo_path("secret"), repo_path("nosuch")),
        (
            format!("{}package?f=generic&ns={NS}&n=hidden", repo_path("secret")),
            format!("{}package?f=generic&ns={NS}&n=hidden", repo_path("nosuch")),
        ),
        (
            format!(
                "{}version?f=generic&ns={NS}&n=hidden&v=1.0.0",
                repo_path("secret")
            ),
            format!(
                "{}version?f=generic&ns={NS}&n=nosuch&v=1.0.0",
                repo_path("releases")
            ),
        ),
        (
            format!(
                "{}asset?f=generic&ns={NS}&n=hidden&v=1.0.0&a=h.bin",
                repo_path("secret")
            ),
            format!(
                "{}asset?f=generic&ns={NS}&n=kit&v=1.0.0&a=nosuch",
                repo_path("releases")
            ),
        ),
    ];
    for (denied, missing) in pairs {
        let d = b.get(&denied).await;
        let m = b.get(&missing).await;
        assert_eq!(d.status, 404, "{denied}: {}", text(&d));
        assert_eq!(m.status, 404, "{missing}");
        assert_eq!(d.body, m.body, "{denied} vs {missing}");
    }
    // The root sees the same repository.
    let mut root = Browser::new(&s);
    root.sign_in_root().await;
    let secret = root.page(&repo_path("secret")).await;
    assert!(secret.contains(">hidden</a>"), "{secret}");
}

#[tokio::test]
async fn cross_site_posts_and_missing_csrf_tokens_are_refused() {
    let s = start_with_kit().await;
    let root = s.credentials.clone();
    let mut b = Browser::new(&s);
    let csrf = b.signin_csrf().await;
    let fields = [
        ("csrf", csrf.as_str()),
        ("access_key_id", root.access_key_id.as_str()),
        ("secret_access_key", root.secret_access_key.as_str()),
    ];
    for headers in [
        &[("origin", "http://evil.test")][..],
        &[("sec-fetch-site", "cross-site")],
        &[("sec-fetch-site", "same-site")],
        &[("origin", "null")],
    ] {
        let r = b.post_with("/ui/signin", &fields, headers).await;
        assert_eq!(r.status, 403, "{headers:?}: {}", text(&r));
        assert!(!b.cookies.contains_key("arca_ui_session"));
    }
    // Same origin, but no token or another client's token.
    let r = b.post("/ui/signin", &fields[1..]).await;
    assert_eq!(r.status, 403);
    let mut other = Browser::new(&s);
    let other_csrf = other.signin_csrf().await;
    let r = b
        .post(
            "/ui/signin",
            &[
                ("csrf", &other_csrf),
                ("access_key_id", &root.access_key_id),
                ("secret_access_key", &root.secret_access_key),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    // The same form from the page itself works.
    assert_eq!(b.post("/ui/signin", &fields).await.status, 303);
}

#[tokio::test]
async fn readme_description_and_asset_name_are_inert() {
    let s = start_with_kit().await;
    let npm = Npm::login(&s, "acme", "releases").await;
    let m = manifest(
        "xss",
        "1.0.0",
        json!({"description": "<script>alert('description')</script>"}),
    );
    let readme = "# Hello\n\n<script>alert('readme')</script>\n\n[click](javascript:alert('link'))\n\n<img src=x onerror=\"alert('img')\">\n\n<a href=\"javascript:alert('raw')\">raw</a>\n";
    let tgz = tarball_with(&m, &[("package/README.md", readme)]);
    let r = npm.publish(&publish_doc(&m, &tgz)).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    // Generic asset names cannot hold `<`, `"` or `'`; `&` and braces are what is left to escape.
    let evil_asset = "a&amp;b {x} @x.bin";
    s.publish_ok("acme", "releases", "evil", "1.0.0", evil_asset, b"x", false)
        .await;

    let mut b = Browser::new(&s);
    b.sign_in_root().await;
    let package = b
        .page(&format!("{}package?f=npm&n=xss", repo_path("releases")))
        .await;
    assert!(package.contains("<h1>Hello</h1>"), "{package}");
    let version = b
        .page(&format!(
            "{}version?f=npm&n=xss&v=1.0.0",
            repo_path("releases")
        ))
        .await;
    assert!(
        version.contains("&#60;script&#62;alert(&#39;description&#39;)&#60;/script&#62;"),
        "{version}"
    );
    let assets = b
        .page(&format!(
            "{}version?f=generic&ns={NS}&n=evil&v=1.0.0",
            repo_path("releases")
        ))
        .await;
    assert!(assets.contains(">a&#38;amp;b {x} @x.bin</a>"), "{assets}");
    for page in [&package, &version, &assets] {
        assert!(!page.contains("<script"), "{page}");
        assert!(!page.contains("javascript:"), "{page}");
        assert!(!page.contains("onerror"), "{page}");
    }
    // The asset still downloads under its own name.
    let href = assets
        .split("class=\"download\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = b.get(&unescape(href)).await;
    assert_eq!(r.status, 200);
    assert_eq!(&r.body[..], b"x");
    // Every page forbids scripts outright as a second line of defence.
    let r = b.get("/ui/").await;
    assert!(r
        .header("content-security-policy")
        .is_some_and(|c| c.starts_with("default-src 'none'")));
}

#[tokio::test]
async fn packages_page_on_the_server_and_filter() {
    let s = start().await;
    s.domain_with_repo("acme", "releases").await;
    for i in 0..120 {
        let name = format!("pkg-{i:03}");
        s.publish_ok("acme", "releases", &name, "1.0.0", "a.bin", b"a", false)
            .await;
    }
    let mut b = Browser::new(&s);
    b.sign_in_root().await;
    let rows = |html: &str| html.matches(">pkg-").count();
    let mut html = b.page(&repo_path("releases")).await;
    let mut counts = vec![rows(&html)];
    while html.contains("rel=\"next\"") {
        let next = link(&html, "Next page");
        html = b.page(&next).await;
        counts.push(rows(&html));
    }
    assert_eq!(counts, [50, 50, 20]);
    assert!(html.contains(">pkg-119</a>"));
    let filtered = b
        .page(&format!(
            "{}?format=generic&prefix=pkg-11",
            repo_path("releases")
        ))
        .await;
    assert_eq!(rows(&filtered), 10, "{filtered}");
    let none = b
        .page(&format!("{}?format=npm", repo_path("releases")))
        .await;
    assert_eq!(rows(&none), 0);
}

#[tokio::test]
async fn no_ui_turns_it_off_and_https_makes_cookies_secure() {
    let off = TestServer::start_with(|c| c.ui = false).await;
    let r = Browser::new(&off).get("/ui/signin").await;
    assert_ne!(r.status, 200);
    assert_ne!(r.header("content-type"), Some("text/html; charset=utf-8"));

    let s =
        TestServer::start_with(|c| c.public_url = Some("https://arca.example.test".into())).await;
    let mut b = Browser::new(&s);
    b.get("/ui/signin").await;
    assert!(
        b.set_cookies.iter().all(|c| c.contains("; Secure")),
        "{:?}",
        b.set_cookies
    );
}

/// The UI's caller carries the request's facts: a policy that denies the client's address denies
/// its pages too, as it denies the API (the UI is no way around `aws:SourceIp`).
#[tokio::test]
async fn source_ip_conditions_apply_to_ui_pages() {
    const KEY: &str = "AKIALOCAL00000000001";
    const SECRET: &str = "local-secret-0123456789";
    let s = TestServer::start_with(|c| {
        c.account_id = Some(ACCOUNT.into());
        c.principals = vec![PrincipalSpec {
            arn: format!("arn:aws:iam::{ACCOUNT}:user/local"),
            access_key_id: KEY.into(),
            secret_access_key: SECRET.into(),
            policy: Some(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "codeartifact:*", "Resource": "*"},
                    {"Effect": "Deny", "Action": "codeartifact:*", "Resource": "*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
                ]})
                .to_string(),
            ),
            org_id: None,
        }];
    })
    .await;
    s.domain_with_repo("acme", "releases").await;
    let mut root = Browser::new(&s);
    root.sign_in_root().await;
    root.page(&repo_path("releases")).await;
    let mut local = Browser::new(&s);
    let r = local.sign_in_key(KEY, SECRET).await;
    assert_eq!(r.status, 303, "{}", text(&r));
    let denied = local.get(&repo_path("releases")).await;
    assert_eq!(denied.status, 404, "{}", text(&denied));
}

/// A session opened with a key lasts as long as that key: rotating a principal's key or removing
/// the principal signs its sessions out at the next request.
#[tokio::test]
async fn rotating_a_key_ends_the_sessions_opened_with_it() {
    const KEY: &str = "AKIAROTATE0000000001";
    const SECRET: &str = "rotate-secret-0123456789";
    let s = start_with_kit().await;
    let arn = format!("arn:aws:iam::{ACCOUNT}:user/rotating");
    s.service
        .add_principal(&PrincipalSpec {
            arn: arn.clone(),
            access_key_id: KEY.into(),
            secret_access_key: SECRET.into(),
            policy: Some(
                json!({"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": "codeartifact:*", "Resource": "*"}]})
                .to_string(),
            ),
            org_id: None,
        })
        .await
        .unwrap();
    let mut b = Browser::new(&s);
    let r = b.sign_in_key(KEY, SECRET).await;
    assert_eq!(r.status, 303, "{}", text(&r));
    b.page(&repo_path("releases")).await;
    s.service
        .rotate_principal_key(&arn, "AKIAROTATE0000000002", "rotated-secret-0123456789")
        .await
        .unwrap();
    let after = b.get(&repo_path("releases")).await;
    assert_eq!(after.status, 303, "{}", text(&after));
    assert!(
        after
            .header("location")
            .unwrap_or("")
            .contains("/ui/signin"),
        "{:?}",
        after.header("location")
    );
    // The new key signs in again; removing the principal ends that session too.
    let r = b
        .sign_in_key("AKIAROTATE0000000002", "rotated-secret-0123456789")
        .await;
    assert_eq!(r.status, 303, "{}", text(&r));
    b.page(&repo_path("releases")).await;
    s.service.remove_principal(&arn).await.unwrap();
    assert_eq!(b.get(&repo_path("releases")).await.status, 303);
    // The root's key session is unaffected.
    let mut root = Browser::new(&s);
    root.sign_in_root().await;
    root.page(&repo_path("releases")).await;
}
