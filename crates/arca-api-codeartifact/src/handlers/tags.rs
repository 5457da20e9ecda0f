//! TagResource, UntagResource, ListTagsForResource.

use arca_service::{Caller, Service};
use serde_json::json;

use super::{json, ApiResult};
use crate::operation::{tag_pairs, ResourceArnInput, TagResourceInput, UntagResourceInput};
use crate::wire::WireTag;

pub async fn handle_tag_resource(svc: &Service, caller: &Caller, i: TagResourceInput) -> ApiResult {
    svc.tag_resource(caller, &i.resource_arn, tag_pairs(Some(i.tags)))
        .await?;
    json(&json!({}))
}

pub async fn handle_untag_resource(
    svc: &Service,
    caller: &Caller,
    i: UntagResourceInput,
) -> ApiResult {
    svc.untag_resource(caller, &i.resource_arn, i.tag_keys)
        .await?;
    json(&json!({}))
}

pub async fn handle_list_tags_for_resource(
    svc: &Service,
    caller: &Caller,
    i: ResourceArnInput,
) -> ApiResult {
    let tags: Vec<WireTag> = svc
        .list_tags(caller, &i.resource_arn)
        .await?
        .into_iter()
        .map(|(key, value)| WireTag { key, value })
        .collect();
    json(&json!({ "tags": tags }))
}
