//! Serving the router: hyper's HTTP/1 server with a header read timeout, since `axum::serve` has
//! none and a client that sends its request slowly (or not at all) would otherwise hold a
//! connection open for ever. The router's own middleware bounds the rest of a request (its body
//! and the handler) by the same time.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tokio::net::TcpListener;

/// Accepts connections until the task is aborted.
pub async fn serve(listener: TcpListener, router: Router, read_timeout: Duration) {
    // Connections live in this set, so stopping the server (aborting this task) closes kept-alive
    // ones too (Telegram's webhook keeps one open): none outlives it holding the App.
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, say: wait a little rather than spin.
                tracing::warn!(error = %e, "the HTTP API could not accept a connection");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let service = TowerToHyperService::new(router.clone());
        connections.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(read_timeout)
                .serve_connection(TokioIo::new(stream), service);
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "an HTTP connection ended with an error");
            }
        });
    }
}
