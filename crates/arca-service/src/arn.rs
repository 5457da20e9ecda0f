//! ARNs of domains, repositories and packages (`arn:aws:codeartifact:{region}:{account}:…`).

/// A resource an ARN can name for tagging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArnResource {
    Domain { name: String },
    Repository { domain: String, name: String },
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
            parse("arn:aws:codeartifact:r:a:package-group/d/x")
                .unwrap()
                .resource,
            ArnResource::Other
        );
    }
}
