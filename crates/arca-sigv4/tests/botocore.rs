//! Requests signed by botocore 1.43.11 (the AWS CLI's signer), captured once from a real
//! `codeartifact` client with the clock fixed at 2026-11-21T10:10:10Z and credentials
//! AKIDEXAMPLE / wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY (a `before-send` hook recorded
//! the request instead of sending it; `user-agent` and `amz-sdk-*` headers, which botocore
//! does not sign, were dropped, and the `host` header the HTTP client adds was added).
//!
//! botocore's rule for the payload hash (`botocore/auth.py`, `SigV4Auth.canonical_request`):
//! the `X-Amz-Content-SHA256` header value verbatim if present, else `sha256(body)`.
//! CodeArtifact's `PublishPackageVersion` always sends that header (it is the
//! `assetSHA256` parameter), so botocore signs whatever the user claimed the hash to be.

mod common;

use arca_sigv4::{authorization_from_headers, sha256_hex, verify, SigV4Error};
use common::{signing_time, SECRET, SERVICE, SKEW};
use http::header::{HeaderName, HeaderValue};
use http::{HeaderMap, Method, Uri};

struct BotoRequest {
    name: &'static str,
    method: &'static str,
    target: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
}

const REQUESTS: &[BotoRequest] = &[
    BotoRequest {
        name: "list_package_versions (POST, query with space, @, +, /, =)",
        method: "POST",
        target: "/v1/package/versions?domain=my-domain&domain-owner=111122223333&repository=my%20repo&format=npm&namespace=%40scope&package=pkg%2Bname%2Fx%3Dy&max-results=5",
        headers: &[
            ("x-amz-date", "20261121T101010Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature=a9d4cf7a48569361f77a0aa21a2e16553bfbb62efdc8b4180341e1166612bea1"),
            ("content-length", "0"),
            ("host", "codeartifact.us-east-1.amazonaws.com"),
        ],
        body: b"",
    },
    BotoRequest {
        name: "get_package_version_asset (GET, query with +, space, /, unicode)",
        method: "GET",
        target: "/v1/package/version/asset?domain=my-domain&repository=repo&format=generic&namespace=ns&package=p&version=1.0.0%2Bbuild&asset=a%20b%2F%E1%88%B4.tgz",
        headers: &[
            ("x-amz-date", "20261121T101010Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-date, Signature=6c67d8385b7edea078a8e6f6ffd00372e642f043c642cbfc83b79004e3e23add"),
            ("host", "codeartifact.us-east-1.amazonaws.com"),
        ],
        body: b"",
    },
    BotoRequest {
        name: "publish_package_version (x-amz-content-sha256 = sha256(body))",
        method: "POST",
        target: "/v1/package/version/publish?domain=my-domain&repository=repo&format=generic&namespace=ns&package=p&version=1.0.0&asset=asset.tgz&unfinished=true",
        headers: &[
            ("x-amz-content-sha256", "02e66b8c2c9a3e4744923fdd7f08a138ad3fed91565522487c4a1f0fc9ac3b15"),
            ("x-amz-date", "20261121T101010Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=bc19d967e613550d9002f63b36da001de29b232e5677455f4b115368eaa3824a"),
            ("content-length", "18"),
            ("host", "codeartifact.us-east-1.amazonaws.com"),
        ],
        body: b"hello asset bytes\n",
    },
    BotoRequest {
        name: "publish_package_version (x-amz-content-sha256 != sha256(body))",
        method: "POST",
        target: "/v1/package/version/publish?domain=my-domain&repository=repo&format=generic&namespace=ns&package=p&version=1.0.0&asset=asset.tgz",
        headers: &[
            ("x-amz-content-sha256", "3b289d51f876d831646beff95e69f1f30b64afb1fde62ce2920eca295bf69ae1"),
            ("x-amz-date", "20261121T101010Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=1653a880acf092c7f1590fcd75236711c0218254d04e7582317a3170f74a7a2e"),
            ("content-length", "18"),
            ("host", "codeartifact.us-east-1.amazonaws.com"),
        ],
        body: b"hello asset bytes\n",
    },
    BotoRequest {
        name: "create_repository (JSON body, content-type signed)",
        method: "POST",
        target: "/v1/repository?domain=my-domain&repository=new-repo",
        headers: &[
            ("content-type", "application/json"),
            ("x-amz-date", "20261121T101010Z"),
            ("authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261121/us-east-1/codeartifact/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=499691ce0b3e5a582c2ddd39ff4fc7db3463ef7c29d65d9ec14c3cdcd8fb6f2e"),
            ("content-length", "77"),
            ("host", "codeartifact.us-east-1.amazonaws.com"),
        ],
        body: b"{\"description\": \"a \\\"quoted\\\" desc\", \"upstreams\": [{\"repositoryName\": \"up\"}]}",
    },
];

fn run(req: &BotoRequest, payload_hash: &str) -> Result<(), SigV4Error> {
    let method: Method = req.method.parse().unwrap();
    let uri: Uri = req.target.parse().unwrap();
    let mut headers = HeaderMap::new();
    for (name, value) in req.headers {
        headers.append(
            HeaderName::from_static(name),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    let auth = authorization_from_headers(&headers)?;
    verify(
        &method,
        &uri,
        &headers,
        &auth,
        SECRET,
        SERVICE,
        payload_hash,
        signing_time(),
        SKEW,
    )
}

/// botocore's payload hash: the `x-amz-content-sha256` header if present, else the body's.
fn botocore_payload_hash(req: &BotoRequest) -> String {
    req.headers
        .iter()
        .find(|(name, _)| *name == "x-amz-content-sha256")
        .map_or_else(|| sha256_hex(req.body), |(_, value)| (*value).to_owned())
}

#[test]
fn botocore_signed_requests_verify() {
    for req in REQUESTS {
        run(req, &botocore_payload_hash(req)).unwrap_or_else(|e| panic!("{}: {e}", req.name));
        assert_eq!(
            run(
                req,
                "0000000000000000000000000000000000000000000000000000000000000000"
            ),
            Err(SigV4Error::SignatureMismatch),
            "{}",
            req.name
        );
    }
}

#[test]
fn botocore_signs_the_claimed_hash_not_the_body() {
    let req = REQUESTS
        .iter()
        .find(|r| r.name.contains("!= sha256(body)"))
        .unwrap();
    // The signature covers the header value...
    run(req, &botocore_payload_hash(req)).unwrap();
    // ...not the body: a server using the header must compare it with the body itself.
    assert_eq!(
        run(req, &sha256_hex(req.body)),
        Err(SigV4Error::SignatureMismatch)
    );
    assert_ne!(botocore_payload_hash(req), sha256_hex(req.body));
}
