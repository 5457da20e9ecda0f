use arca_metadata::StoreError;

use super::*;

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

pub async fn tags_upsert_list_untag(store: Store) {
    let arn = "arn:aws:codeartifact:us-east-1:111122223333:domain/d";
    let other = "arn:aws:codeartifact:us-east-1:111122223333:domain/e";
    assert!(store.list_tags(arn).await.unwrap().is_empty());

    store
        .tag_resource(arn, &tags(&[("b", "1"), ("B", "2"), ("é", "3")]), 50)
        .await
        .unwrap();
    store
        .tag_resource(other, &tags(&[("b", "x")]), 50)
        .await
        .unwrap();
    // Listed by key, byte order.
    assert_eq!(
        store.list_tags(arn).await.unwrap(),
        tags(&[("B", "2"), ("b", "1"), ("é", "3")])
    );

    // Existing keys are replaced, new ones added.
    store
        .tag_resource(arn, &tags(&[("b", "updated"), ("a", "")]), 50)
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(arn).await.unwrap(),
        tags(&[("B", "2"), ("a", ""), ("b", "updated"), ("é", "3")])
    );

    // Missing keys are ignored; keys are case-sensitive.
    store
        .untag_resource(arn, &["b".into(), "missing".into(), "A".into()])
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(arn).await.unwrap(),
        tags(&[("B", "2"), ("a", ""), ("é", "3")])
    );
    store.untag_resource(arn, &[]).await.unwrap();
    store
        .untag_resource("arn:nothing", &["x".into()])
        .await
        .unwrap();
    // Other resources are untouched.
    assert_eq!(store.list_tags(other).await.unwrap(), tags(&[("b", "x")]));
}

pub async fn tags_limit_is_all_or_nothing(store: Store) {
    let arn = "arn:limited";
    store
        .tag_resource(arn, &tags(&[("a", "1"), ("b", "1")]), 3)
        .await
        .unwrap();
    // Replacing values and adding a third key: at the limit, fine.
    store
        .tag_resource(arn, &tags(&[("a", "2"), ("c", "1")]), 3)
        .await
        .unwrap();
    let at_limit = tags(&[("a", "2"), ("b", "1"), ("c", "1")]);
    assert_eq!(store.list_tags(arn).await.unwrap(), at_limit);

    // One more key exceeds it: nothing of the call is applied, not even the value change.
    let over = store
        .tag_resource(arn, &tags(&[("a", "3"), ("d", "1")]), 3)
        .await;
    assert!(
        matches!(over, Err(StoreError::LimitExceeded(_))),
        "{over:?}"
    );
    assert_eq!(store.list_tags(arn).await.unwrap(), at_limit);

    // Re-tagging existing keys at the limit is fine.
    store
        .tag_resource(arn, &tags(&[("a", "4"), ("b", "4"), ("c", "4")]), 3)
        .await
        .unwrap();
    assert_eq!(
        store.list_tags(arn).await.unwrap(),
        tags(&[("a", "4"), ("b", "4"), ("c", "4")])
    );

    // A fresh resource given too many at once gets none.
    let fresh = "arn:fresh";
    let too_many = store
        .tag_resource(fresh, &tags(&[("a", "1"), ("b", "1")]), 1)
        .await;
    assert!(
        matches!(too_many, Err(StoreError::LimitExceeded(_))),
        "{too_many:?}"
    );
    assert!(store.list_tags(fresh).await.unwrap().is_empty());
}

pub async fn tags_list_all_by_arn_then_key(store: Store) {
    let (a, b) = ("arn:a", "arn:b");
    store
        .tag_resource(b, &tags(&[("k", "1")]), 50)
        .await
        .unwrap();
    store
        .tag_resource(a, &tags(&[("y", "2"), ("X", "3")]), 50)
        .await
        .unwrap();
    let triple = |arn: &str, k: &str, v: &str| (arn.to_string(), k.to_string(), v.to_string());
    assert_eq!(
        store.list_all_tags(None, 10).await.unwrap(),
        [
            triple(a, "X", "3"),
            triple(a, "y", "2"),
            triple(b, "k", "1")
        ]
    );
    assert_eq!(
        store.list_all_tags(Some((a, "y")), 10).await.unwrap(),
        [triple(b, "k", "1")]
    );
    assert_eq!(
        store.list_all_tags(Some((a, "X")), 1).await.unwrap(),
        [triple(a, "y", "2")]
    );
}
