//! Who may call what, and a record of every call.
//!
//! Surveillance data is sensitive: with `[[operator]]`s configured, every
//! `lookout.v1` call must carry `authorization: Bearer <token>` of an
//! operator, or come over a TLS connection whose client certificate names one
//! (`certificate_subject`), and that operator's roles must allow the method
//! (UNAUTHENTICATED without a known identity, PERMISSION_DENIED without the
//! role). Tokens are configured as SHA-256 digests, never in clear. Every call — allowed or refused — is
//! written to the log under the target `access` with the operator, method and
//! peer address, so each access is accountable. Health checks and server
//! reflection stay open (they reveal no surveillance data).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sha2::{Digest, Sha256};
use tonic::codegen::http;
use tonic::transport::server::TcpConnectInfo;
use tonic::Status;
use tracing::{info, warn};

use super::limits::ConnectionOwner;
use crate::config::{OperatorConfig, Role};
use crate::listen::PeerInfo;
use crate::metrics::{AuthFailure, Metrics};
use crate::store::AuditRecord;

/// The prefix of the methods that need a token.
const PROTECTED: &str = "/lookout.v1.Lookout/";

/// An authenticated caller; handlers find it in the request's extensions.
#[derive(Debug, Clone)]
pub struct Operator {
    pub name: String,
    /// Holds the admin role (may feed under any source name).
    pub admin: bool,
    /// Rescue is its only way to see alerts: it sees distress and overcrowded alerts only.
    pub rescue_only: bool,
    /// The region it may see (`[[operator]] area`), built once per operator table so a
    /// call only clones the pointer; `None`: the whole sea. Handlers enforce it: a vessel
    /// or alert outside does not exist for this caller.
    pub area: Option<Arc<lookout_picture::BandedPolygon>>,
    /// Its roles, for the audit's record of which one allowed a call.
    pub roles: Vec<Role>,
}

impl Operator {
    /// The role that allows this caller `method` (a `lookout.v1.Lookout` method name):
    /// the first it holds in [`Role::ALL`]'s order, so admin only when nothing narrower does.
    pub fn role_for(&self, method: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| self.roles.contains(r) && r.may_call(method))
    }
}

/// Failed authentications one address may make in [`AUTH_FAILURE_WINDOW_MS`] before every
/// call from it is refused for the rest of the window: 2,000 wrong tokens once took 0.9 s.
pub const MAX_AUTH_FAILURES: u32 = 20;
/// The window of [`MAX_AUTH_FAILURES`], ms.
pub const AUTH_FAILURE_WINDOW_MS: i64 = 60_000;
/// Addresses remembered at most (older windows are forgotten first).
const MAX_TRACKED_PEERS: usize = 65_536;

/// The operators, by token digest, and who has been guessing.
#[derive(Debug, Default)]
pub struct AccessPolicy {
    /// Replaced whole when the operators are reloaded; a call in flight keeps the table
    /// it started with.
    operators: parking_lot::RwLock<Arc<OperatorTable>>,
    /// Failed authentications per address: (count, window start ms).
    failures: parking_lot::Mutex<HashMap<std::net::IpAddr, (u32, i64)>>,
    /// Where refusals are counted (`lookout_auth_failures_total`).
    metrics: Arc<Metrics>,
    /// Connections per operator (`[service] max_connections_per_operator`).
    pub connections: Arc<super::limits::OperatorConnections>,
}

/// An operator, with which roles, until when (ms).
type Entry = (Operator, Vec<Role>, Option<i64>);

/// The operators, by how they prove who they are.
#[derive(Debug, Default)]
struct OperatorTable {
    by_digest: HashMap<[u8; 32], Entry>,
    /// By the RFC 4514 subject of their client certificate.
    by_subject: HashMap<String, Entry>,
}

impl OperatorTable {
    fn len(&self) -> usize {
        self.by_digest.len() + self.by_subject.len()
    }
}

impl AccessPolicy {
    /// From the configuration (validated there: digests are 64 hex digits), with at most
    /// `max_connections_per_operator` connections per operator.
    pub fn new(operators: &[OperatorConfig], max_connections_per_operator: usize, metrics: Arc<Metrics>) -> Self {
        Self {
            operators: parking_lot::RwLock::new(Arc::new(table(operators))),
            failures: Default::default(),
            metrics,
            connections: Arc::new(super::limits::OperatorConnections::new(max_connections_per_operator)),
        }
    }

    /// Puts `operators` in force for every call from now on (a reload: tokens added,
    /// revoked or given new roles without a restart). Returns how many there were before.
    pub fn replace(&self, operators: &[OperatorConfig]) -> usize {
        let new = Arc::new(table(operators));
        std::mem::replace(&mut *self.operators.write(), new).len()
    }

    /// No operators configured: the API is open (a trusted network only).
    pub fn is_open(&self) -> bool {
        self.operators.read().len() == 0
    }

    /// Who is calling `path` from `peer` (with the subject of its verified client
    /// certificate, if any), or why not (with the operator, when the identity was
    /// good but the role is missing, or it holds too many connections). The
    /// connection (`owner`, from our acceptor) counts for the operator from its first
    /// call on.
    fn check(
        &self,
        headers: &http::HeaderMap,
        path: &str,
        peer: Option<std::net::IpAddr>,
        certificate_subject: Option<&str>,
        owner: Option<&super::limits::ConnectionOwner>,
    ) -> Result<Option<Operator>, (Option<String>, Status)> {
        if self.is_open() || !path.starts_with(PROTECTED) {
            return Ok(None);
        }
        let now = lookout_core::time::wall_ms();
        if let Some(ip) = peer {
            if let Some(&(n, start)) = self.failures.lock().get(&ip) {
                let left_ms = start + AUTH_FAILURE_WINDOW_MS - now;
                if n >= MAX_AUTH_FAILURES && left_ms > 0 {
                    self.metrics.auth_failed(AuthFailure::LockedOut);
                    return Err((
                        None,
                        Status::resource_exhausted(format!(
                        "{n} failed authentications from {ip} within {} s (MAX_AUTH_FAILURES {MAX_AUTH_FAILURES}): \
                         refused for {} s more",
                        AUTH_FAILURE_WINDOW_MS / 1000,
                        left_ms / 1000 + 1
                    )),
                    ));
                }
            }
        }
        let who = self.authenticate(headers, certificate_subject, now);
        if let Err((why, _)) = &who {
            self.metrics.auth_failed(*why);
            if let Some(ip) = peer {
                self.failed(ip, now);
            }
        }
        let (op, roles) = who.map_err(|(_, status)| (None, status))?;
        let method = &path[PROTECTED.len()..];
        if !roles.iter().any(|r| r.may_call(method)) {
            let need = Role::for_method(method);
            self.metrics.auth_failed(AuthFailure::PermissionDenied);
            let status = Status::permission_denied(format!("{} lacks the {need:?} role for {path}", op.name));
            return Err((Some(op.name), status));
        }
        if let Some(owner) = owner {
            if let Err(status) = self.connections.claim(owner, &op.name) {
                return Err((Some(op.name), status));
            }
        }
        Ok(Some(op))
    }

    /// The operator a request's bearer token names or, without a token, the one
    /// its client certificate names, if it is known and not expired; otherwise
    /// why not (for the metrics) and the refusal. A token wins over a
    /// certificate: it names a person, where the certificate may be a shared
    /// workstation's.
    fn authenticate(
        &self,
        headers: &http::HeaderMap,
        certificate_subject: Option<&str>,
        now_ms: i64,
    ) -> Result<(Operator, Vec<Role>), (AuthFailure, Status)> {
        let token = headers.get(http::header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer_token);
        let table = self.operators.read().clone();
        let (op, roles, expires) = match (token, certificate_subject) {
            (Some(token), _) => {
                let digest: [u8; 32] = Sha256::digest(token.trim().as_bytes()).into();
                table
                    .by_digest
                    .get(&digest)
                    .ok_or_else(|| (AuthFailure::UnknownToken, Status::unauthenticated("unknown token")))?
            }
            (None, Some(subject)) => table.by_subject.get(subject).ok_or_else(|| {
                (
                    AuthFailure::UnknownCertificate,
                    Status::unauthenticated(format!(
                        "the client certificate's subject {subject:?} is no operator's certificate_subject"
                    )),
                )
            })?,
            (None, None) => {
                return Err((
                    AuthFailure::MissingToken,
                    Status::unauthenticated(
                        "authorization: Bearer <token> (or a client certificate of an operator) is required",
                    ),
                ))
            }
        };
        if let Some(t) = expires.filter(|t| now_ms >= *t) {
            return Err((
                AuthFailure::ExpiredToken,
                Status::unauthenticated(format!(
                    "the token of {} expired at {}",
                    op.name,
                    lookout_core::time::rfc3339_ms(t)
                )),
            ));
        }
        Ok((op.clone(), roles.clone()))
    }

    /// Counts a failed authentication from `ip`.
    fn failed(&self, ip: std::net::IpAddr, now_ms: i64) {
        let mut f = self.failures.lock();
        if f.len() >= MAX_TRACKED_PEERS {
            f.retain(|_, (_, start)| now_ms - *start < AUTH_FAILURE_WINDOW_MS);
        }
        let e = f.entry(ip).or_insert((0, now_ms));
        if now_ms - e.1 >= AUTH_FAILURE_WINDOW_MS {
            *e = (0, now_ms);
        }
        e.0 += 1;
    }
}

/// The operator table of a configuration (validated there: each operator has a
/// token digest or a certificate subject). An operator whose area does not make a
/// polygon (the configuration's validation refuses it first) is left out, so it is
/// refused rather than shown the whole sea.
fn table(operators: &[OperatorConfig]) -> OperatorTable {
    let mut table = OperatorTable::default();
    for o in operators {
        let Ok(area) = o.region() else { continue };
        let entry = (
            Operator {
                name: o.name.clone(),
                admin: o.roles.contains(&Role::Admin),
                rescue_only: o.roles.contains(&Role::Rescue)
                    && !o.roles.iter().any(|r| matches!(r, Role::Viewer | Role::Operator | Role::Admin)),
                area,
                roles: o.roles.clone(),
            },
            o.roles.clone(),
            o.expires_ms().ok().flatten(),
        );
        if let Some(digest) = o.digest() {
            table.by_digest.insert(digest, entry);
        } else if let Some(subject) = &o.certificate_subject {
            table.by_subject.insert(subject.trim().to_string(), entry);
        }
    }
    table
}

/// The token of an `authorization` value: the auth scheme is
/// case-insensitive (RFC 9110 §11.1), so `bearer x` and `BEARER x` count too.
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim_start().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then_some(token.trim()).filter(|t| !t.is_empty())
}

/// SHA-256 of a token, as the configuration holds it (lowercase hex).
pub fn token_digest_hex(token: &str) -> String {
    Sha256::digest(token.trim().as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Takes one audit record per `lookout.v1` call (the archive, in the service).
pub type Audit = Arc<dyn Fn(AuditRecord) + Send + Sync>;

/// The tower layer putting [`AccessPolicy`] in front of every route, and
/// handing each call's audit record to the sink.
#[derive(Clone)]
pub struct AccessLayer {
    policy: Arc<AccessPolicy>,
    audit: Option<Audit>,
}

impl AccessLayer {
    pub fn new(policy: Arc<AccessPolicy>) -> Self {
        Self { policy, audit: None }
    }

    /// Every `lookout.v1` call also goes to `audit`: who, what, from where, and how
    /// it ended ("OK" once the answer or the stream starts, else the gRPC code).
    /// Refusals while an address is locked out for guessing are not recorded one by
    /// one (they are counted in `lookout_auth_failures_total{reason="locked_out"}`),
    /// so a flood of guesses cannot fill the disk.
    pub fn with_audit(mut self, audit: Option<Audit>) -> Self {
        self.audit = audit;
        self
    }
}

impl<S> tower::Layer<S> for AccessLayer {
    type Service = AccessService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        AccessService { inner, policy: self.policy.clone(), audit: self.audit.clone() }
    }
}

#[derive(Clone)]
pub struct AccessService<S> {
    inner: S,
    policy: Arc<AccessPolicy>,
    audit: Option<Audit>,
}

/// The outcome a response's headers carry: tonic sends an error as a trailers-only
/// response (`grpc-status` in the headers); a success, or a stream, has none yet.
fn outcome_of(headers: &http::HeaderMap) -> String {
    match headers.get("grpc-status").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<i32>().ok()) {
        None | Some(0) => "OK".into(),
        Some(c) => code_name(tonic::Code::from_i32(c)),
    }
}

/// "PERMISSION_DENIED" for `Code::PermissionDenied`: the names gRPC's documents use.
fn code_name(c: tonic::Code) -> String {
    let debug = format!("{c:?}");
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_uppercase());
    }
    out.replace("O_K", "OK")
}

/// The caller's address, certificate subject and connection, from our acceptor's
/// [`PeerInfo`] (a server not behind it has only tonic's `TcpConnectInfo`). The
/// `TcpConnectInfo` is put in the request, where tonic's `Request::remote_addr` looks
/// for it (the handlers' limits per address).
fn peer<B>(req: &mut http::Request<B>) -> (Option<SocketAddr>, Option<Arc<str>>, Option<ConnectionOwner>) {
    let ext = req.extensions_mut();
    let Some(info) = ext.get::<PeerInfo>().cloned() else {
        return (ext.get::<TcpConnectInfo>().and_then(|i| i.remote_addr()), None, None);
    };
    let addr = info.tcp.remote_addr();
    ext.insert(info.tcp);
    (addr, info.certificate_subject, Some(info.owner))
}

impl<S, B, R> tower::Service<http::Request<B>> for AccessService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    R: Default + Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn std::future::Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: http::Request<B>) -> Self::Future {
        let path = req.uri().path().to_string();
        let (addr, subject, owner) = peer(&mut req);
        let peer = addr.map(|p| p.to_string()).unwrap_or_default();
        let audit = self.audit.clone().filter(|_| path.starts_with(PROTECTED));
        match self.policy.check(req.headers(), &path, addr.map(|a| a.ip()), subject.as_deref(), owner.as_ref()) {
            Ok(op) => {
                let who = op.as_ref().map_or("-", |o| o.name.as_str()).to_string();
                if path.starts_with(PROTECTED) {
                    info!(target: "access", operator = %who, method = ?path, peer = %peer, "call");
                }
                // Audited calls: the role that allowed it and its purpose now, and a note
                // the handler fills with what was asked and how much was answered.
                let audited = audit.map(|audit| {
                    let role = op.as_ref().and_then(|o| o.role_for(&path[PROTECTED.len()..]));
                    let purpose = super::audit::purpose(role, req.headers());
                    let note = super::audit::Note::attached();
                    req.extensions_mut().insert(note.clone());
                    (audit, role, purpose, note)
                });
                if let Some(op) = op {
                    req.extensions_mut().insert(op);
                }
                // The inner service was made ready by poll_ready; take it and
                // leave a clone for the next call (tower's usual pattern).
                let clone = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, clone);
                let answer = inner.call(req);
                match audited {
                    None => Box::pin(answer),
                    Some((audit, role, purpose, note)) => Box::pin(async move {
                        let res = answer.await;
                        let outcome = match &res {
                            Ok(r) => outcome_of(r.headers()),
                            Err(_) => "INTERNAL".into(),
                        };
                        let noted = note.take();
                        audit(AuditRecord {
                            operator: who,
                            method: path,
                            peer,
                            // A count only for an answer: an error answered nothing.
                            results: noted.results.filter(|_| outcome == "OK"),
                            outcome,
                            reason: String::new(),
                            role: role.map(|r| r.name().to_string()).unwrap_or_default(),
                            purpose,
                            args: noted.args,
                        });
                        res
                    }),
                }
            }
            Err((who, status)) => {
                warn!(target: "access", operator = who.as_deref().unwrap_or("-"), method = ?path, peer = %peer, code = ?status.code(), reason = ?status.message(), "refused");
                if let Some(audit) = audit.filter(|_| status.code() != tonic::Code::ResourceExhausted) {
                    audit(AuditRecord {
                        operator: who.unwrap_or_else(|| "-".into()),
                        method: path,
                        peer,
                        outcome: code_name(status.code()),
                        reason: status.message().chars().take(200).collect(),
                        role: String::new(),
                        // What the caller said the call was for, if anything: no role allowed it.
                        purpose: super::audit::purpose(None, req.headers()),
                        args: String::new(),
                        results: None,
                    });
                }
                Box::pin(async move { Ok(status.into_http()) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bearer_scheme_is_case_insensitive() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("BEARER  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearerabc"), None);
    }
}
