//! What only these tests need: an axum app served by tokio on a real socket. The client, the event
//! log, the reports and the bodies are the conformance suite's (`background_tasks_conformance::http`).

use std::net::SocketAddr;

use background_tasks_tokio::TokioExecutor;

/// An axum app served on a tokio runtime of its own, on 127.0.0.1 with a small send buffer (so a
/// client that stops reading stops the server's writes after a few KiB, not megabytes).
pub(crate) struct TokioServer {
    pub(crate) addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TokioServer {
    pub(crate) fn start(app: impl FnOnce(TokioExecutor) -> axum::Router) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let router = app(TokioExecutor::from_handle(runtime.handle().clone()));
        let listener = runtime.block_on(async {
            let socket = tokio::net::TcpSocket::new_v4().unwrap();
            socket.set_send_buffer_size(16 * 1024).unwrap();
            socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
            socket.listen(64).unwrap()
        });
        let addr = listener.local_addr().unwrap();
        runtime.spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            addr,
            runtime: Some(runtime),
        }
    }
}

impl Drop for TokioServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
