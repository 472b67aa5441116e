//! Whether the Hub endpoint answers. When a request fails for want of a network, the endpoint
//! is asked once more; if it really is unreachable the app is offline until a probe (repeated
//! with growing pauses) gets an answer. Jobs wait here instead of failing, and the app tells
//! the person once per offline spell.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};
use crate::hub::HubClient;

/// How long one probe waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The pauses between probes while offline: short at first (a blip), then patient.
#[derive(Debug, Clone, Copy)]
pub struct ProbeSchedule {
    /// The pause before the first probe; each next one doubles.
    pub first: Duration,
    /// The longest pause.
    pub max: Duration,
}

impl Default for ProbeSchedule {
    fn default() -> Self {
        ProbeSchedule {
            first: Duration::from_secs(1),
            max: Duration::from_secs(15),
        }
    }
}

struct Inner {
    online: watch::Sender<bool>,
    hub: Mutex<HubClient>,
    /// A prober task is running (at most one).
    probing: AtomicBool,
    /// `HF_HUB_OFFLINE`: offline by choice, and nothing may be sent to find out otherwise.
    forced: AtomicBool,
    schedule: ProbeSchedule,
    runtime: tokio::runtime::Handle,
    on_change: Box<dyn Fn(bool) + Send + Sync>,
}

/// The endpoint's reachability, shared by the jobs and the app. Cheap to clone.
#[derive(Clone)]
pub struct Connectivity {
    inner: Arc<Inner>,
}

impl Connectivity {
    /// Starts out online; `on_change` hears every switch between online and offline.
    pub fn new(
        hub: HubClient,
        schedule: ProbeSchedule,
        runtime: tokio::runtime::Handle,
        on_change: impl Fn(bool) + Send + Sync + 'static,
    ) -> Connectivity {
        Connectivity {
            inner: Arc::new(Inner {
                online: watch::Sender::new(true),
                hub: Mutex::new(hub),
                probing: AtomicBool::new(false),
                forced: AtomicBool::new(false),
                schedule,
                runtime,
                on_change: Box::new(on_change),
            }),
        }
    }

    /// Whether the endpoint answered the last time it was asked.
    pub fn is_online(&self) -> bool {
        *self.inner.online.borrow()
    }

    fn hub(&self) -> HubClient {
        self.inner
            .hub
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// A new endpoint: whatever was known about the old one no longer holds.
    pub fn set_hub(&self, hub: HubClient) {
        *self.inner.hub.lock().unwrap_or_else(|p| p.into_inner()) = hub;
        if !self.is_online() {
            self.spawn_prober();
        }
    }

    /// Offline by the person's choice (`HF_HUB_OFFLINE`): no probe is sent and jobs wait
    /// until the choice is undone.
    pub fn force_offline(&self, forced: bool) {
        let was = self.inner.forced.swap(forced, Ordering::SeqCst);
        if forced {
            self.set(false);
        } else if was {
            self.spawn_prober();
        }
    }

    fn forced(&self) -> bool {
        self.inner.forced.load(Ordering::SeqCst)
    }

    fn set(&self, online: bool) {
        if online && self.forced() {
            return;
        }
        let changed = self.inner.online.send_if_modified(|now| {
            let changed = *now != online;
            *now = online;
            changed
        });
        if changed {
            if online {
                tracing::info!("the Hub endpoint answers again");
            } else {
                tracing::warn!("the Hub endpoint does not answer: working offline");
            }
            // The state now, not `online`: two racing switches must not be told out of order.
            (self.inner.on_change)(self.is_online());
        }
    }

    /// A request to the endpoint got an answer: online.
    pub fn report_success(&self) {
        if !self.forced() {
            self.set(true);
        }
    }

    /// Asks the endpoint now; goes offline (and starts probing) when it does not answer.
    pub async fn check(&self) -> bool {
        if self.forced() {
            return false;
        }
        let online = self.hub().answers(PROBE_TIMEOUT).await;
        if online {
            self.set(true);
        } else {
            self.set(false);
            self.spawn_prober();
        }
        online
    }

    /// `error` came from talking to the endpoint: if it is a network failure, find out
    /// whether the endpoint is unreachable. Returns whether the app is now offline.
    pub async fn after_error(&self, error: &Error) -> bool {
        // Only a failure that may pass by itself can mean "offline" (a spent retry budget too:
        // the line may have gone). An untrusted certificate or a broken protocol must reach
        // the person as they are, whether the endpoint answers or not.
        let may_pass = error.is_transient() || matches!(error, Error::GaveUp { .. });
        if error.kind() != crate::error::ErrorKind::Network || !may_pass {
            return false;
        }
        !self.check().await
    }

    /// Waits until the endpoint answers; [`Error::Cancelled`] if `cancel` fires first.
    pub async fn wait_online(&self, cancel: &CancellationToken) -> Result<()> {
        let mut online = self.inner.online.subscribe();
        tokio::select! {
            _ = cancel.cancelled() => Err(Error::Cancelled),
            changed = online.wait_for(|online| *online) => {
                changed.map(|_| ()).map_err(|_| Error::Internal("connectivity dropped".into()))
            }
        }
    }

    /// Probes with growing pauses until the endpoint answers (one prober at a time).
    fn spawn_prober(&self) {
        if self.forced() || self.inner.probing.swap(true, Ordering::SeqCst) {
            return;
        }
        let this = self.clone();
        self.inner.runtime.spawn(async move {
            let mut pause = this.inner.schedule.first;
            while !this.is_online() && !this.forced() {
                tokio::time::sleep(pause).await;
                if this.forced() {
                    break;
                }
                if this.hub().answers(PROBE_TIMEOUT).await {
                    this.set(true);
                }
                pause = (pause * 2).min(this.inner.schedule.max);
            }
            this.inner.probing.store(false, Ordering::SeqCst);
            // Gone offline again between the last probe and the flag: keep probing.
            if !this.is_online() && !this.forced() {
                this.spawn_prober();
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    /// A listener that accepts and answers every HTTP request with 200, on a port that can
    /// be taken away and given back.
    async fn answer_on(listener: tokio::net::TcpListener) {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = socket.read(&mut buf).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n[]",
                    )
                    .await;
            });
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offline_until_the_endpoint_answers_then_waiters_go_on() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener); // nothing listens: connection refused
        let hub = HubClient::new(&format!("http://{addr}"), None).unwrap();
        let switches = Arc::new(AtomicUsize::new(0));
        let counted = switches.clone();
        let connectivity = Connectivity::new(
            hub,
            ProbeSchedule {
                first: Duration::from_millis(20),
                max: Duration::from_millis(50),
            },
            tokio::runtime::Handle::current(),
            move |_| {
                counted.fetch_add(1, Ordering::SeqCst);
            },
        );
        let refused = Error::Network {
            host: addr.to_string(),
            reason: "connection refused".into(),
        };
        assert!(!connectivity.after_error(&Error::Cancelled).await);
        // A certificate problem is not "offline", even where nothing answers: it is shown.
        let untrusted = Error::UntrustedCertificate {
            host: addr.to_string(),
            reason: "unknown certificate authority".into(),
        };
        assert!(!connectivity.after_error(&untrusted).await);
        assert_eq!(switches.load(Ordering::SeqCst), 0, "no probe for it");
        assert!(connectivity.after_error(&refused).await);
        assert!(!connectivity.is_online());
        assert_eq!(switches.load(Ordering::SeqCst), 1);

        let cancel = CancellationToken::new();
        let waiter = tokio::spawn({
            let connectivity = connectivity.clone();
            let cancel = cancel.clone();
            async move { connectivity.wait_online(&cancel).await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert!(!waiter.is_finished(), "nothing answers yet");

        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        tokio::spawn(answer_on(listener));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("the prober notices within a few pauses")
            .unwrap()
            .unwrap();
        assert!(connectivity.is_online());
        assert_eq!(
            switches.load(Ordering::SeqCst),
            2,
            "offline once, online once"
        );
    }

    #[tokio::test]
    async fn forced_offline_sends_nothing_and_ends_with_the_choice() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let hub = HubClient::new(&format!("http://{addr}"), None).unwrap();
        let connectivity = Connectivity::new(
            hub,
            ProbeSchedule {
                first: Duration::from_millis(10),
                max: Duration::from_millis(10),
            },
            tokio::runtime::Handle::current(),
            |_| {},
        );
        connectivity.force_offline(true);
        assert!(!connectivity.check().await);
        connectivity.report_success();
        assert!(!connectivity.is_online());
        let nothing = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(nothing.is_err(), "no probe reached the endpoint");
        tokio::spawn(answer_on(listener));
        connectivity.force_offline(false);
        let cancel = CancellationToken::new();
        tokio::time::timeout(Duration::from_secs(5), connectivity.wait_online(&cancel))
            .await
            .expect("probing again once the choice is undone")
            .unwrap();
    }

    #[tokio::test]
    async fn waiting_stops_on_cancel() {
        let hub = HubClient::new("http://127.0.0.1:9", None).unwrap();
        let connectivity = Connectivity::new(
            hub,
            ProbeSchedule::default(),
            tokio::runtime::Handle::current(),
            |_| {},
        );
        connectivity.set(false);
        let cancel = CancellationToken::new();
        cancel.cancel();
        assert!(matches!(
            connectivity.wait_online(&cancel).await,
            Err(Error::Cancelled)
        ));
    }
}
