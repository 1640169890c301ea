//! One refresh at a time per refresh token, in this process, and the memory of recent
//! refreshes: a rotating provider revokes the whole grant when a consumed refresh token
//! comes back, so no copy of a session may ever send one again.
//!
//! Copies of a session are everywhere with cookies: every request the browser sent
//! before our `Set-Cookie` arrived carries the old refresh token. Those requests find
//! here what the refresh produced, keyed by a hash of the token it consumed.
//! Across app instances this needs a shared store: an in-process map cannot see them.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use super::{
    TokenError, TokenRequest,
    grant::{self, RefreshOutcome},
};
use crate::{
    error::{OAuthErrorCode, ProviderError},
    hash::TokenHash,
    oidc::Client,
    session::{SessionData, StoredToken},
};

/// How long a refresh's result is remembered for copies of the session that still
/// carry the consumed token.
const REMEMBER_FOR: Duration = Duration::from_secs(60);

fn hash(token: &str) -> TokenHash {
    TokenHash::of(token)
}

#[derive(Debug, Clone)]
enum Outcome {
    Refreshed(Arc<RefreshOutcome>),
    /// The provider answered `invalid_grant`: the session is over.
    Revoked,
}

/// What catching up with recent refreshes did to a session.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum CatchUp {
    Unchanged,
    Changed,
    Revoked,
}

#[derive(Default)]
pub(crate) struct RefreshCoordinator {
    locks: Mutex<HashMap<TokenHash, Arc<tokio::sync::Mutex<()>>>>,
    recent: Mutex<HashMap<TokenHash, (Instant, Outcome)>>,
}

impl RefreshOutcome {
    /// Brings a copy of the session that still holds the consumed refresh token up to
    /// date with what this refresh produced.
    pub(crate) fn apply(&self, data: &mut SessionData) {
        if let Some(refresh_token) = &self.refresh_token {
            data.refresh_token = Some(refresh_token.clone());
        }
        if let Some((id_token, id_expires_at)) = &self.id_token {
            data.id_token = id_token.clone();
            data.id_expires_at = *id_expires_at;
        }
        if self.refresh_token.is_some() || self.id_token.is_some() {
            // Strictly newer than the tokens it replaces, even when this clock is
            // behind the one that issued those: a merge must never prefer the parent.
            data.issued_at = self.issued_at.max(data.issued_at.saturating_add(1));
        }
        match &self.key {
            None => data.access_token = Some(self.token.clone()),
            Some(key) => {
                data.tokens.insert(key.clone(), self.token.clone());
            }
        }
    }
}

impl RefreshCoordinator {
    fn recent(&self, token: &TokenHash) -> Option<(Instant, Outcome)> {
        let recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent
            .get(token)
            .filter(|(at, _)| at.elapsed() < REMEMBER_FOR)
            .cloned()
    }

    /// Whether this process refreshed or revoked the refresh token with this SHA-256
    /// lately: a copy of the session that still holds it must be caught up.
    /// Records that the session of `refresh_token` signed out: this process refuses
    /// its cookie from now on (the cookie reader and the session cache ask
    /// [`has_news`](Self::has_news)) for as long as it remembers outcomes, which
    /// covers the requests of that session already in flight.
    pub(crate) fn signed_out(&self, refresh_token: &str) {
        self.remember(hash(refresh_token), Outcome::Revoked);
    }

    pub(crate) fn has_news(&self, token: &TokenHash) -> bool {
        self.recent(token).is_some()
    }

    fn remember(&self, token: TokenHash, outcome: Outcome) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.retain(|_, (at, _)| at.elapsed() < REMEMBER_FOR);
        recent.insert(token, (Instant::now(), outcome));
    }

    fn lock_for(&self, token: TokenHash) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(token).or_default().clone()
    }

    /// Drops the lock of `token` once nobody else holds or waits for it.
    fn release(&self, token: TokenHash, lock: Arc<tokio::sync::Mutex<()>>) {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        // Two references: ours and the map's.
        if Arc::strong_count(&lock) <= 2 {
            locks.remove(&token);
        }
    }

    /// [`catch_up`](Self::catch_up) of a shared session whose refresh token hashes to
    /// `refresh_token`: copied only when a refresh changes it, so the steady path (no
    /// news of its refresh token) copies nothing.
    pub(crate) fn catch_up_shared(
        &self,
        data: &mut Arc<SessionData>,
        refresh_token: Option<&TokenHash>,
    ) -> CatchUp {
        if !refresh_token.is_some_and(|token| self.has_news(token)) {
            return CatchUp::Unchanged;
        }
        self.catch_up(Arc::make_mut(data))
    }

    /// Brings a copy of a session up to date with refreshes other requests made.
    pub(crate) fn catch_up(&self, data: &mut SessionData) -> CatchUp {
        let mut result = CatchUp::Unchanged;
        // Each step follows one rotation; a chain longer than this is not ours.
        for _ in 0..16 {
            let Some(token) = data.refresh_token.as_deref().map(hash) else {
                break;
            };
            match self.recent(&token).map(|(_, outcome)| outcome) {
                Some(Outcome::Revoked) => return CatchUp::Revoked,
                Some(Outcome::Refreshed(outcome)) => {
                    let before = data.clone();
                    outcome.apply(data);
                    if *data == before {
                        break;
                    }
                    result = CatchUp::Changed;
                    if outcome
                        .refresh_token
                        .as_deref()
                        .is_none_or(|new| hash(new) == token)
                    {
                        break;
                    }
                }
                None => break,
            }
        }
        result
    }

    /// Refreshes the token of `request` (`None`: the userinfo token and the ID token)
    /// into `data`, waiting for and reusing any refresh in flight for the same refresh
    /// token. A forced request (or `forced`, when the provider refused the token)
    /// reuses only a refresh that ended after it started.
    pub(crate) async fn refresh_single_flight(
        &self,
        client: &Client<'_>,
        data: &mut SessionData,
        request: Option<&TokenRequest>,
        forced: bool,
        sub: &str,
    ) -> Result<StoredToken, TokenError> {
        let key = request.map(TokenRequest::key);
        let forced = forced || request.is_some_and(TokenRequest::is_forced);
        let not_before = forced.then(Instant::now);
        for _ in 0..16 {
            let refresh_token = data
                .refresh_token
                .clone()
                .ok_or(TokenError::NoRefreshToken)?;
            let token_hash = hash(&refresh_token);
            let lock = self.lock_for(token_hash);
            let guard = lock.lock().await;
            let result = self
                .refresh_holding_token_lock(
                    client,
                    data,
                    request,
                    sub,
                    &refresh_token,
                    token_hash,
                    key.as_ref(),
                    not_before,
                )
                .await;
            drop(guard);
            self.release(token_hash, lock);
            match result {
                Step::Done(result) => return result,
                Step::Retry => continue,
            }
        }
        Err(TokenError::Provider(ProviderError::InvalidResponse {
            url: client.settings.discovery_url(),
            reason: "the refresh token kept changing under concurrent refreshes".into(),
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn refresh_holding_token_lock(
        &self,
        client: &Client<'_>,
        data: &mut SessionData,
        request: Option<&TokenRequest>,
        sub: &str,
        refresh_token: &str,
        token_hash: TokenHash,
        key: Option<&String>,
        not_before: Option<Instant>,
    ) -> Step {
        match self.recent(&token_hash) {
            Some((_, Outcome::Revoked)) => return Step::Done(Err(TokenError::SessionEnded)),
            Some((at, Outcome::Refreshed(outcome))) => {
                outcome.apply(data);
                if outcome.key.as_ref() == key && not_before.is_none_or(|start| at >= start) {
                    return Step::Done(Ok(outcome.token.clone()));
                }
                if data.refresh_token.as_deref() != Some(refresh_token) {
                    // Rotated: the token we hold now is another one, with its own lock.
                    return Step::Retry;
                }
                // Not rotated: this token may be sent again for our key.
            }
            None => {}
        }
        match grant::send_refresh_grant(client, refresh_token, request, sub).await {
            Ok(outcome) => {
                outcome.apply(data);
                let token = outcome.token.clone();
                self.remember(token_hash, Outcome::Refreshed(Arc::new(outcome)));
                Step::Done(Ok(token))
            }
            Err(ProviderError::OAuth(oauth)) if oauth.code == OAuthErrorCode::InvalidGrant => {
                self.remember(token_hash, Outcome::Revoked);
                Step::Done(Err(TokenError::SessionEnded))
            }
            Err(error) => Step::Done(Err(TokenError::from_provider(error))),
        }
    }
}

enum Step {
    Done(Result<StoredToken, TokenError>),
    Retry,
}
