//! The bench's reference point: a minimal axum server (same runtime, same HTTP stack) answering
//! every request with the bytes of a file, with no authentication, validation or storage. The bench
//! compares Arca's DescribePackageVersion / ListPackageVersionAssets throughput against it.
//!
//! Usage: bench_baseline BODY_FILE — prints `listening on http://ADDR` and serves until killed.

use axum::http::header;
use axum::response::IntoResponse;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let path = std::env::args()
        .nth(1)
        .expect("usage: bench_baseline BODY_FILE");
    let body: &'static [u8] = Box::leak(std::fs::read(path)?.into_boxed_slice());
    let app = Router::new().fallback(move || async move {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
