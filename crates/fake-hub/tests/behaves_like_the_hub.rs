//! The fake Hub is only useful if it behaves like the real one. These tests pin the protocol
//! details clients depend on (`shared/reference/hub-protocol.md`) and each switchable fault.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_RANGE, ETAG, LOCATION, RANGE};

use fake_hub::demo_catalog;
use fake_hub::{DropAfter, Fail, FakeHub, FakeRepo, Faults, Listener, Stall, git_blob_sha1};

fn client() -> reqwest::Client {
    // reqwest is built without a bundled crypto provider (as in the core); ring it is.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        // No request of these tests may hang: the longest (a throttled body) takes about 1 s.
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

fn header(resp: &reqwest::Response, name: &str) -> String {
    resp.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

fn tiny() -> fake_hub::FakeRepo {
    demo_catalog().into_iter().next().unwrap()
}

#[tokio::test]
async fn regular_files_resolve_with_git_sha1_etag_and_ranges() {
    let hub = FakeHub::start(demo_catalog());
    let repo = tiny();
    let url = format!(
        "{}/acme/tiny-model/resolve/main/config.json",
        hub.endpoint()
    );
    let head = client().head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    let content = repo.get("config.json").unwrap().content.clone();
    assert_eq!(
        header(&head, "etag"),
        format!("\"{}\"", git_blob_sha1(&content))
    );
    assert_eq!(header(&head, "x-repo-commit"), repo.commit());
    assert_eq!(header(&head, "content-length"), content.len().to_string());

    let part = client()
        .get(&url)
        .header(RANGE, "bytes=2-5")
        .send()
        .await
        .unwrap();
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        header(&part, "content-range"),
        format!("bytes 2-5/{}", content.len())
    );
    assert_eq!(part.bytes().await.unwrap(), content.slice(2..6));
}

#[tokio::test]
async fn lfs_files_redirect_to_a_cdn_on_another_port_that_refuses_tokens() {
    let hub = FakeHub::start(demo_catalog());
    let repo = tiny();
    let file = repo.get("model.safetensors").unwrap();
    let url = format!(
        "{}/acme/tiny-model/resolve/v1.0/model.safetensors",
        hub.endpoint()
    );
    let head = client().head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::FOUND);
    assert_eq!(
        header(&head, "x-linked-etag"),
        format!("\"{}\"", file.sha256())
    );
    assert_eq!(
        header(&head, "x-linked-size"),
        file.content.len().to_string()
    );
    assert_eq!(header(&head, "x-repo-commit"), repo.commit());
    let location = header(&head, "location");
    assert!(
        location.starts_with(&format!("http://{}/blob/", hub.cdn_addr())),
        "{location}"
    );

    let with_token = client()
        .get(&location)
        .header(AUTHORIZATION, "Bearer hf_x")
        .send()
        .await
        .unwrap();
    assert_eq!(with_token.status(), StatusCode::BAD_REQUEST);

    let body = client()
        .get(&location)
        .header(RANGE, "bytes=100-")
        .send()
        .await
        .unwrap();
    assert_eq!(body.status(), StatusCode::PARTIAL_CONTENT);
    assert_ne!(
        header(&body, "etag"),
        format!("\"{}\"", file.sha256()),
        "the CDN's ETag is not the sha256"
    );
    assert_eq!(body.bytes().await.unwrap(), file.content.slice(100..));
    assert_eq!(
        file.etag(),
        file.sha256(),
        "an LFS file's etag is its sha256"
    );
    let seen = hub.requests();
    let ranged = seen.iter().find(|r| r.range.is_some()).unwrap();
    assert_eq!(
        (ranged.method.as_str(), ranged.range.as_deref()),
        ("GET", Some("bytes=100-"))
    );
    assert!(ranged.target.starts_with("/blob/") && ranged.if_range.is_none());
    assert!(
        hub.requests()
            .iter()
            .any(|r| r.listener == Listener::Cdn && r.authorization.is_some())
    );
}

#[tokio::test]
async fn signed_cdn_urls_expire() {
    let hub = FakeHub::start(demo_catalog());
    hub.set_signed_url_ttl(Duration::from_secs(1));
    let url = format!(
        "{}/acme/tiny-model/resolve/main/model.safetensors",
        hub.endpoint()
    );
    let head = client().head(&url).send().await.unwrap();
    let location = header(&head, "location");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(
        client().get(&location).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let tampered = location.replace("Signature=", "Signature=0");
    assert_eq!(
        client().get(&tampered).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn errors_carry_the_hub_error_codes() {
    let mut catalog = demo_catalog();
    catalog.push(
        FakeRepo::model("acme/secret")
            .file("config.json", "{}")
            .private(),
    );
    let hub = FakeHub::start(catalog);
    let base = hub.endpoint();
    let get = |path: String, token: Option<&'static str>| {
        let mut req = client().head(format!("{base}{path}"));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        req.send()
    };
    let missing = get("/acme/nope/resolve/main/x".into(), None).await.unwrap();
    assert_eq!(
        (missing.status(), header(&missing, "x-error-code").as_str()),
        (StatusCode::UNAUTHORIZED, "RepoNotFound")
    );
    let missing = get("/acme/nope/resolve/main/x".into(), Some("hf_a"))
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);

    let rev = get("/acme/tiny-model/resolve/nobranch/config.json".into(), None)
        .await
        .unwrap();
    assert_eq!(header(&rev, "x-error-code"), "RevisionNotFound");

    let entry = get("/acme/tiny-model/resolve/main/missing.bin".into(), None)
        .await
        .unwrap();
    assert_eq!(
        (entry.status(), header(&entry, "x-error-code").as_str()),
        (StatusCode::NOT_FOUND, "EntryNotFound")
    );
    assert_eq!(header(&entry, "x-repo-commit"), tiny().commit());

    let gated = get("/acme/tiny-gated/resolve/main/config.json".into(), None)
        .await
        .unwrap();
    assert_eq!(
        (gated.status(), header(&gated, "x-error-code").as_str()),
        (StatusCode::UNAUTHORIZED, "GatedRepo")
    );
    assert!(header(&gated, "x-error-message").contains("Please log in"));
    let gated = get(
        "/acme/tiny-gated/resolve/main/config.json".into(),
        Some("hf_not_granted"),
    )
    .await
    .unwrap();
    assert_eq!(gated.status(), StatusCode::FORBIDDEN);
    hub.grant_token("hf_granted");
    let private = get("/acme/secret/resolve/main/config.json".into(), None)
        .await
        .unwrap();
    assert_eq!(
        (private.status(), header(&private, "x-error-code").as_str()),
        (StatusCode::UNAUTHORIZED, "RepoNotFound")
    );
    let private = get(
        "/acme/secret/resolve/main/config.json".into(),
        Some("hf_granted"),
    )
    .await
    .unwrap();
    assert_eq!(private.status(), StatusCode::OK);
    let gated = get(
        "/acme/tiny-gated/resolve/main/config.json".into(),
        Some("hf_granted"),
    )
    .await
    .unwrap();
    assert_eq!(gated.status(), StatusCode::OK);
}

#[tokio::test]
async fn renamed_repos_answer_with_a_relative_307() {
    let hub = FakeHub::start(demo_catalog());
    let resp = client()
        .get(format!(
            "{}/api/models/acme/old-tiny-model?blobs=true",
            hub.endpoint()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TEMPORARY_REDIRECT);
    assert_eq!(
        header(&resp, "location"),
        "/api/models/acme/tiny-model?blobs=true"
    );
    let resp = client()
        .head(format!(
            "{}/acme/old-tiny-model/resolve/main/config.json",
            hub.endpoint()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()[LOCATION],
        "/acme/tiny-model/resolve/main/config.json"
    );
}

#[tokio::test]
async fn model_info_and_paginated_tree_list_sizes_and_hashes() {
    let hub = FakeHub::start(demo_catalog());
    let repo = tiny();
    let info: serde_json::Value = client()
        .get(format!(
            "{}/api/models/acme/tiny-model/revision/refs%2Fpr%2F1?blobs=true",
            hub.endpoint()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sha"], repo.commit());
    let lfs = info["siblings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["rfilename"] == "model.safetensors")
        .unwrap();
    assert_eq!(
        lfs["lfs"]["sha256"],
        repo.get("model.safetensors").unwrap().sha256()
    );

    hub.set_tree_page_size(2);
    let mut url = format!(
        "{}/api/models/acme/tiny-model/tree/{}?recursive=true&expand=false",
        hub.endpoint(),
        repo.commit()
    );
    let mut paths = Vec::new();
    loop {
        let resp = client().get(&url).send().await.unwrap();
        let next = header(&resp, "link");
        let page: Vec<serde_json::Value> = resp.json().await.unwrap();
        assert!(page.len() <= 2);
        paths.extend(page.iter().map(|e| {
            format!(
                "{}:{}",
                e["type"].as_str().unwrap(),
                e["path"].as_str().unwrap()
            )
        }));
        match next
            .strip_prefix('<')
            .and_then(|n| n.split_once(">; rel=\"next\""))
        {
            Some((n, _)) => url = n.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        paths,
        [
            "file:README.md",
            "file:config.json",
            "directory:gguf",
            "file:gguf/tiny-Q4_K_M.gguf",
            "file:model.safetensors",
            "directory:tokenizer",
            "file:tokenizer/vocab.txt"
        ]
    );
}

#[tokio::test]
async fn search_filters_sorts_and_paginates() {
    let hub = FakeHub::start(demo_catalog());
    let resp = client()
        .get(format!(
            "{}/api/models?search=tiny&sort=downloads&limit=2",
            hub.endpoint()
        ))
        .send()
        .await
        .unwrap();
    assert!(header(&resp, "link").contains("cursor=2"));
    let page: Vec<serde_json::Value> = resp.json().await.unwrap();
    let ids: Vec<&str> = page.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["other/tiny-chat", "acme/tiny-model"]);
    let gguf: Vec<serde_json::Value> = client()
        .get(format!("{}/api/models?filter=gguf", hub.endpoint()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(gguf.len(), 1);
    assert_eq!(gguf[0]["gated"], false);
}

#[tokio::test]
async fn search_with_expand_answers_only_the_fields_asked_for() {
    let hub = FakeHub::start(demo_catalog());
    // Python's huggingface_hub repeats `expand`; huggingface.js sends `expand[]`.
    for query in [
        "expand=gguf&expand=safetensors&expand=siblings",
        "expand%5B%5D=gguf&expand%5B%5D=safetensors&expand%5B%5D=siblings",
    ] {
        let page: Vec<serde_json::Value> = client()
            .get(format!(
                "{}/api/models?search=tiny-model&{query}",
                hub.endpoint()
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let model = page[0].as_object().unwrap();
        let mut keys: Vec<&str> = model.keys().map(String::as_str).collect();
        keys.sort();
        assert_eq!(
            keys,
            ["_id", "gguf", "id", "safetensors", "siblings"],
            "{query}"
        );
        assert_eq!(model["safetensors"]["total"], 75_000);
        assert_eq!(model["gguf"]["total"], 75_000);
        assert_eq!(
            model["siblings"][0],
            serde_json::json!({ "rfilename": "config.json" })
        );
    }
}

async fn fetch_lfs(hub: &FakeHub) -> Result<bytes::Bytes, reqwest::Error> {
    let url = format!(
        "{}/acme/tiny-model/resolve/main/model.safetensors",
        hub.endpoint()
    );
    let location = header(&client().head(&url).send().await.unwrap(), "location");
    client().get(&location).send().await?.bytes().await
}

#[tokio::test]
async fn faults_drop_fail_corrupt_and_ignore_range() {
    let hub = FakeHub::start(demo_catalog());
    let content = tiny().get("model.safetensors").unwrap().content.clone();

    hub.set_faults(Faults {
        drop: Some(DropAfter {
            after: 1000,
            times: 1,
        }),
        ..Faults::default()
    });
    assert!(
        fetch_lfs(&hub).await.is_err(),
        "the connection drops mid-body"
    );
    assert_eq!(fetch_lfs(&hub).await.unwrap(), content, "only once");

    hub.set_faults(Faults {
        fail: Some(Fail {
            status: 429,
            times: 2,
            retry_after: Some(3),
        }),
        ..Faults::default()
    });
    let url = format!(
        "{}/acme/tiny-model/resolve/main/config.json",
        hub.endpoint()
    );
    for _ in 0..2 {
        let resp = client().get(&url).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(header(&resp, "retry-after"), "3");
        assert_eq!(header(&resp, "ratelimit"), "\"resolvers\";r=0;t=3");
    }
    assert_eq!(
        client().get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );

    hub.set_faults(Faults {
        corrupt_at: Some(10),
        ..Faults::default()
    });
    let corrupted = fetch_lfs(&hub).await.unwrap();
    assert_eq!(corrupted.len(), content.len());
    assert_ne!(corrupted[10], content[10]);
    assert_eq!(corrupted[11..], content[11..]);

    hub.set_faults(Faults {
        ignore_range: true,
        ..Faults::default()
    });
    let resp = client()
        .get(&url)
        .header(RANGE, "bytes=3-")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers().get(CONTENT_RANGE).is_none());
    let etag = header(&resp, ETAG.as_str());
    hub.set_faults(Faults::default());
    let stale = client()
        .get(&url)
        .header(RANGE, "bytes=3-")
        .header("if-range", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(
        stale.status(),
        StatusCode::OK,
        "If-Range with another ETag gets the whole file"
    );
    let fresh = client()
        .get(&url)
        .header(RANGE, "bytes=3-")
        .header("if-range", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(fresh.status(), StatusCode::PARTIAL_CONTENT);
}

#[tokio::test]
async fn throttle_and_stall_slow_the_body_and_count_bytes() {
    let hub = FakeHub::start(demo_catalog());
    let url = format!(
        "{}/acme/tiny-model/resolve/main/model.safetensors",
        hub.endpoint()
    );
    let location = header(&client().head(&url).send().await.unwrap(), "location");

    hub.set_faults(Faults {
        throttle: Some(100_000),
        ..Faults::default()
    });
    let mut resp = client().get(&location).send().await.unwrap();
    let started = std::time::Instant::now();
    let mut got = 0usize;
    while got < 50_000 {
        got += resp.chunk().await.unwrap().unwrap().len();
    }
    drop(resp);
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "50 kB at 100 kB/s took {:?}",
        started.elapsed()
    );
    let sent = hub.body_bytes_sent();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        hub.body_bytes_sent() - sent <= 10_000,
        "a dropped response stops sending"
    );

    hub.set_faults(Faults {
        stall: Some(Stall {
            after: 1000,
            pause: Duration::from_secs(30),
            times: 1,
        }),
        ..Faults::default()
    });
    let mut resp = client().get(&location).send().await.unwrap();
    let mut got = 0usize;
    while got < 1000 {
        got += resp.chunk().await.unwrap().unwrap().len();
    }
    let next = tokio::time::timeout(Duration::from_millis(500), resp.chunk()).await;
    assert!(next.is_err(), "no byte arrives during the stall");
}
