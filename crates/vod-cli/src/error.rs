//! What can go wrong in a `vod` run, how it is reported on stderr, and the exit
//! code it maps to (see [`ExitCode`]).

use std::fmt::Write as _;

use aliyun_runtime::Error as SdkError;

/// The process exit codes, documented in `vod --help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ExitCode {
    /// The service (or the emulator) answered with an error, or failed to run.
    Service = 1,
    /// Bad flags or input: a rule of the spec, unreadable JSON, an unknown region.
    /// Nothing was sent.
    Usage = 2,
    /// The service could not be reached, did not answer in time, answered
    /// something undecodable, or `--max-wait` ran out.
    Transport = 3,
    /// No credentials were found. Nothing was sent.
    Credentials = 4,
    /// `--wait` finished, but a job failed or does not exist.
    JobsFailed = 5,
}

/// An error the `vod` command reports; the generated command code returns it.
#[derive(Debug)]
pub enum CliError {
    /// Anything the SDK returned.
    Sdk(SdkError),
    /// A flag's value is unusable (message names the flag).
    Usage(String),
    /// `--max-wait` ran out before every job finished.
    WaitTimeout(String),
    /// Every job finished, but not every job succeeded.
    JobsFailed(String),
    /// Something else failed (message says what).
    Other(String),
}

impl From<SdkError> for CliError {
    fn from(e: SdkError) -> Self {
        CliError::Sdk(e)
    }
}

impl From<aliyun_runtime::ValidationError> for CliError {
    fn from(e: aliyun_runtime::ValidationError) -> Self {
        CliError::Sdk(SdkError::Validation(e))
    }
}

impl CliError {
    /// The exit code this error ends the process with.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Sdk(e) => match e {
                SdkError::Validation(_) | SdkError::Config(_) => ExitCode::Usage,
                SdkError::Service(_) => ExitCode::Service,
                SdkError::Credentials(_) => ExitCode::Credentials,
                SdkError::Transport { .. } | SdkError::Timeout { .. } | SdkError::Decode(_) => {
                    ExitCode::Transport
                }
                _ => ExitCode::Service,
            },
            CliError::Usage(_) => ExitCode::Usage,
            CliError::WaitTimeout(_) => ExitCode::Transport,
            CliError::JobsFailed(_) => ExitCode::JobsFailed,
            CliError::Other(_) => ExitCode::Service,
        }
    }

    /// The report for stderr, without a trailing newline. `flag_for` maps a
    /// parameter's wire name to its command-line flag, when there is one.
    pub fn report(&self, flag_for: &dyn Fn(&str) -> Option<String>) -> String {
        match self {
            CliError::Sdk(SdkError::Service(e)) => {
                let mut out = format!("vod: the service answered an error (HTTP {})", e.status);
                let mut line = |k: &str, v: &str| {
                    // Multi-line values (a hint's two strings to sign) stay indented.
                    let v = v.replace('\n', "\n             ");
                    let _ = write!(out, "\n  {k:<10} {v}");
                };
                line("Code:", &e.code);
                line("Message:", &e.message);
                line("RequestId:", e.request_id.as_deref().unwrap_or("(none)"));
                if let Some(host) = &e.host_id {
                    line("HostId:", host);
                }
                if let Some(rec) = &e.recommend {
                    line("Recommend:", rec);
                }
                if let Some(hint) = &e.hint {
                    line("Hint:", hint);
                }
                out
            }
            CliError::Sdk(SdkError::Validation(e)) => {
                // `UploadMetadatas[0].SourceURL` is set with --upload-metadatas.
                let top = e.param.split(['[', '.']).next().unwrap_or(&e.param);
                match flag_for(top) {
                    Some(flag) => format!("vod: {e} (flag {flag}); nothing was sent"),
                    None => format!("vod: {e}; nothing was sent"),
                }
            }
            CliError::Sdk(SdkError::Credentials(e)) => format!(
                "vod: {e}\n  Set ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET \
                 (and ALIBABA_CLOUD_SECURITY_TOKEN for STS), or pick a profile with --profile. \
                 Nothing was sent."
            ),
            CliError::Sdk(e) => format!("vod: {e}"),
            CliError::Usage(m) | CliError::Other(m) => format!("vod: {m}"),
            CliError::WaitTimeout(m) => format!("vod: gave up waiting: {m}"),
            CliError::JobsFailed(m) => format!("vod: {m}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aliyun_runtime::{Rule, ServiceError, ValidationError};

    #[test]
    fn service_errors_show_code_message_request_id_and_hint() {
        let e = CliError::from(SdkError::from(ServiceError {
            status: 400,
            code: "SignatureDoesNotMatch".into(),
            message: "Specified signature is not matched with our calculation.".into(),
            request_id: Some("R-1".into()),
            host_id: None,
            recommend: None,
            hint: Some("the AccessKey secret is wrong".into()),
        }));
        assert_eq!(e.exit_code(), ExitCode::Service);
        let text = e.report(&|_| None);
        for part in [
            "Code:      SignatureDoesNotMatch",
            "Message:   Specified signature",
            "RequestId: R-1",
            "Hint:      the AccessKey secret is wrong",
        ] {
            assert!(text.contains(part), "{part:?} missing in:\n{text}");
        }
    }

    #[test]
    fn validation_errors_name_the_flag() {
        let e = CliError::from(ValidationError::new(
            "GetURLUploadInfos",
            "JobIds",
            Rule::MaxItems { max: 10, got: 11 },
        ));
        assert_eq!(e.exit_code(), ExitCode::Usage);
        assert_eq!(
            e.report(&|p| (p == "JobIds").then(|| "--job-ids".to_owned())),
            "vod: invalid input for GetURLUploadInfos: parameter JobIds takes at most 10 items, got 11 (flag --job-ids); nothing was sent"
        );
    }
}
