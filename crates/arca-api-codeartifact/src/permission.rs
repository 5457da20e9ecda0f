//! What each operation needs (§C3): the action (the operation's name under `codeartifact:`) on
//! the resource the request names, then the compound requirements — `AssociateWithDownstreamRepository`
//! on each upstream a repository is given, `ReadFromRepository` on a copy's source, and
//! `sts:GetServiceBearerToken` for a token. Naming them is the wire's part (like the operation's
//! name); deciding is the service's ([`arca_service::Service::authorize`]).
//!
//! Arca departs from the service authorization reference in one place: CreateRepository and
//! CreatePackageGroup are checked on the domain (their resource, for a domain policy to grant
//! them as AWS's own domain-policy examples do) rather than on `*`.

use arca_service::policy::RequestTags;
use arca_service::{DomainRef, RepoRef, Target};

use crate::operation::{DomainInput, Operation, WireTagInput};

fn repo(domain: &DomainInput, repository: &str) -> Target {
    Target::Repository(RepoRef {
        domain: domain.domain_ref(),
        repository: repository.to_string(),
    })
}

fn upstreams(domain: DomainRef, names: impl Iterator<Item = String>) -> Vec<(String, Target)> {
    names
        .map(|repository| {
            (
                "codeartifact:AssociateWithDownstreamRepository".to_string(),
                Target::Repository(RepoRef {
                    domain: domain.clone(),
                    repository,
                }),
            )
        })
        .collect()
}

fn pairs(tags: Option<&[WireTagInput]>) -> Vec<(String, String)> {
    tags.unwrap_or_default()
        .iter()
        .map(|t| (t.key.clone(), t.value.clone()))
        .collect()
}

impl Operation {
    /// The tags the request brings, for its own permission (`aws:RequestTag/…`, `aws:TagKeys`).
    pub fn request_tags(&self) -> RequestTags {
        use Operation::*;
        match self {
            CreateDomain(i) => RequestTags::Create(pairs(i.tags.as_deref())),
            CreateRepository(i) => RequestTags::Create(pairs(i.tags.as_deref())),
            CreatePackageGroup(i) => RequestTags::Create(pairs(i.tags.as_deref())),
            TagResource(i) => RequestTags::Tag(pairs(Some(&i.tags))),
            UntagResource(i) => RequestTags::Untag(i.tag_keys.clone()),
            _ => RequestTags::None,
        }
    }

    /// Every permission the operation needs, its own first (`name` is the operation's).
    pub fn permissions(&self, name: &str) -> Vec<(String, Target)> {
        use Operation::*;
        let own = format!("codeartifact:{name}");
        let group = |d: &DomainInput, g: &str| Target::PackageGroup(d.domain_ref(), g.to_string());
        let mut out = vec![(
            own,
            match self {
                CreateDomain(_) | ListDomains(_) | ListRepositories(_) => Target::Any,
                DescribeDomain(i) | DeleteDomain(i) => Target::Domain(i.domain_ref()),
                ListRepositoriesInDomain(i) => Target::Domain(i.domain.domain_ref()),
                ListPackageGroups(i) => Target::Domain(i.domain.domain_ref()),
                GetAssociatedPackageGroup(i) => Target::Domain(i.domain.domain_ref()),
                GetAuthorizationToken(i) => Target::Domain(i.domain.domain_ref()),
                CreateRepository(i) => Target::Domain(i.repo.repo_ref().domain),
                DescribeRepository(i) | DeleteRepository(i) => Target::Repository(i.repo_ref()),
                UpdateRepository(i) => Target::Repository(i.repo.repo_ref()),
                AssociateExternalConnection(i) | DisassociateExternalConnection(i) => {
                    Target::Repository(i.repo.repo_ref())
                }
                GetRepositoryEndpoint(i) => Target::Repository(i.repo.repo_ref()),
                ListPackages(i) => Target::Repository(RepoRef {
                    domain: DomainRef {
                        name: i.domain.clone(),
                        owner: i.domain_owner.clone(),
                    },
                    repository: i.repository.clone(),
                }),
                PublishPackageVersion(i) => Target::Package(i.version.package.package_ref()),
                DescribePackage(i) | DeletePackage(i) => Target::Package(i.package_ref()),
                PutPackageOriginConfiguration(i) => Target::Package(i.package.package_ref()),
                ListPackageVersions(i) => Target::Package(i.package.package_ref()),
                DescribePackageVersion(i) | GetPackageVersionReadme(i) => {
                    Target::Package(i.package.package_ref())
                }
                ListPackageVersionAssets(i) => Target::Package(i.version.package.package_ref()),
                GetPackageVersionAsset(i) => Target::Package(i.version.package.package_ref()),
                ListPackageVersionDependencies(i) => {
                    Target::Package(i.version.package.package_ref())
                }
                UpdatePackageVersionsStatus(i) => Target::Package(i.package.package_ref()),
                DisposePackageVersions(i) => Target::Package(i.package.package_ref()),
                DeletePackageVersions(i) => Target::Package(i.package.package_ref()),
                CopyPackageVersions(i) => Target::Package(arca_service::PackageRef {
                    repo: RepoRef {
                        domain: DomainRef {
                            name: i.domain.clone(),
                            owner: i.domain_owner.clone(),
                        },
                        repository: i.destination_repository.clone(),
                    },
                    format: i.format,
                    namespace: i.namespace.clone(),
                    package: i.package.clone(),
                }),
                TagResource(i) => Target::Arn(i.resource_arn.clone()),
                UntagResource(i) => Target::Arn(i.resource_arn.clone()),
                ListTagsForResource(i) => Target::Arn(i.resource_arn.clone()),
                CreatePackageGroup(i) => group(&i.domain, &i.package_group),
                DescribePackageGroup(i) | DeletePackageGroup(i) => {
                    group(&i.domain, &i.package_group)
                }
                UpdatePackageGroup(i) => group(&i.domain, &i.package_group),
                UpdatePackageGroupOriginConfiguration(i) => group(&i.domain, &i.package_group),
                ListSubPackageGroups(i) => group(&i.domain, &i.package_group),
                ListAllowedRepositoriesForGroup(i) => group(&i.domain, &i.package_group),
                ListAssociatedPackages(i) => group(&i.domain, &i.package_group),
                PutDomainPermissionsPolicy(i) | PutRepositoryPermissionsPolicy(i) => {
                    match &i.repository {
                        Some(r) => repo(&i.domain, r),
                        None => Target::Domain(i.domain.domain_ref()),
                    }
                }
                GetDomainPermissionsPolicy(i)
                | DeleteDomainPermissionsPolicy(i)
                | GetRepositoryPermissionsPolicy(i)
                | DeleteRepositoryPermissionsPolicy(i) => match &i.repository {
                    Some(r) => repo(&i.domain, r),
                    None => Target::Domain(i.domain.domain_ref()),
                },
            },
        )];
        match self {
            CreateRepository(i) => out.extend(upstreams(
                i.repo.repo_ref().domain,
                i.upstreams
                    .iter()
                    .flatten()
                    .map(|u| u.repository_name.clone()),
            )),
            UpdateRepository(i) => out.extend(upstreams(
                i.repo.repo_ref().domain,
                i.upstreams
                    .iter()
                    .flatten()
                    .map(|u| u.repository_name.clone()),
            )),
            CopyPackageVersions(i) => out.push((
                "codeartifact:ReadFromRepository".to_string(),
                Target::Repository(RepoRef {
                    domain: DomainRef {
                        name: i.domain.clone(),
                        owner: i.domain_owner.clone(),
                    },
                    repository: i.source_repository.clone(),
                }),
            )),
            GetAuthorizationToken(_) => {
                out.push(("sts:GetServiceBearerToken".to_string(), Target::Any))
            }
            _ => {}
        }
        out
    }
}
