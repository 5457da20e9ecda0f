use crate::common::*;

#[tokio::test]
async fn smoke() {
    let s = TestServer::start().await;
    s.create_domain("smoke").await;
}
