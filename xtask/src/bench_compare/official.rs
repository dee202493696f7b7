//! The official SDKs: their scripts installed and run, and the ACS3 request they sign.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::emulator::{ACCESS_KEY_ID, ACCESS_KEY_SECRET};
use super::process::{output, status, step};
use super::Failure;

/// Fails unless the tools the official SDKs need are installed.
pub(super) fn check_tools() -> Result<(), Failure> {
    for tool in ["python3", "node", "npm", "bash"] {
        output(Command::new(tool).arg("--version"))
            .map_err(|e| format!("{tool} is needed for the official SDKs: {e}"))?;
    }
    Ok(())
}

/// The official SDKs' scripts with their packages installed, in
/// `xtask/bench-official/`.
pub(crate) struct Official {
    dir: PathBuf,
}

impl Official {
    /// Copies the official scripts from `src` and installs their pinned
    /// packages (unless `skip_setup` and an earlier run installed them).
    pub(crate) fn install(root: &Path, src: &Path, skip_setup: bool) -> Result<Official, Failure> {
        let dir = root.join("xtask/bench-official");
        step("official SDKs: copy the scripts and install the pinned packages");
        copy_official(src, &dir)?;
        if !(skip_setup && dir.join("venv/bin/python").exists()) {
            status(Command::new("bash").arg("setup.sh").current_dir(&dir))?;
        }
        Ok(Official { dir })
    }

    /// Writes our scripts timing their ACS3 signers, and the request those
    /// sign, into the folder.
    pub(super) fn write_acs3_signers(&self) -> Result<(), Failure> {
        let written = [
            (
                self.dir.join("sign_acs3_request.json"),
                acs3_request().to_string(),
            ),
            (self.dir.join("sign_acs3.py"), SIGN_ACS3_PY.to_owned()),
            (self.dir.join("node/sign_acs3.js"), SIGN_ACS3_JS.to_owned()),
        ];
        for (path, text) in written {
            std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }

    /// The folder the official packages are installed in.
    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// Their virtualenv's Python, to run a script of the folder.
    pub(crate) fn python(&self) -> Command {
        let mut cmd = Command::new(self.dir.join("venv/bin/python"));
        cmd.current_dir(&self.dir);
        cmd
    }

    /// Node, to run a script of the folder.
    pub(super) fn node(&self) -> Command {
        let mut cmd = Command::new("node");
        cmd.current_dir(&self.dir);
        cmd
    }
}

/// Our scripts timing the official ACS3 signers (the official folder's scripts
/// time RPC V1 only); written into that folder, which git ignores, to run there.
const SIGN_ACS3_PY: &str = include_str!("../official/sign_acs3.py");
const SIGN_ACS3_JS: &str = include_str!("../official/sign_acs3.js");

/// The request `sign/acs3` (`crates/aliyun-sign/benches/sign.rs`) signs, with
/// the Authorization header our signer gives for it.
fn acs3_request() -> Value {
    use aliyun_sign::{acs3, Credentials, HttpMethod, Nonce, Timestamp};
    let ts = Timestamp::parse("2024-05-06T07:08:09Z").expect("a valid timestamp");
    let nonce = Nonce::new("c0ffee00-1234-4abc-8def-0123456789ab");
    let job_ids: Vec<String> = (0..10u128)
        .map(|i| format!("{:032x}", 0x3d1c_0a1b_2c3d_4e5f_6071_8293_a4b5_c6d0 + i))
        .collect();
    let job_ids = job_ids.join(",");
    let request = acs3::Acs3Request {
        method: HttpMethod::Post,
        host: "vod.cn-shanghai.aliyuncs.com",
        pathname: "/",
        action: "GetURLUploadInfos",
        version: "2017-03-21",
        timestamp: &ts,
        nonce: &nonce,
        body: b"",
        content_type: None,
    };
    let credentials = Credentials::new(ACCESS_KEY_ID, ACCESS_KEY_SECRET);
    let signed = acs3::sign(&credentials, &request, &[("JobIds", &job_ids)]);
    let mut headers = serde_json::Map::new();
    let mut expected = Value::Null;
    for (name, value) in signed.headers() {
        if *name == "authorization" {
            expected = Value::from(value.as_str());
        } else {
            headers.insert((*name).to_owned(), Value::from(value.as_str()));
        }
    }
    serde_json::json!({
        "method": "POST",
        "pathname": "/",
        "query": { "JobIds": job_ids },
        "headers": headers,
        "payload": acs3::EMPTY_PAYLOAD_SHA256,
        "access_key_id": ACCESS_KEY_ID,
        "secret": ACCESS_KEY_SECRET,
        "expected": expected,
    })
}

/// Copies the official scripts (not their installed packages) to `to`.
fn copy_official(from: &Path, to: &Path) -> Result<(), Failure> {
    if !from.join("setup.sh").exists() {
        return Err(format!(
            "{} has no setup.sh: pass --official-src (the official scripts live in ../shared/bench/official)",
            from.display()
        ));
    }
    copy_tree(from, to).map_err(|e| format!("copying {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name == "venv" || name == "node_modules" {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            // The source may be read-only; the copy must stay replaceable.
            if dst.exists() {
                std::fs::remove_file(&dst)?;
            }
            std::fs::copy(&src, &dst)?;
            let mut perms = std::fs::metadata(&dst)?.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&dst, perms)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use aliyun_sign::{acs3, HttpMethod};

    /// The request handed to the official ACS3 signers is the one our signer
    /// signed, stage by stage, and its signature is the one Alibaba's Python
    /// signer (`Client.get_authorization`, alibabacloud_openapi_util 0.2.4)
    /// gave for it when this test was written.
    #[test]
    fn the_acs3_request_for_the_official_signers_is_signed_as_they_sign_it() {
        let v = super::acs3_request();
        let text = |x: &serde_json::Value| x.as_str().expect("a string").to_owned();
        let headers: Vec<(String, String)> = v["headers"]
            .as_object()
            .expect("headers")
            .iter()
            .map(|(k, x)| (k.clone(), text(x)))
            .collect();
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, x)| (k.as_str(), x.as_str()))
            .collect();
        let (block, names) = acs3::canonical_headers(&headers);
        let job_ids = text(&v["query"]["JobIds"]);
        let canonical = acs3::canonical_request(
            HttpMethod::Post,
            "/",
            &acs3::canonical_query_string(&[("JobIds", &job_ids)]),
            &block,
            &names,
            &text(&v["payload"]),
        );
        let signature = acs3::signature(&text(&v["secret"]), &acs3::string_to_sign(&canonical));
        assert_eq!(
            text(&v["expected"]),
            acs3::authorization(&text(&v["access_key_id"]), &names, &signature)
        );
        assert_eq!(
            signature,
            "3772842d25c237865537d8d40d00b37110c59c61e8bd92232b2f36237b7b3d98"
        );
    }
}
