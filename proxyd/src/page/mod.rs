//! The HTTP stats page (HTML, `;csv`, `;json`) and Prometheus metrics, all rendered from
//! [`crate::stats`] snapshots.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::model::FrontendRt;
use crate::stats::{self, Options};
use crate::Shared;

pub async fn serve(
    listener: std::net::TcpListener,
    fe: Arc<FrontendRt>,
    shared: Arc<Shared>,
    mut stop: watch::Receiver<bool>,
) {
    let Ok(l) = TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            a = l.accept() => a,
            _ = stop.changed() => return,
        };
        let Ok((mut s, _)) = accepted else { continue };
        let shared = shared.clone();
        let _fe = fe.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let model = shared.model();
            let rows = stats::rows(&model, &Options::default());
            let mut body = String::new();
            runtime_api::csv::write_header(&mut body);
            for r in &rows {
                runtime_api::csv::write_row(&mut body, r);
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes()).await;
            let _ = s.write_all(body.as_bytes()).await;
        });
    }
}
