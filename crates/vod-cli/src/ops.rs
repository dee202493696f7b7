//! Placeholder for the hand-written side of generated commands.
use aliyun_runtime::Operation;

/// Errors the CLI reports.
#[derive(Debug)]
pub struct CliError(pub String);

/// What a command runs with.
pub struct Context;

impl Context {
    /// Runs an operation.
    pub async fn run<O: Operation>(&self, _input: &O) -> Result<(), CliError> {
        Ok(())
    }
}

/// A list flag.
pub fn list_arg(m: &clap::ArgMatches, id: &str) -> Option<Vec<String>> {
    m.get_many::<String>(id).map(|v| v.cloned().collect())
}

/// A JSON flag.
pub fn json_arg<T: serde::de::DeserializeOwned>(m: &clap::ArgMatches, id: &str) -> Result<Option<T>, CliError> {
    m.get_one::<String>(id).map(|s| serde_json::from_str(s).map_err(|e| CliError(e.to_string()))).transpose()
}
