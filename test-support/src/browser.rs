//! A cookie-keeping HTTP "browser" that follows redirects one hop at a time, so a test
//! can look at every hop of a sign-in, and fills in the test provider's login form.

use std::{sync::Arc, time::Duration};

use reqwest::{StatusCode, cookie::CookieStore, header};
use serde_json::Value;

/// A cookie-keeping client that follows redirects one hop at a time.
pub struct Browser {
    /// Sends the jar's cookies and follows no redirect by itself.
    pub http: reqwest::Client,
    /// The cookies the browser holds.
    pub jar: Arc<reqwest::cookie::Jar>,
}

/// Where a walk through redirects stopped, and the answer there.
pub struct Hop {
    pub url: String,
    pub response: reqwest::Response,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // A hung server fails the test instead of hanging the run.
            .timeout(Duration::from_secs(20))
            .build()
            .unwrap();
        Self { http, jar }
    }

    pub async fn get(&self, url: &str) -> reqwest::Response {
        self.http.get(url).send().await.unwrap()
    }

    /// Follows redirects from `response` (at `url`) until an answer that is not one,
    /// or until the next hop would leave for a URL `stop` accepts.
    pub async fn follow_until(
        &self,
        url: &str,
        mut response: reqwest::Response,
        stop: impl Fn(&str) -> bool,
    ) -> Hop {
        let mut url = url.to_owned();
        for _ in 0..20 {
            if !response.status().is_redirection() {
                break;
            }
            let location = response.headers()[header::LOCATION]
                .to_str()
                .unwrap()
                .to_owned();
            let next = reqwest::Url::parse(&url)
                .unwrap()
                .join(&location)
                .unwrap()
                .to_string();
            if stop(&next) {
                return Hop {
                    url: next,
                    response,
                };
            }
            url = next;
            response = self.get(&url).await;
        }
        Hop { url, response }
    }

    /// Gets `url` and follows every redirect.
    pub async fn follow(&self, url: &str) -> Hop {
        let response = self.get(url).await;
        self.follow_until(url, response, |_| false).await
    }

    /// From a sign-in URL to the provider's login form; returns the form's page.
    pub async fn open_login_form(&self, sign_in_url: &str) -> Hop {
        let hop = self.follow(sign_in_url).await;
        assert_eq!(hop.response.status(), StatusCode::OK, "at {}", hop.url);
        hop
    }

    /// Submits the login form of `page` and follows until the app's callback, which is
    /// returned unvisited.
    pub async fn submit_login(
        &self,
        page: Hop,
        username: &str,
        password: &str,
        app_base: &str,
    ) -> String {
        let html = page.response.text().await.unwrap();
        let action = form_action(&html, "login").expect("the provider shows its login form");
        let action = reqwest::Url::parse(&page.url)
            .unwrap()
            .join(&action)
            .unwrap()
            .to_string();
        let response = self
            .http
            .post(&action)
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap();
        let hop = self
            .follow_until(&action, response, |next| next.starts_with(app_base))
            .await;
        assert!(
            hop.url.starts_with(app_base),
            "expected a redirect to the app, got {} ({})",
            hop.url,
            hop.response.status()
        );
        hop.url
    }

    /// Signs in to the app at `app_base` (its `/sign-in`) through the provider's form;
    /// returns the app's answer to the callback.
    pub async fn sign_in(&self, app_base: &str, username: &str, password: &str) -> Hop {
        let form = self.open_login_form(&format!("{app_base}/sign-in")).await;
        let callback = self.submit_login(form, username, password, app_base).await;
        let response = self.get(&callback).await;
        Hop {
            url: callback,
            response,
        }
    }

    /// Signs in as the provider's `demo` user; the callback must redirect (303).
    pub async fn sign_in_demo(&self, app_base: &str) -> Hop {
        let hop = self.sign_in(app_base, "demo", "demo-password").await;
        assert_eq!(
            hop.response.status(),
            StatusCode::SEE_OTHER,
            "callback answered {}",
            hop.response.status()
        );
        hop
    }

    /// Posts the app's sign-out form, as a same-origin page does.
    pub async fn sign_out(&self, app_base: &str) -> reqwest::Response {
        self.http
            .post(format!("{app_base}/sign-out"))
            .header(header::ORIGIN, app_base)
            .send()
            .await
            .unwrap()
    }

    /// The status and the JSON body (`null` when the body is not JSON) of `url`.
    pub async fn json(&self, url: &str) -> (StatusCode, Value) {
        let response = self.get(url).await;
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The `Cookie` header the browser would send to `url`, empty when it holds no
    /// cookie for it: to replay a session from another client, or to measure it.
    pub fn cookie_header(&self, url: &str) -> String {
        self.jar
            .cookies(&url.parse().unwrap())
            .map(|header| header.to_str().unwrap().to_owned())
            .unwrap_or_default()
    }

    /// The names of the cookies the browser would send to `url`.
    pub fn cookie_names(&self, url: &str) -> Vec<String> {
        self.cookie_header(url)
            .split("; ")
            .filter_map(|pair| pair.split_once('=').map(|(n, _)| n.to_owned()))
            .collect()
    }
}

/// The `action` of the form with `id`, HTML-unescaped.
pub fn form_action(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let form_start = html[..start].rfind("<form")?;
    let tag_end = form_start + html[form_start..].find('>')?;
    let tag = &html[form_start..tag_end];
    let action = tag.split("action=\"").nth(1)?.split('"').next()?;
    Some(action.replace("&amp;", "&"))
}

/// The hidden inputs of a form, as (name, value).
pub fn hidden_inputs(html: &str) -> Vec<(String, String)> {
    html.split("<input")
        .skip(1)
        .filter(|tag| tag.contains("type=\"hidden\""))
        .filter_map(|tag| {
            let name = tag.split("name=\"").nth(1)?.split('"').next()?;
            let value = tag.split("value=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), value.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_form_action_is_found_and_unescaped() {
        let html = r#"<form method="post" action="/interaction/abc/login?x=1&amp;y=2" id="login">
            <input type="hidden" name="uid" value="abc"><input name="username"></form>"#;
        assert_eq!(
            form_action(html, "login").as_deref(),
            Some("/interaction/abc/login?x=1&y=2")
        );
        assert_eq!(form_action(html, "consent"), None);
        assert_eq!(
            hidden_inputs(html),
            vec![("uid".to_owned(), "abc".to_owned())]
        );
    }

    #[test]
    fn cookies_are_read_back_for_their_origin_only() {
        let browser = Browser::new();
        let url = "http://127.0.0.1:9/".parse().unwrap();
        browser.jar.add_cookie_str("a=1; Path=/", &url);
        browser.jar.add_cookie_str("b=2; Path=/", &url);
        let header = browser.cookie_header("http://127.0.0.1:9/");
        let mut pairs: Vec<&str> = header.split("; ").collect();
        pairs.sort();
        assert_eq!(pairs, ["a=1", "b=2"]);
        let mut names = browser.cookie_names("http://127.0.0.1:9/");
        names.sort();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(browser.cookie_header("http://127.0.0.2:9/"), "");
        assert!(browser.cookie_names("http://127.0.0.2:9/").is_empty());
    }
}
