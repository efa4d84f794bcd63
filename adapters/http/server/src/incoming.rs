//! [`TokioIncoming`]: a tokio listener's connections, for [`serve`](crate::serve).

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::compat::{Compat, TokioAsyncReadCompatExt};

/// The connections a tokio [`TcpListener`] accepts, as the stream of `futures-io` sockets that
/// [`serve`](crate::serve) takes: tokio apps get the same server, timeouts and shutdown as smol
/// and async-std ones.
///
/// # Examples
///
/// ```no_run
/// use std::time::Duration;
///
/// use background_tasks_server::{TokioIncoming, serve, shutdown_signal};
/// use background_tasks_tokio::TokioExecutor;
/// use background_tasks_tower::BackgroundTasksLayer;
/// # use std::convert::Infallible;
/// # use http::{Request, Response};
/// # #[derive(Clone)] struct Hello;
/// # impl tower_service::Service<Request<hyper::body::Incoming>> for Hello {
/// #     type Response = Response<String>;
/// #     type Error = Infallible;
/// #     type Future = std::future::Ready<Result<Response<String>, Infallible>>;
/// #     fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> std::task::Poll<Result<(), Infallible>> { std::task::Poll::Ready(Ok(())) }
/// #     fn call(&mut self, _: Request<hyper::body::Incoming>) -> Self::Future { std::future::ready(Ok(Response::new("hello".into()))) }
/// # }
/// use tower_layer::Layer;
///
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let layer = BackgroundTasksLayer::new(TokioExecutor::new());
///     let runner = layer.runner().clone();
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
///     serve(TokioIncoming::new(listener), layer.layer(Hello), TokioExecutor::new())
///         .peer_addr(TokioIncoming::peer_addr)
///         .with_graceful_shutdown(shutdown_signal()?)
///         .await?;
///     runner.shutdown(Duration::from_secs(30)).await;
///     Ok(())
/// }
/// ```
#[derive(Debug)]
pub struct TokioIncoming {
    listener: TcpListener,
}

impl TokioIncoming {
    /// The connections `listener` accepts.
    pub fn new(listener: TcpListener) -> Self {
        Self { listener }
    }

    /// The listener.
    pub fn listener(&self) -> &TcpListener {
        &self.listener
    }

    /// The peer address of one of its connections, for
    /// [`Serve::peer_addr`](crate::Serve::peer_addr): `.peer_addr(TokioIncoming::peer_addr)`.
    ///
    /// # Errors
    ///
    /// As [`TcpStream::peer_addr`].
    pub fn peer_addr(connection: &Compat<TcpStream>) -> io::Result<SocketAddr> {
        connection.get_ref().peer_addr()
    }
}

impl Stream for TokioIncoming {
    type Item = io::Result<Compat<TcpStream>>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.listener
            .poll_accept(cx)
            .map(|accepted| Some(accepted.map(|(stream, _peer)| stream.compat())))
    }
}
