//! Files in the sandbox. Text and bytes take separate, byte-exact paths: bytes go out as
//! base64 with `encoding: "base64"` and come back raw from `/files/download`, so no content is
//! ever guessed to be base64 (the official Python SDK's guess corrupts files such as `test`).

use std::path::Path;

use base64::Engine;
use reqwest::Method;
use serde::Deserialize;

use super::sandbox_path;
use crate::error::{Error, ErrorCode, Result};
use crate::http::{ApiRequest, MAX_DOWNLOAD_BYTES, RequestBody};
use crate::lenient;
use crate::sandbox::Sandbox;

/// The mode new files get unless told otherwise.
pub const DEFAULT_FILE_MODE: &str = "0644";

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The file name.
    pub name: Option<String>,
    /// Its full path in the sandbox.
    pub path: Option<String>,
    /// Size in bytes.
    pub size: Option<i64>,
    /// A directory.
    pub is_directory: Option<bool>,
    /// Last modification time (as sent).
    pub modified_time: Option<String>,
    /// Permissions, e.g. `0644`.
    pub permissions: Option<String>,
}

/// An entry as agents send it: current names (`is_directory`, `modified_time`, `permissions`),
/// older ones (`is_dir`, `modified`, `mode`), or both at once; the current name wins.
#[derive(Deserialize)]
struct RawFileInfo {
    #[serde(default, deserialize_with = "lenient::string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    path: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    size: Option<i64>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    is_directory: Option<bool>,
    #[serde(default, deserialize_with = "lenient::boolean")]
    is_dir: Option<bool>,
    #[serde(default, deserialize_with = "lenient::string")]
    modified_time: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    modified: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    permissions: Option<String>,
    #[serde(default, deserialize_with = "lenient::string")]
    mode: Option<String>,
}

impl From<RawFileInfo> for FileInfo {
    fn from(raw: RawFileInfo) -> Self {
        FileInfo {
            name: raw.name,
            path: raw.path,
            size: raw.size,
            is_directory: raw.is_directory.or(raw.is_dir),
            modified_time: raw.modified_time.or(raw.modified),
            permissions: raw.permissions.or(raw.mode),
        }
    }
}

#[derive(Deserialize)]
struct FileList {
    #[serde(deserialize_with = "lenient::list")]
    files: Vec<RawFileInfo>,
}

#[derive(Deserialize)]
struct FileContent {
    #[serde(default, deserialize_with = "lenient::string")]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Exists {
    #[serde(default, deserialize_with = "lenient::boolean")]
    exists: Option<bool>,
}

/// The files of one sandbox: `sandbox.files()`.
#[derive(Debug, Clone, Copy)]
pub struct Files<'a> {
    sandbox: &'a Sandbox,
}

impl Sandbox {
    /// The sandbox's files.
    pub fn files(&self) -> Files<'_> {
        Files { sandbox: self }
    }
}

fn check_mode(mode: &str) -> Result<()> {
    let digits = mode.strip_prefix("0o").unwrap_or(mode);
    if (3..=4).contains(&digits.len()) && digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "mode {mode:?} is not an octal file mode; use e.g. \"0644\" or \"0755\"."
        )))
    }
}

impl Files<'_> {
    /// A text file's contents (`GET /files/read`). For binary files use [`Files::read_bytes`].
    pub async fn read(&self, path: &str) -> Result<String> {
        let path = sandbox_path("path", path)?;
        let request =
            ApiRequest::new(Method::GET, "/files/read", "file contents").query("path", Some(path));
        let file: FileContent = self.sandbox.agent_json(request).await?;
        file.content.ok_or_else(|| {
            Error::new(
                ErrorCode::Decode,
                "The agent's answer to GET /files/read has no content.",
            )
        })
    }

    /// A file's exact bytes (`GET /files/download`).
    pub async fn read_bytes(&self, path: &str) -> Result<Vec<u8>> {
        let path = sandbox_path("path", path)?;
        let request = ApiRequest::new(Method::GET, "/files/download", "file bytes")
            .query("path", Some(path))
            .max_response_bytes(MAX_DOWNLOAD_BYTES);
        self.sandbox.agent_bytes(request).await
    }

    /// Writes a text file, creating parent directories (`POST /files/write`).
    pub async fn write(&self, path: &str, content: &str, mode: Option<&str>) -> Result<()> {
        self.write_body(
            path,
            serde_json::Value::String(content.to_owned()),
            None,
            mode,
        )
        .await
    }

    /// Writes exact bytes (sent as base64 with `encoding: "base64"`).
    pub async fn write_bytes(&self, path: &str, content: &[u8], mode: Option<&str>) -> Result<()> {
        let encoded = base64::engine::general_purpose::STANDARD.encode(content);
        self.write_body(path, encoded.into(), Some("base64"), mode)
            .await
    }

    async fn write_body(
        &self,
        path: &str,
        content: serde_json::Value,
        encoding: Option<&str>,
        mode: Option<&str>,
    ) -> Result<()> {
        let path = sandbox_path("path", path)?;
        let mode = mode.unwrap_or(DEFAULT_FILE_MODE);
        check_mode(mode)?;
        let mut body = serde_json::json!({ "path": path, "content": content, "mode": mode });
        if let Some(encoding) = encoding {
            body["encoding"] = encoding.into();
        }
        let request = ApiRequest::new(Method::POST, "/files/write", "a write result").json(body);
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    /// A directory's entries (`GET /files/list`).
    pub async fn list(&self, path: &str) -> Result<Vec<FileInfo>> {
        let path = sandbox_path("path", path)?;
        let request = ApiRequest::new(Method::GET, "/files/list", "a directory listing")
            .query("path", Some(path));
        let list: FileList = self.sandbox.agent_json(request).await?;
        Ok(list.files.into_iter().map(FileInfo::from).collect())
    }

    /// Whether a file or directory exists (`GET /files/exists`). An authentication or network
    /// failure is an error, not `false` (the official Python SDK answers `False` to both).
    pub async fn exists(&self, path: &str) -> Result<bool> {
        let path = sandbox_path("path", path)?;
        let request = ApiRequest::new(Method::GET, "/files/exists", "an exists answer")
            .query("path", Some(path));
        let answer: Exists = self.sandbox.agent_json(request).await?;
        answer.exists.ok_or_else(|| {
            Error::new(
                ErrorCode::Decode,
                "The agent's answer to GET /files/exists has no exists field.",
            )
        })
    }

    /// Removes a file, or a directory with everything in it (`DELETE /files/remove`).
    pub async fn remove(&self, path: &str) -> Result<()> {
        let path = sandbox_path("path", path)?;
        let request = ApiRequest::new(Method::DELETE, "/files/remove", "a remove result")
            .query("path", Some(path));
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    /// Creates a directory and its parents (`POST /files/mkdir`).
    pub async fn mkdir(&self, path: &str) -> Result<()> {
        let path = sandbox_path("path", path)?;
        let request = ApiRequest::new(Method::POST, "/files/mkdir", "a mkdir result")
            .json(serde_json::json!({ "path": path }));
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    /// Uploads a local file to `remote_path` (`POST /files/upload`, multipart).
    pub async fn upload(&self, local_path: &Path, remote_path: &str) -> Result<()> {
        let remote_path = sandbox_path("remote path", remote_path)?;
        let bytes = tokio::fs::read(local_path).await.map_err(|e| {
            Error::invalid_argument(format!(
                "Cannot read the local file {}: {e}.",
                local_path.display()
            ))
        })?;
        let file_name = local_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload".to_owned());
        let request = ApiRequest::new(Method::POST, "/files/upload", "an upload result").body(
            RequestBody::Upload {
                path: remote_path.to_owned(),
                file_name,
                bytes: std::sync::Arc::new(bytes),
            },
        );
        let _: Option<serde::de::IgnoredAny> = self.sandbox.agent_json(request).await?;
        Ok(())
    }

    /// Downloads `remote_path` into a local file, replacing it only once every byte arrived.
    pub async fn download_to(&self, remote_path: &str, local_path: &Path) -> Result<()> {
        let bytes = self.read_bytes(remote_path).await?;
        let temporary = local_path.with_file_name(format!(
            ".{}.hopx-download",
            local_path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        ));
        let local_error = |e: std::io::Error| {
            Error::invalid_argument(format!(
                "Cannot write the local file {}: {e}.",
                local_path.display()
            ))
        };
        tokio::fs::write(&temporary, &bytes)
            .await
            .map_err(local_error)?;
        if let Err(e) = tokio::fs::rename(&temporary, local_path).await {
            let _ = tokio::fs::remove_file(&temporary).await;
            return Err(local_error(e));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        for ok in ["0644", "755", "0o600"] {
            assert!(check_mode(ok).is_ok(), "{ok}");
        }
        for bad in ["", "rw-r--r--", "0999", "12345"] {
            assert!(check_mode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn listing_accepts_old_and_new_field_names() {
        let list: FileList = serde_json::from_str(
            r#"{"files":[{"name":"a","is_directory":true,"modified_time":"t","permissions":"0755"},
                         {"name":"b","is_dir":false,"modified":"u","size":"12"},
                         {"name":"c","is_directory":true,"is_dir":false,"mode":"0600"}]}"#,
        )
        .unwrap();
        let files: Vec<FileInfo> = list.files.into_iter().map(FileInfo::from).collect();
        assert_eq!(files[0].is_directory, Some(true));
        assert_eq!(files[1].is_directory, Some(false));
        assert_eq!(files[1].modified_time.as_deref(), Some("u"));
        assert_eq!(files[1].size, Some(12));
        assert_eq!(files[2].is_directory, Some(true), "the current name wins");
        assert_eq!(files[2].permissions.as_deref(), Some("0600"));
    }
}
