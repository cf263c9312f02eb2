//! The router: model strings (`oracle`, `nop`, `provider/model`), the optional TOML
//! configuration (providers, prices, retry settings), pricing, and [`Router::complete`],
//! which turns every call into a [`CallOutcome`] with one [`AttemptRecord`] per attempt.
//!
//! It must never panic on any input, never hold an API key (keys are read from the
//! environment at call time by the provider), and never retry outside [`super::retry`].

use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::openai::{KeySource, OpenAiProvider};
use super::retry::RetryPolicy;
use super::script::{self, OfflineModel};
use super::types::{
    Completion, LlmError, Request, Usage, canonical_json, sha256_hex, to_value_lossless,
};
use super::{nop, oracle};

/// Default whole-request timeout of HTTP providers.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// TCP/TLS connect timeout of the shared HTTP client.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Base URL of `openai/*` when OPENAI_BASE_URL is unset.
pub const OPENAI_DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

/// Per-episode facts a provider may need (the oracle needs the solution). Never contains keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EpisodeContext {
    pub episode_key: String,
    pub sample: u32,
    pub solution: Option<String>,
    /// The task instance and the scaffold's name (the `replay:` model looks episodes up by
    /// them).
    pub instance_id: String,
    pub scaffold: String,
    /// Model calls made so far in this attempt (all purposes): the index of this call.
    pub call_index: u32,
}

/// One HTTP attempt (or one built-in answer), to be stored as an `llm_calls` row.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptRecord {
    /// 1 for the first attempt of a call.
    pub attempt: u32,
    /// Provider name: `oracle`, `nop`, `openai` or a configured name.
    pub provider: String,
    /// The full model string of the call (`provider/model`, or `oracle`/`nop`).
    pub model: String,
    /// The exact JSON sent (keys travel only in headers; any fragment of a known key is
    /// removed all the same), or for built-ins the canonical request JSON.
    pub request_body: String,
    /// The response body (error bodies redacted; successful bodies have any fragment of
    /// the key removed), or for built-ins the answer as canonical JSON.
    pub response_body: Option<String>,
    pub status: Option<u16>,
    /// Why the attempt failed (redacted, one line).
    pub error: Option<String>,
    pub latency: Duration,
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Usage of a successful attempt.
    pub usage: Option<Usage>,
    pub cost_usd: f64,
    /// Backoff waited before this attempt.
    pub wait_before: Duration,
}

/// The result of a call and every attempt made for it.
#[derive(Debug, Clone)]
pub struct CallOutcome {
    pub result: Result<Completion, LlmError>,
    pub attempts: Vec<AttemptRecord>,
}

impl CallOutcome {
    /// A call that failed before any attempt.
    pub fn failed(e: LlmError) -> CallOutcome {
        CallOutcome {
            result: Err(e),
            attempts: Vec::new(),
        }
    }
}

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub input_per_mtok: f64,
    pub output_per_mtok: f64,
    /// Price of prompt tokens served from the cache; the input price when absent.
    #[serde(default)]
    pub cached_input_per_mtok: Option<f64>,
}

impl Price {
    /// Cost of `u` (cached tokens are part of `prompt_tokens` and priced once, at the
    /// cached rate; reasoning tokens are part of `completion_tokens`).
    pub fn cost(&self, u: &Usage) -> f64 {
        let cached = u.cached_tokens.min(u.prompt_tokens);
        let uncached = u.prompt_tokens - cached;
        let cached_price = self.cached_input_per_mtok.unwrap_or(self.input_per_mtok);
        (uncached as f64 * self.input_per_mtok
            + cached as f64 * cached_price
            + u.completion_tokens as f64 * self.output_per_mtok)
            / 1e6
    }
}

/// A few well-known OpenAI list prices (USD per million tokens: input, output, cached
/// input). The config's `[prices]` overrides and extends them; unknown models cost 0.
const BUILTIN_PRICES: &[(&str, f64, f64, f64)] = &[
    ("openai/gpt-4o", 2.50, 10.00, 1.25),
    ("openai/gpt-4o-mini", 0.15, 0.60, 0.075),
    ("openai/gpt-4.1", 2.00, 8.00, 0.50),
    ("openai/gpt-4.1-mini", 0.40, 1.60, 0.10),
    ("openai/gpt-4.1-nano", 0.10, 0.40, 0.025),
    ("openai/o4-mini", 1.10, 4.40, 0.275),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProviderKind {
    /// OpenAI Chat Completions.
    #[serde(rename = "openai")]
    OpenAi,
}

/// `[providers.NAME]` in the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    /// Required except for the provider named `openai` (OPENAI_BASE_URL or the default).
    #[serde(default)]
    pub base_url: Option<String>,
    /// Environment variable holding the key; none for servers that need no key.
    #[serde(default)]
    pub api_key_env: Option<String>,
    #[serde(default)]
    pub timeout_secs: Option<f64>,
    #[serde(default)]
    pub max_retries: Option<u32>,
}

/// `[retry]` in the config: the defaults of every provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryConfig {
    /// Retries after the first attempt (attempts = `max_retries + 1`); default 5.
    #[serde(default)]
    pub max_retries: Option<u32>,
    /// Ceiling of the first backoff (full jitter below it), doubling per retry; default 1000.
    #[serde(default)]
    pub base_delay_ms: Option<u64>,
    /// Largest backoff ceiling; default 60.
    #[serde(default)]
    pub max_delay_secs: Option<f64>,
    /// Largest Retry-After honoured (longer ones are cut to it); default 120.
    #[serde(default)]
    pub max_retry_after_secs: Option<f64>,
}

/// The router's configuration, parsed from an optional TOML file. `Default` = only the
/// built-in providers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterConfig {
    #[serde(default)]
    pub providers: BTreeMap<String, ProviderConfig>,
    /// Keyed by model string `provider/model`.
    #[serde(default)]
    pub prices: BTreeMap<String, Price>,
    #[serde(default)]
    pub retry: RetryConfig,
    #[serde(default)]
    pub connect_timeout_secs: Option<f64>,
    /// Whole-request timeout (connect, headers and body) of every HTTP provider that sets
    /// no `timeout_secs` of its own; [`DEFAULT_TIMEOUT`] when absent. A timed-out attempt
    /// is retried like a 503.
    #[serde(default)]
    pub request_timeout_secs: Option<f64>,
    /// The file this was read from, for error messages.
    #[serde(skip)]
    pub origin: Option<PathBuf>,
}

impl RouterConfig {
    pub fn load(path: &Path) -> Result<Self, LlmError> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            LlmError::Config(format!("cannot read LLM config {}: {e}", path.display()))
        })?;
        let mut config = Self::parse(&text, &path.display().to_string())?;
        config.origin = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses TOML `text`; `origin` names it in errors (`origin:line:column: message`).
    pub fn parse(text: &str, origin: &str) -> Result<Self, LlmError> {
        toml::from_str::<RouterConfig>(text).map_err(|e| {
            let mut key = String::new();
            let at = e
                .span()
                .map(|s| {
                    let before = &text[..s.start.min(text.len())];
                    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
                    let line = before.matches('\n').count() + 1;
                    let col = before.len() - line_start + 1;
                    // A bad value: name its key (`key = value`, the span on the value).
                    if let Some((k, _)) = before[line_start..].split_once('=') {
                        key = format!("`{}`: ", k.trim());
                    }
                    format!(":{line}:{col}")
                })
                .unwrap_or_default();
            LlmError::Config(format!("{origin}{at}: {key}{}", one_line(e.message())))
        })
    }

    fn origin_name(&self) -> String {
        self.origin
            .as_ref()
            .map_or_else(|| "LLM config".to_string(), |p| p.display().to_string())
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn secs(name: &str, v: f64, origin: &str) -> Result<Duration, LlmError> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| LlmError::Config(format!("{origin}: {name} must be a positive number")))
}

/// Routes model strings to providers. Holds no keys.
#[derive(Debug)]
pub struct Router {
    client: reqwest::Client,
    providers: BTreeMap<String, OpenAiProvider>,
    prices: BTreeMap<String, Price>,
    /// Loaded `script:` and `replay:` models, by model string.
    offline: BTreeMap<String, OfflineModel>,
}

enum Target<'a> {
    Oracle,
    Nop,
    Offline(&'a OfflineModel),
    Http(&'a OpenAiProvider, &'a str),
}

impl Router {
    /// Builds the HTTP client (rustls with ring) and the provider table: `openai` (from
    /// OPENAI_BASE_URL / OPENAI_API_KEY unless configured) plus the configured providers.
    pub fn new(config: RouterConfig) -> Result<Router, LlmError> {
        let origin = config.origin_name();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let connect = match config.connect_timeout_secs {
            Some(s) => secs("connect_timeout_secs", s, &origin)?,
            None => DEFAULT_CONNECT_TIMEOUT,
        };
        let client = reqwest::Client::builder()
            .connect_timeout(connect)
            .user_agent(concat!("synth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;

        let default_timeout = match config.request_timeout_secs {
            Some(s) => secs("request_timeout_secs", s, &origin)?,
            None => DEFAULT_TIMEOUT,
        };
        let r = &config.retry;
        let mut base_policy = RetryPolicy::default();
        if let Some(n) = r.max_retries {
            base_policy.max_retries = n;
        }
        if let Some(ms) = r.base_delay_ms {
            base_policy.base_delay = Duration::from_millis(ms);
        }
        if let Some(s) = r.max_delay_secs {
            base_policy.max_delay = secs("retry.max_delay_secs", s, &origin)?;
        }
        if let Some(s) = r.max_retry_after_secs {
            base_policy.max_retry_after = secs("retry.max_retry_after_secs", s, &origin)?;
        }

        let mut providers = BTreeMap::new();
        let env_base = std::env::var("OPENAI_BASE_URL")
            .ok()
            .filter(|s| !s.trim().is_empty());
        providers.insert(
            "openai".to_string(),
            OpenAiProvider {
                name: "openai".into(),
                base_url: env_base
                    .clone()
                    .unwrap_or_else(|| OPENAI_DEFAULT_BASE_URL.into()),
                key: KeySource::Env("OPENAI_API_KEY".into()),
                timeout: default_timeout,
                policy: base_policy,
            },
        );
        for (name, p) in &config.providers {
            if name.is_empty() || name.contains('/') || name == oracle::MODEL || name == nop::MODEL
            {
                return Err(LlmError::Config(format!(
                    "{origin}: provider name `{name}` is not allowed (no `/`, not `oracle` or `nop`)"
                )));
            }
            let base_url = match (&p.base_url, name.as_str()) {
                (Some(u), _) => u.trim().to_string(),
                (None, "openai") => env_base
                    .clone()
                    .unwrap_or_else(|| OPENAI_DEFAULT_BASE_URL.into()),
                (None, _) => {
                    return Err(LlmError::Config(format!(
                        "{origin}: provider `{name}` needs base_url"
                    )));
                }
            };
            if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
                return Err(LlmError::Config(format!(
                    "{origin}: provider `{name}`: base_url must start with http:// or https://"
                )));
            }
            let key = match (&p.api_key_env, name.as_str()) {
                (Some(var), _) => KeySource::Env(var.clone()),
                (None, "openai") => KeySource::Env("OPENAI_API_KEY".into()),
                (None, _) => KeySource::None,
            };
            let mut policy = base_policy;
            if let Some(n) = p.max_retries {
                policy.max_retries = n;
            }
            let timeout = match p.timeout_secs {
                Some(s) => secs(&format!("providers.{name}.timeout_secs"), s, &origin)?,
                None => default_timeout,
            };
            let ProviderKind::OpenAi = p.kind;
            providers.insert(
                name.clone(),
                OpenAiProvider {
                    name: name.clone(),
                    base_url,
                    key,
                    timeout,
                    policy,
                },
            );
        }

        let mut prices: BTreeMap<String, Price> = BUILTIN_PRICES
            .iter()
            .map(|&(m, i, o, c)| {
                let price = Price {
                    input_per_mtok: i,
                    output_per_mtok: o,
                    cached_input_per_mtok: Some(c),
                };
                (m.to_string(), price)
            })
            .collect();
        prices.extend(config.prices.iter().map(|(k, v)| (k.clone(), *v)));
        Ok(Router {
            client,
            providers,
            prices,
            offline: BTreeMap::new(),
        })
    }

    /// Loads every `script:` and `replay:` model among `models` (blocking file I/O: call it
    /// off the async runtime). `run_file` is the file this run writes, which cannot be
    /// replayed while it is open.
    pub fn load_offline_models(
        &mut self,
        models: &[String],
        run_file: Option<&Path>,
    ) -> Result<(), LlmError> {
        for model in models {
            if script::is_offline_model(model) && !self.offline.contains_key(model) {
                let loaded = OfflineModel::load(model, run_file)?;
                self.offline.insert(model.clone(), loaded);
            }
        }
        Ok(())
    }

    /// Every provider name a model string may start with.
    pub fn provider_names(&self) -> Vec<String> {
        let mut names: Vec<String> = [oracle::MODEL, nop::MODEL].map(String::from).to_vec();
        names.extend(self.providers.keys().cloned());
        names.sort();
        names
    }

    /// The price of a model string, if known.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices.get(model).copied()
    }

    fn resolve<'a>(&'a self, model: &'a str) -> Result<Target<'a>, LlmError> {
        if model == oracle::MODEL {
            return Ok(Target::Oracle);
        }
        if model == nop::MODEL {
            return Ok(Target::Nop);
        }
        if script::is_offline_model(model) {
            return self.offline.get(model).map(Target::Offline).ok_or_else(|| {
                LlmError::UnknownModel(format!("model `{model}` was not loaded before the run"))
            });
        }
        let known = || self.provider_names().join(", ");
        let Some((provider, name)) = model.split_once('/') else {
            let known = known();
            return Err(LlmError::UnknownModel(format!(
                "model `{model}` is not `oracle`, `nop`, `script:FILE`, `replay:RUN.duckdb` or \
                 `provider/model`; known providers: {known}"
            )));
        };
        let p = self.providers.get(provider).ok_or_else(|| {
            LlmError::UnknownModel(format!(
                "unknown provider `{provider}` in model `{model}`; known providers: {}",
                known()
            ))
        })?;
        if name.trim().is_empty() {
            return Err(LlmError::UnknownModel(format!(
                "model `{model}` names no model after `{provider}/`"
            )));
        }
        Ok(Target::Http(p, name))
    }

    /// Checks that `model` names a known provider and that its key variable (if any) is set.
    pub fn check_model(&self, model: &str) -> Result<(), LlmError> {
        match self.resolve(model)? {
            Target::Http(p, _) => p.resolve_key().map(|_| ()),
            Target::Oracle | Target::Nop | Target::Offline(_) => Ok(()),
        }
    }

    /// Answers `req` with `model`. Never panics (a panic inside becomes a Provider error).
    pub async fn complete(&self, model: &str, ctx: &EpisodeContext, req: &Request) -> CallOutcome {
        let inner = AssertUnwindSafe(self.complete_inner(model, ctx, req)).catch_unwind();
        match inner.await {
            Ok(outcome) => outcome,
            Err(_) => CallOutcome::failed(LlmError::Provider(format!(
                "internal error: the LLM router panicked while calling `{model}`"
            ))),
        }
    }

    async fn complete_inner(
        &self,
        model: &str,
        ctx: &EpisodeContext,
        req: &Request,
    ) -> CallOutcome {
        match self.resolve(model) {
            Err(e) => CallOutcome::failed(e),
            Ok(Target::Oracle) => builtin(oracle::MODEL, req, || oracle::answer(req, ctx)),
            Ok(Target::Nop) => builtin(nop::MODEL, req, || nop::answer(req)),
            Ok(Target::Offline(m)) => {
                let mut outcome = builtin(m.provider(), req, || m.answer(model, ctx));
                for a in &mut outcome.attempts {
                    a.model = model.to_string();
                }
                outcome
            }
            Ok(Target::Http(p, name)) => {
                p.complete(&self.client, model, name, req, self.price(model))
                    .await
            }
        }
    }
}

/// Runs a built-in provider and records its answer as one attempt.
fn builtin(
    provider: &str,
    req: &Request,
    answer: impl FnOnce() -> Result<Completion, LlmError>,
) -> CallOutcome {
    let started_at = chrono::Utc::now();
    let t0 = Instant::now();
    let result = answer();
    let (response_body, error, usage) = match &result {
        Ok(c) => (
            Some(canonical_json(&to_value_lossless(c))),
            None,
            Some(c.usage),
        ),
        Err(e) => (None, Some(e.to_string()), None),
    };
    let record = AttemptRecord {
        attempt: 1,
        provider: provider.to_string(),
        model: provider.to_string(),
        request_body: req.canonical_json(),
        response_body,
        status: None,
        error,
        latency: t0.elapsed(),
        started_at,
        usage,
        cost_usd: 0.0,
        wait_before: Duration::ZERO,
    };
    CallOutcome {
        result,
        attempts: vec![record],
    }
}

/// sha256 hex over the canonical JSON of the model string, the request and the sample
/// index: the key of the response cache (samples of the same prompt stay distinct).
pub fn request_hash(model: &str, req: &Request, sample: u32) -> String {
    let v = json!({"model": model, "request": to_value_lossless(req), "sample": sample});
    sha256_hex(canonical_json(&v).as_bytes())
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
