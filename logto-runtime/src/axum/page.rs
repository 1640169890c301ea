//! Small HTML pages for errors a browser lands on.

use axum::response::{Html, IntoResponse, Response};
use http::StatusCode;

use crate::error::PublicMessage;

/// Escapes text for HTML.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text`, escaped, with its `code spans` shown as code and its first letter capital.
fn reason_html(text: &str) -> String {
    let mut chars = text.chars();
    let text = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    };
    escape(&text)
        .split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                format!("<code>{part}</code>")
            } else {
                part.to_owned()
            }
        })
        .collect()
}

/// A readable error page: what happened, in the words of a [`PublicMessage`] (never an
/// error's details), and a way back.
pub(crate) fn error_page(
    status: StatusCode,
    title: &str,
    reason: &PublicMessage,
    sign_in_path: &str,
) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#222}}\
         code{{background:#f3f3f3;padding:.1rem .3rem;border-radius:3px}}</style></head>\
         <body><h1>{title}</h1><p id=\"reason\">{reason}</p>\
         <p><a href=\"/\">Home</a> · <a href=\"{sign_in}\">Sign in again</a></p></body></html>",
        title = escape(title),
        reason = reason_html(reason.description()),
        sign_in = escape(sign_in_path),
    );
    (status, Html(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_read_well_and_stay_escaped() {
        assert_eq!(
            reason_html("the provider refused the sign-in with `access_denied`: <b>no</b>"),
            "The provider refused the sign-in with <code>access_denied</code>: &lt;b&gt;no&lt;/b&gt;"
        );
    }
}
