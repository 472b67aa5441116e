//! The one redirect follower. Every request to the Hub or its CDN goes through it, so three
//! rules hold everywhere: the token goes only to the endpoint's own origin, only `http` and
//! `https` are followed (a `file:` or `ftp:` target is refused at once, not retried), and a
//! chain of redirects ends after [`MAX_REDIRECTS`] hops.

use reqwest::header::LOCATION;
use reqwest::{RequestBuilder, Response, Url};

use super::HubClient;
use super::client::{host_of, network_error, protocol};
use crate::error::Result;

/// Redirects followed before giving up (renamed repos need one or two, a CDN one more).
pub(crate) const MAX_REDIRECTS: usize = 10;

/// Which redirects to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Follow {
    /// Only relative ones (a renamed repo); an absolute one (a CDN) is returned as it is, for
    /// the caller to read its `Location`.
    Relative,
    /// Every one, wherever it points.
    All,
}

impl HubClient {
    /// Sends the request `build` makes for `url`, with the token where it may go, following
    /// redirects as `follow` says. Returns the answer and the URL that gave it.
    ///
    /// # Errors
    ///
    /// [`crate::error::Error::Protocol`] for a redirect loop or a target that is not http(s);
    /// [`crate::error::Error::Network`] when a request cannot be sent or answered.
    pub(crate) async fn send_following(
        &self,
        url: &str,
        follow: Follow,
        build: impl Fn(&str) -> RequestBuilder,
    ) -> Result<(Response, String)> {
        let mut url = checked(url, url)?;
        for _ in 0..=MAX_REDIRECTS {
            let request = self.authorize(build(url.as_str()), url.as_str());
            let response = request
                .send()
                .await
                .map_err(|e| network_error(url.as_str(), &e))?;
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok());
            let (true, Some(location)) = (response.status().is_redirection(), location) else {
                return Ok((response, url.into()));
            };
            if follow == Follow::Relative && Url::parse(location).is_ok() {
                return Ok((response, url.into()));
            }
            let next = url
                .join(location)
                .map_err(|e| protocol(url.as_str(), format!("bad redirect {location:?}: {e}")))?;
            url = checked(next.as_str(), url.as_str())?;
        }
        Err(protocol(
            url.as_str(),
            format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }
}

/// `url` parsed, if it is an address Modelshelf may fetch; `from` is who sent us there.
fn checked(url: &str, from: &str) -> Result<Url> {
    let parsed = Url::parse(url).map_err(|e| protocol(from, format!("bad address: {e}")))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        scheme => Err(protocol(
            from,
            format!(
                "it sent the download to a {scheme}: address ({}), which Modelshelf does not \
                 follow; only http and https are fetched",
                host_of(url)
            ),
        )),
    }
}
