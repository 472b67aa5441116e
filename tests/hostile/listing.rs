//! Listings and messages: a listing too large to hold, next pages that are relative or on
//! another host, server text with terminal escape codes, certificates this machine does not
//! trust, messages without names, and a Ctrl-C before any byte arrived.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Output};
use std::sync::Arc;
use std::time::Duration;

use modelshelf_core::error::{Error, ErrorKind, ErrorReport};
use modelshelf_core::hub::{HubClient, MAX_LISTED_FILES};
use modelshelf_core::provision::{ArtifactProvisioner, ModelEntry, ModelProvisioner};
use modelshelf_core::repo::RepoType;
use modelshelf_core::transfer::TransferOptions;
use modelshelf_core::vendor::{HuggingFaceVendor, ModelRequest, Selection};
use tokio_util::sync::CancellationToken;

use super::{Sandbox, within};
use crate::support::cli;
use fake_hub::{ApiError, FakeHub, FakeRepo, Faults, Listener, TreeLinks, demo_catalog};

/// Short back-offs, so a test that meets a retry does not wait for it.
fn quick() -> TransferOptions {
    TransferOptions {
        stall_timeout: Duration::from_millis(400),
        max_attempts: 3,
        base_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        ..TransferOptions::default()
    }
}

fn provisioner(endpoint: &str, cache: &Path) -> ModelProvisioner {
    let client = HubClient::new(endpoint, None).unwrap();
    ModelProvisioner::new(HuggingFaceVendor::new(client, quick()), cache)
}

async fn provision(
    p: &ModelProvisioner,
    repo: &str,
    revision: Option<&str>,
    selection: Selection,
) -> Result<ModelEntry, Error> {
    let request = ModelRequest::new(RepoType::Model, repo, revision, selection).unwrap();
    p.provision(&request, "j", CancellationToken::new(), &())
        .await
}

fn tiny() -> FakeRepo {
    demo_catalog().into_iter().next().unwrap()
}

fn host(endpoint: &str) -> String {
    endpoint.trim_start_matches("http://").to_owned()
}

/// Tree page requests the fake Hub saw.
fn tree_requests(hub: &FakeHub) -> usize {
    hub.requests()
        .iter()
        .filter(|r| r.target.contains("/tree/"))
        .count()
}

/// Requests for file bytes or metadata: resolve routes and the CDN.
fn file_requests(hub: &FakeHub) -> usize {
    hub.requests()
        .iter()
        .filter(|r| r.listener == Listener::Cdn || r.target.contains("/resolve/"))
        .count()
}

/// Everything under `dir`, as paths relative to it.
fn tree_of(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(next) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&next) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.is_symlink() {
                stack.push(path.clone());
            }
            found.push(path.strip_prefix(dir).unwrap().to_owned());
        }
    }
    found.sort();
    found
}

#[tokio::test]
async fn a_listing_of_250000_files_is_refused_past_200000_with_the_limit_named() {
    let huge = FakeRepo::model("acme/huge").synthetic_files(250_000);
    let hub = FakeHub::start(vec![huge]);
    hub.set_tree_page_size(5_000);
    let sandbox = Sandbox::new();
    let p = provisioner(&hub.endpoint(), &sandbox.cache);
    let err = within(
        Duration::from_secs(90),
        provision(&p, "acme/huge", None, Selection::All),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(&err, Error::ListingTooLarge { repo_id, limit }
            if repo_id == "acme/huge" && *limit == MAX_LISTED_FILES),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert_eq!(
        err.to_string(),
        "acme/huge lists more than 200,000 files; Modelshelf refuses listings that large"
    );
    // 200,000 files and one folder fill 41 pages of 5,000; the file past the limit is on the
    // 41st. Nothing after it is asked for.
    assert_eq!(tree_requests(&hub), 41);
    assert_eq!(file_requests(&hub), 0);
    assert!(
        tree_of(&sandbox.cache).is_empty(),
        "nothing written: {:?}",
        tree_of(&sandbox.cache)
    );
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_relative_next_link_is_followed_to_a_complete_snapshot() {
    let model = tiny();
    let hub = FakeHub::start(vec![model.clone()]);
    hub.set_tree_page_size(1);
    hub.set_faults(Faults {
        tree_links: TreeLinks::Relative,
        ..Faults::default()
    });
    let sandbox = Sandbox::new();
    let p = provisioner(&hub.endpoint(), &sandbox.cache);
    let entry = within(
        Duration::from_secs(30),
        provision(&p, "acme/tiny-model", None, Selection::All),
    )
    .await
    .unwrap();
    // Five files and two folders: seven pages of one entry.
    assert_eq!(tree_requests(&hub), 7);
    let mut listed: Vec<&str> = entry.files.iter().map(|f| f.path.as_str()).collect();
    listed.sort();
    let mut expected: Vec<&str> = model.files.iter().map(|f| f.path.as_str()).collect();
    expected.sort();
    assert_eq!(listed, expected);
    for file in &model.files {
        let local = entry.snapshot.join(&file.path);
        assert_eq!(std::fs::read(&local).unwrap(), file.content, "{local:?}");
    }
    let main = sandbox.cache.join("models--acme--tiny-model/refs/main");
    assert_eq!(std::fs::read_to_string(main).unwrap(), model.commit());
    sandbox.assert_outside_untouched();
}

#[tokio::test]
async fn a_next_link_to_another_host_fails_the_listing_and_writes_nothing() {
    let hub = FakeHub::start(vec![tiny()]);
    hub.set_tree_page_size(2);
    hub.set_faults(Faults {
        tree_links: TreeLinks::Foreign,
        ..Faults::default()
    });
    let sandbox = Sandbox::new();
    let p = provisioner(&hub.endpoint(), &sandbox.cache);
    let err = within(
        Duration::from_secs(30),
        provision(&p, "acme/tiny-model", None, Selection::All),
    )
    .await
    .unwrap_err();
    let foreign = hub.cdn_addr().to_string();
    assert!(
        matches!(&err, Error::Protocol { host, reason }
            if *host == self::host(&hub.endpoint()) && reason.contains(&foreign)
                && reason.contains("acme/tiny-model")),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(
        tree_requests(&hub),
        1,
        "not retried, the other host not asked"
    );
    assert_eq!(file_requests(&hub), 0, "nothing downloaded");
    assert_eq!(hub.body_bytes_sent(), 0);
    assert!(
        tree_of(&sandbox.cache).is_empty(),
        "no ref, no snapshot, no blob: {:?}",
        tree_of(&sandbox.cache)
    );
    sandbox.assert_outside_untouched();
}

/// `modelshelf-cli` with `args` against `endpoint`, with the cache in `sandbox`, killed if it
/// runs past `limit`.
fn cli(endpoint: &str, sandbox: &Sandbox, args: &[&str], env: &[(&str, &Path)]) -> Child {
    let mut command = cli::command(endpoint, &sandbox.cache, &sandbox.root().join("home"), args);
    for (name, value) in env {
        command.env(name, value);
    }
    command.spawn().expect("start modelshelf-cli")
}

fn run_cli(endpoint: &str, sandbox: &Sandbox, args: &[&str], env: &[(&str, &Path)]) -> Output {
    cli::finish(cli(endpoint, sandbox, args, env), Duration::from_secs(30))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn escape_codes_in_a_server_error_reach_the_terminal_escaped() {
    let hostile = "\x1b[2J\x1b[H fake output\r\n";
    let hub = FakeHub::start(vec![tiny()]);
    hub.set_faults(Faults {
        api_error: Some(ApiError {
            status: 403,
            code: Some("GatedRepo"),
            message: hostile.into(),
        }),
        ..Faults::default()
    });
    let sandbox = Sandbox::new();
    let p = provisioner(&hub.endpoint(), &sandbox.cache);
    let err = within(
        Duration::from_secs(20),
        provision(&p, "acme/tiny-model", None, Selection::All),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Gated);
    let shown = err.to_string();
    assert!(!shown.chars().any(char::is_control), "{shown:?}");
    assert_eq!(
        shown,
        "acme/tiny-model is gated: \\x1b[2J\\x1b[H fake output\\x0d\\x0a"
    );
    assert_eq!(ErrorReport::from(&err).message, shown);

    let out = run_cli(
        &hub.endpoint(),
        &sandbox,
        &["download", "acme/tiny-model"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !out.stderr.iter().any(|b| matches!(b, 0x1b | b'\r')),
        "raw escape codes on the terminal: {:?}",
        text(&out.stderr)
    );
    assert_eq!(
        text(&out.stderr),
        "modelshelf-cli: acme/tiny-model is gated: \\x1b[2J\\x1b[H fake output\\x0d\\x0a\n"
    );
    assert_eq!(file_requests(&hub), 0);
    assert_eq!(hub.requests().len(), 2, "one repo info each, not retried");
    sandbox.assert_outside_untouched();
}

/// CLI arguments after `download`; the same request for the provisioner (repo, revision,
/// selection); the error kind; how the message starts.
type NameCase<'a> = (
    Vec<&'a str>,
    &'a str,
    Option<&'a str>,
    Selection,
    ErrorKind,
    &'a str,
);

#[tokio::test]
async fn every_not_found_and_gated_message_names_the_repo() {
    let hub = FakeHub::start(demo_catalog());
    let sandbox = Sandbox::new();
    let p = provisioner(&hub.endpoint(), &sandbox.cache);
    let files = |paths: &[&str]| Selection::Files(paths.iter().map(|s| s.to_string()).collect());
    let include = |glob: &str| Selection::Patterns {
        include: vec![glob.into()],
        exclude: vec![],
    };
    let cases: Vec<NameCase> = vec![
        (
            vec!["acme/nope"],
            "acme/nope",
            None,
            Selection::All,
            ErrorKind::NotFound,
            "repository acme/nope was not found",
        ),
        (
            vec!["acme/nope", "config.json"],
            "acme/nope",
            None,
            files(&["config.json"]),
            ErrorKind::NotFound,
            "repository acme/nope was not found",
        ),
        (
            vec!["acme/tiny-model", "--revision", "no-branch"],
            "acme/tiny-model",
            Some("no-branch"),
            Selection::All,
            ErrorKind::NotFound,
            "revision no-branch was not found in acme/tiny-model",
        ),
        (
            vec!["acme/tiny-model", "config.json", "--revision", "no-branch"],
            "acme/tiny-model",
            Some("no-branch"),
            files(&["config.json"]),
            ErrorKind::NotFound,
            "revision no-branch was not found in acme/tiny-model",
        ),
        (
            vec!["acme/tiny-model", "nope.bin"],
            "acme/tiny-model",
            None,
            files(&["nope.bin"]),
            ErrorKind::NotFound,
            "nope.bin was not found in acme/tiny-model at main",
        ),
        (
            vec!["acme/tiny-model", "config.json", "nope.bin"],
            "acme/tiny-model",
            None,
            files(&["config.json", "nope.bin"]),
            ErrorKind::NotFound,
            "nope.bin was not found in acme/tiny-model at main",
        ),
        (
            vec!["acme/tiny-gated", "weights.bin"],
            "acme/tiny-gated",
            None,
            files(&["weights.bin"]),
            ErrorKind::Gated,
            "acme/tiny-gated is gated: Access to model acme/tiny-gated is restricted",
        ),
        // Planned from the listing, so the first gated answer comes to the transfer's GET.
        (
            vec!["acme/tiny-gated", "--include", "*.json"],
            "acme/tiny-gated",
            None,
            include("*.json"),
            ErrorKind::Gated,
            "acme/tiny-gated is gated: Access to model acme/tiny-gated is restricted",
        ),
    ];
    let blank = |message: &str| {
        message.starts_with(' ')
            || message.contains("  ")
            || message.contains("` `")
            || message.contains(" in  ")
            || message.contains(" at  ")
            || message.ends_with(" at ")
    };
    for (args, repo, revision, selection, kind, names) in cases {
        let before = hub.requests().len();
        let err = within(
            Duration::from_secs(20),
            provision(&p, repo, revision, selection),
        )
        .await
        .unwrap_err();
        let message = err.to_string();
        assert_eq!(err.kind(), kind, "{args:?}: {err:?}");
        assert!(message.starts_with(names), "{args:?}: {message}");
        assert!(!blank(&message), "{args:?}: {message:?}");
        // At most info, tree and one file request: a missing name is not retried.
        let asked = hub.requests().len() - before;
        assert!((1..=3).contains(&asked), "{args:?}: {asked} requests");

        let mut cli_args = vec!["download"];
        cli_args.extend(&args);
        let out = run_cli(&hub.endpoint(), &sandbox, &cli_args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let line = stderr
            .strip_prefix("modelshelf-cli: ")
            .unwrap_or_else(|| panic!("{args:?}: {stderr:?}"));
        assert!(line.starts_with(names), "{args:?}: {line}");
        assert!(!blank(line.trim_end()), "{args:?}: {line:?}");
    }
    sandbox.assert_outside_untouched();
}

/// A TLS front for the fake Hub on 127.0.0.1, with a certificate for 127.0.0.1 signed by a CA
/// made for this test (so no trust store has it). Stops when dropped.
struct TlsFront {
    addr: SocketAddr,
    /// The CA's certificate, PEM: what `SSL_CERT_FILE` would point at.
    ca_pem: String,
    handshakes_failed: Arc<std::sync::atomic::AtomicUsize>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl TlsFront {
    fn start(backend: String) -> TlsFront {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "Modelshelf test mirror CA");
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = Issuer::new(ca_params, ca_key);
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()])
            .unwrap()
            .signed_by(&leaf_key, &ca)
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone(), ca_cert.der().clone()], key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let failed = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let failures = failed.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).unwrap();
                let serve = async {
                    loop {
                        let Ok((tcp, _)) = listener.accept().await else {
                            continue;
                        };
                        let (acceptor, backend, failures) =
                            (acceptor.clone(), backend.clone(), failures.clone());
                        tokio::spawn(async move {
                            let Ok(mut tls) = acceptor.accept(tcp).await else {
                                failures.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                return;
                            };
                            if let Ok(mut plain) = tokio::net::TcpStream::connect(&backend).await {
                                let _ = tokio::io::copy_bidirectional(&mut tls, &mut plain).await;
                            }
                        });
                    }
                };
                tokio::select! {
                    () = serve => {}
                    _ = rx => {}
                }
            });
            rt.shutdown_timeout(Duration::from_millis(100));
        });
        TlsFront {
            addr,
            ca_pem: ca_cert.pem(),
            handshakes_failed: failed,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    fn endpoint(&self) -> String {
        format!("https://{}", self.addr)
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_named_with_the_fix_and_ssl_cert_file_fixes_it() {
    let hub = FakeHub::start(vec![tiny()]);
    let front = TlsFront::start(host(&hub.endpoint()));
    let sandbox = Sandbox::new();
    let p = provisioner(&front.endpoint(), &sandbox.cache);
    let err = within(
        Duration::from_secs(20),
        provision(&p, "acme/tiny-model", None, files_config()),
    )
    .await
    .unwrap_err();
    let front_host = front.addr.to_string();
    assert!(
        matches!(&err, Error::UntrustedCertificate { host, reason }
            if *host == front_host && reason.contains("unknown certificate authority")),
        "{err:?}"
    );
    assert_eq!(err.kind(), ErrorKind::Network);
    let message = err.to_string();
    for part in [
        "TLS certificate",
        front_host.as_str(),
        "system trust store",
        "SSL_CERT_FILE",
    ] {
        assert!(message.contains(part), "{part} missing: {message}");
    }
    // The server notices the refused handshake a moment after the client gave up.
    let failed = || {
        front
            .handshakes_failed
            .load(std::sync::atomic::Ordering::SeqCst)
    };
    within(Duration::from_secs(5), async {
        while failed() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(failed(), 1, "a setup problem is not retried");
    assert!(hub.requests().is_empty(), "nothing got through");

    // The CLI says the same; given the CA through SSL_CERT_FILE, it downloads.
    let out = run_cli(
        &front.endpoint(),
        &sandbox,
        &["download", "acme/tiny-model", "config.json"],
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("modelshelf-cli: {message}\n"),
        "the CLI shows the same sentence"
    );
    let ca_file = sandbox.root().join("mirror-ca.pem");
    std::fs::write(&ca_file, &front.ca_pem).unwrap();
    let out = run_cli(
        &front.endpoint(),
        &sandbox,
        &["download", "acme/tiny-model", "config.json"],
        &[("SSL_CERT_FILE", ca_file.as_path())],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let path = PathBuf::from(text(&out.stdout).trim());
    assert_eq!(
        std::fs::read(&path).unwrap(),
        tiny().get("config.json").unwrap().content
    );
    assert!(path.starts_with(&sandbox.cache));
    sandbox.assert_outside_untouched();
}

fn files_config() -> Selection {
    Selection::Files(vec!["config.json".into()])
}

#[tokio::test]
async fn ctrl_c_while_listing_says_nothing_was_kept() {
    let hub = FakeHub::start(vec![tiny()]);
    hub.set_faults(Faults {
        api_delay: Some(Duration::from_secs(20)),
        ..Faults::default()
    });
    let sandbox = Sandbox::new();
    let mut child = cli(
        &hub.endpoint(),
        &sandbox,
        &["download", "acme/tiny-model"],
        &[],
    );
    within(Duration::from_secs(20), async {
        while !hub.requests().iter().any(|r| r.target.starts_with("/api/")) {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("modelshelf-cli ended early: {status}");
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let pid = child.id() as libc::pid_t;
    // SAFETY: `pid` is our child, which has not been waited for, so the id is still its own.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let out = cli::finish(child, Duration::from_secs(5));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr,
        "modelshelf-cli: interrupted (before any file data arrived; nothing kept)\n"
    );
    assert_eq!(file_requests(&hub), 0);
    assert!(
        tree_of(&sandbox.cache).is_empty(),
        "{:?}",
        tree_of(&sandbox.cache)
    );
    sandbox.assert_outside_untouched();
}
