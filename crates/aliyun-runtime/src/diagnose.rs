//! Diagnosis of failed calls: what a signature, clock or AccessKey error most
//! likely means, computed from what this client sent.

use aliyun_sign::Credentials;

use crate::error::ServiceError;
use crate::prepare::PreparedRequest;

const SERVER_STRING_TO_SIGN_MARKER: &str = "server string to sign is:";

pub(crate) fn hint_for(
    err: &ServiceError,
    prepared: &PreparedRequest,
    credentials: &Credentials,
) -> Option<String> {
    let code = err.code.as_str();
    if code == "SignatureDoesNotMatch" || code == "IncompleteSignature" {
        let ours = aliyun_sign::redact(&prepared.string_to_sign(), credentials);
        let theirs = err.message.find(SERVER_STRING_TO_SIGN_MARKER).map(|i| {
            err.message[i + SERVER_STRING_TO_SIGN_MARKER.len()..]
                .trim()
                .to_owned()
        });
        return Some(match theirs {
            Some(theirs) if theirs == ours => format!(
                "the service computed the same string to sign as this client, so the AccessKey secret \
                 is wrong for AccessKey ID {}",
                credentials.access_key_id()
            ),
            Some(theirs) => format!(
                "the service signed a different string than this client (a proxy may have altered \
                 the request):\n  client: {ours}\n  server: {theirs}"
            ),
            None => format!(
                "check the AccessKey secret for AccessKey ID {}; client string to sign: {ours}",
                credentials.access_key_id()
            ),
        });
    }
    if code.starts_with("InvalidTimeStamp") {
        return Some(format!(
            "the request was signed at {} (UTC); check this machine's clock, which must be within \
             15 minutes of the service's",
            prepared.timestamp
        ));
    }
    if code.starts_with("InvalidAccessKeyId") {
        return Some(format!(
            "AccessKey ID {} is unknown to the service or disabled; check which credentials were picked up",
            credentials.access_key_id()
        ));
    }
    None
}
