//! Router: one test per operation (method and path as listed in
//! `codeartifact-behavior.md` §1.2), plus unknown (method, path) pairs.

use http::Method;

use crate::model::{service_model, RouteError};

macro_rules! route_cases {
    ($($test:ident: $name:literal, $method:ident, $path:literal;)*) => {
        $(
            #[test]
            fn $test() {
                let model = service_model();
                let op = model
                    .route(&Method::$method, $path)
                    .unwrap_or_else(|e| panic!("{}: {e}", $name));
                assert_eq!(op.name(), $name);
                assert_eq!(op.http_method(), &Method::$method);
                assert_eq!(op.request_uri(), $path);
                assert_eq!(op.response_code(), 200);
                let by_name = model.operation($name).expect("operation by name");
                assert!(std::ptr::eq(op, by_name));
                // A query suffix does not change the route.
                let with_query = concat!($path, "?domain=x");
                assert_eq!(model.route(&Method::$method, with_query).unwrap().name(), $name);
                // PATCH is used by no operation.
                assert!(model.route(&Method::PATCH, $path).is_err());
            }
        )*

        const ROUTE_TABLE: &[(&str, Method, &str)] = &[
            $(($name, Method::$method, $path),)*
        ];
    };
}

route_cases! {
    associate_external_connection: "AssociateExternalConnection", POST, "/v1/repository/external-connection";
    copy_package_versions: "CopyPackageVersions", POST, "/v1/package/versions/copy";
    create_domain: "CreateDomain", POST, "/v1/domain";
    create_package_group: "CreatePackageGroup", POST, "/v1/package-group";
    create_repository: "CreateRepository", POST, "/v1/repository";
    delete_domain: "DeleteDomain", DELETE, "/v1/domain";
    delete_domain_permissions_policy: "DeleteDomainPermissionsPolicy", DELETE, "/v1/domain/permissions/policy";
    delete_package: "DeletePackage", DELETE, "/v1/package";
    delete_package_group: "DeletePackageGroup", DELETE, "/v1/package-group";
    delete_package_versions: "DeletePackageVersions", POST, "/v1/package/versions/delete";
    delete_repository: "DeleteRepository", DELETE, "/v1/repository";
    delete_repository_permissions_policy: "DeleteRepositoryPermissionsPolicy", DELETE, "/v1/repository/permissions/policies";
    describe_domain: "DescribeDomain", GET, "/v1/domain";
    describe_package: "DescribePackage", GET, "/v1/package";
    describe_package_group: "DescribePackageGroup", GET, "/v1/package-group";
    describe_package_version: "DescribePackageVersion", GET, "/v1/package/version";
    describe_repository: "DescribeRepository", GET, "/v1/repository";
    disassociate_external_connection: "DisassociateExternalConnection", DELETE, "/v1/repository/external-connection";
    dispose_package_versions: "DisposePackageVersions", POST, "/v1/package/versions/dispose";
    get_associated_package_group: "GetAssociatedPackageGroup", GET, "/v1/get-associated-package-group";
    get_authorization_token: "GetAuthorizationToken", POST, "/v1/authorization-token";
    get_domain_permissions_policy: "GetDomainPermissionsPolicy", GET, "/v1/domain/permissions/policy";
    get_package_version_asset: "GetPackageVersionAsset", GET, "/v1/package/version/asset";
    get_package_version_readme: "GetPackageVersionReadme", GET, "/v1/package/version/readme";
    get_repository_endpoint: "GetRepositoryEndpoint", GET, "/v1/repository/endpoint";
    get_repository_permissions_policy: "GetRepositoryPermissionsPolicy", GET, "/v1/repository/permissions/policy";
    list_allowed_repositories_for_group: "ListAllowedRepositoriesForGroup", GET, "/v1/package-group-allowed-repositories";
    list_associated_packages: "ListAssociatedPackages", GET, "/v1/list-associated-packages";
    list_domains: "ListDomains", POST, "/v1/domains";
    list_package_groups: "ListPackageGroups", POST, "/v1/package-groups";
    list_package_version_assets: "ListPackageVersionAssets", POST, "/v1/package/version/assets";
    list_package_version_dependencies: "ListPackageVersionDependencies", POST, "/v1/package/version/dependencies";
    list_package_versions: "ListPackageVersions", POST, "/v1/package/versions";
    list_packages: "ListPackages", POST, "/v1/packages";
    list_repositories: "ListRepositories", POST, "/v1/repositories";
    list_repositories_in_domain: "ListRepositoriesInDomain", POST, "/v1/domain/repositories";
    list_sub_package_groups: "ListSubPackageGroups", POST, "/v1/package-groups/sub-groups";
    list_tags_for_resource: "ListTagsForResource", POST, "/v1/tags";
    publish_package_version: "PublishPackageVersion", POST, "/v1/package/version/publish";
    put_domain_permissions_policy: "PutDomainPermissionsPolicy", PUT, "/v1/domain/permissions/policy";
    put_package_origin_configuration: "PutPackageOriginConfiguration", POST, "/v1/package";
    put_repository_permissions_policy: "PutRepositoryPermissionsPolicy", PUT, "/v1/repository/permissions/policy";
    tag_resource: "TagResource", POST, "/v1/tag";
    untag_resource: "UntagResource", POST, "/v1/untag";
    update_package_group: "UpdatePackageGroup", PUT, "/v1/package-group";
    update_package_group_origin_configuration: "UpdatePackageGroupOriginConfiguration", PUT, "/v1/package-group-origin-configuration";
    update_package_versions_status: "UpdatePackageVersionsStatus", POST, "/v1/package/versions/update_status";
    update_repository: "UpdateRepository", PUT, "/v1/repository";
}

#[test]
fn the_table_covers_exactly_the_model() {
    let model = service_model();
    assert_eq!(ROUTE_TABLE.len(), 48);
    assert_eq!(model.operations().count(), 48);
    for op in model.operations() {
        let row = ROUTE_TABLE
            .iter()
            .find(|(n, _, _)| *n == op.name())
            .unwrap_or_else(|| panic!("{} missing from the route table", op.name()));
        assert_eq!(
            (&row.1, row.2),
            (op.http_method(), op.request_uri()),
            "{}",
            op.name()
        );
    }
    let names: Vec<&str> = model.operations().map(|o| o.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "operations() is sorted by name");
}

#[test]
fn shared_paths_route_on_method() {
    let m = service_model();
    let name = |method: Method, path: &str| m.route(&method, path).unwrap().name().to_string();
    assert_eq!(name(Method::GET, "/v1/package"), "DescribePackage");
    assert_eq!(
        name(Method::POST, "/v1/package"),
        "PutPackageOriginConfiguration"
    );
    assert_eq!(name(Method::DELETE, "/v1/package"), "DeletePackage");
    assert_eq!(name(Method::GET, "/v1/domain"), "DescribeDomain");
    assert_eq!(name(Method::POST, "/v1/domain"), "CreateDomain");
    assert_eq!(name(Method::DELETE, "/v1/domain"), "DeleteDomain");
    assert_eq!(name(Method::PUT, "/v1/repository"), "UpdateRepository");
}

#[test]
fn unknown_method_or_path_is_unknown_operation() {
    let m = service_model();
    let cases: &[(Method, &str)] = &[
        (Method::PUT, "/v1/package"), // path exists, method does not
        (Method::GET, "/v1/domains"), // ListDomains is POST
        (Method::GET, "/v1/package/version/assets"), // ListPackageVersionAssets is POST
        (Method::POST, "/v1/package/version"), // DescribePackageVersion is GET
        (Method::DELETE, "/v1/repository/permissions/policy"), // delete uses .../policies
        (Method::HEAD, "/v1/package/version/asset"),
        (Method::OPTIONS, "/v1/domain"),
        (Method::GET, "/v1/package/"), // trailing slash: exact match only
        (Method::GET, "/v1/Package"),  // case-sensitive
        (Method::GET, "/v1/package/version/asset/extra"),
        (Method::GET, "/v2/package"),
        (Method::GET, "/"),
        (Method::GET, ""),
        (Method::POST, "v1/domains"),
        (Method::GET, "/v1/package%2Fversion"),
    ];
    for (method, path) in cases {
        match m.route(method, path) {
            Err(RouteError::UnknownOperation {
                method: em,
                path: ep,
            }) => {
                assert_eq!(&em, method);
                assert_eq!(ep, *path);
            }
            Ok(op) => panic!("{method} {path} unexpectedly routed to {}", op.name()),
        }
    }
    let err = m.route(&Method::GET, "/nope?x=1").unwrap_err();
    assert_eq!(
        err.to_string(),
        "Unknown operation: no CodeArtifact operation is bound to GET /nope"
    );
}
