//! ARNs of domains, repositories and packages (`arn:aws:codeartifact:{region}:{account}:…`).

/// A resource an ARN can name for tagging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnResource {
    Domain {
        name: String,
    },
    Repository {
        domain: String,
        name: String,
    },
    /// `pattern` percent-decoded (as given: not yet parsed or normalized).
    PackageGroup {
        domain: String,
        pattern: String,
    },
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedArn {
    pub region: String,
    pub account: String,
    pub resource: ArnResource,
}

pub fn domain(region: &str, account: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:{region}:{account}:domain/{name}")
}

pub fn repository(region: &str, account: &str, domain: &str, name: &str) -> String {
    format!("arn:aws:codeartifact:{region}:{account}:repository/{domain}/{name}")
}

/// `package-group/{domain}{pattern}` with the pattern URL-encoded (`/npm/*` → `/npm/%2a`):
/// everything but unreserved characters and `/` is percent-encoded, in lowercase hex.
pub fn package_group(region: &str, account: &str, domain: &str, pattern: &str) -> String {
    let mut encoded = String::with_capacity(pattern.len() + 8);
    for b in pattern.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            encoded.push(char::from(b));
        } else {
            encoded.push_str(&format!("%{b:02x}"));
        }
    }
    format!("arn:aws:codeartifact:{region}:{account}:package-group/{domain}{encoded}")
}

/// Percent-decoding of an ARN's pattern; `None` when it is not valid UTF-8 or an escape is broken.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Parses a CodeArtifact ARN; `None` when it is not one.
pub fn parse(arn: &str) -> Option<ParsedArn> {
    let mut parts = arn.splitn(6, ':');
    let (arn_lit, _partition, service, region, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn_lit != "arn" || service != "codeartifact" {
        return None;
    }
    let segs: Vec<&str> = resource.split('/').collect();
    let resource = match segs.as_slice() {
        ["domain", name] => ArnResource::Domain {
            name: (*name).to_string(),
        },
        ["repository", d, r] => ArnResource::Repository {
            domain: (*d).to_string(),
            name: (*r).to_string(),
        },
        ["package-group", d, rest @ ..] if !rest.is_empty() => {
            match percent_decode(&format!("/{}", rest.join("/"))) {
                Some(pattern) => ArnResource::PackageGroup {
                    domain: (*d).to_string(),
                    pattern,
                },
                None => ArnResource::Other,
            }
        }
        _ => ArnResource::Other,
    };
    Some(ParsedArn {
        region: region.to_string(),
        account: account.to_string(),
        resource,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = repository("us-east-1", "111122223333", "acme", "rel");
        assert_eq!(
            parse(&a).unwrap().resource,
            ArnResource::Repository {
                domain: "acme".into(),
                name: "rel".into()
            }
        );
        let d = domain("eu-west-1", "111122223333", "acme");
        let p = parse(&d).unwrap();
        assert_eq!(p.region, "eu-west-1");
        assert_eq!(p.account, "111122223333");
        assert!(parse("arn:aws:s3:::bucket").is_none());
        assert!(parse("nonsense").is_none());
        assert_eq!(
            parse("arn:aws:codeartifact:r:a:package-group/d/x%zz")
                .unwrap()
                .resource,
            ArnResource::Other
        );
        assert_eq!(
            parse("arn:aws:codeartifact:r:a:thing/d/x")
                .unwrap()
                .resource,
            ArnResource::Other
        );
    }

    #[test]
    fn package_group_arns_encode_the_pattern() {
        let a = package_group("us-east-1", "111122223333", "test-domain-name", "/npm/*");
        assert_eq!(
            a,
            "arn:aws:codeartifact:us-east-1:111122223333:package-group/test-domain-name/npm/%2a"
        );
        for pattern in [
            "/*",
            "/npm/a b/c$",
            "/maven/com.acme~",
            "/pypi//x-y$",
            "/npm/é/*",
        ] {
            let a = package_group("r", "a", "d", pattern);
            assert_eq!(
                parse(&a).unwrap().resource,
                ArnResource::PackageGroup {
                    domain: "d".into(),
                    pattern: pattern.into()
                },
                "{a}"
            );
        }
    }
}
