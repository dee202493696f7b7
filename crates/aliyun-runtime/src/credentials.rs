//! Credentials: explicit, or resolved by the default chain (see the README).
//! (Being written: see issue #4.)

pub use aliyun_sign::Credentials;

/// Placeholder until the chain lands.
pub trait ProvideCredentials: Send + Sync + std::fmt::Debug {
    /// Yields credentials.
    fn provide(&self) -> Result<Credentials, CredentialsError>;
}
impl ProvideCredentials for Credentials {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Ok(self.clone())
    }
}
/// Placeholder.
#[derive(Debug)]
pub struct DefaultChain;
impl DefaultChain {
    /// Placeholder.
    pub fn new() -> Self {
        DefaultChain
    }
}
impl ProvideCredentials for DefaultChain {
    fn provide(&self) -> Result<Credentials, CredentialsError> {
        Err(CredentialsError { attempts: vec![] })
    }
}
/// Placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsError {
    /// Attempts.
    pub attempts: Vec<String>,
}
impl std::fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no credentials found")
    }
}
impl std::error::Error for CredentialsError {}
