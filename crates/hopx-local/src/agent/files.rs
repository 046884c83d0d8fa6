//! `/files/*`: every path goes through [`crate::sandbox::fs::Jail`], which keeps it inside
//! the sandbox's `/workspace` and `/tmp`.

use std::{collections::HashMap, sync::Arc, time::SystemTime};

use axum::{
    Extension, Json,
    body::{Body, Bytes},
    extract::{Multipart, Query},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};

use super::{
    AgentError, Sandbox, json_object, now, opt_bool, opt_string, required_string, sandbox_path,
};
use crate::sandbox::{
    SandboxRuntime,
    fs::{Entry, FsError, Jail, MAX_LIST_ENTRIES, SandboxPath},
};

/// Largest file `GET /files/read` returns as JSON text (use download beyond).
pub const MAX_READ: u64 = 50 * 1024 * 1024;
const DEFAULT_MODE: u32 = 0o644;
const WRITE_EXAMPLE: &str = r#"{"path": "/workspace/hello.txt", "content": "hello"}"#;

/// Runs a blocking file operation off the async threads.
async fn blocking<T: Send + 'static>(
    runtime: &Arc<SandboxRuntime>,
    f: impl FnOnce(Jail<'_>) -> Result<T, FsError> + Send + 'static,
) -> Result<T, AgentError> {
    let runtime = runtime.clone();
    tokio::task::spawn_blocking(move || f(runtime.jail()))
        .await
        .map_err(|e| {
            AgentError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL_ERROR",
                format!("the file operation failed: {e}"),
            )
        })?
        .map_err(AgentError::fs)
}

fn query_path(
    query: &HashMap<String, String>,
    default: Option<&str>,
) -> Result<SandboxPath, AgentError> {
    match query.get("path").filter(|p| !p.is_empty()) {
        Some(raw) => sandbox_path(raw),
        None => match default {
            Some(d) => sandbox_path(d),
            None => Err(AgentError::missing("path", "?path=/workspace/file.txt")),
        },
    }
}

fn file_response(message: &str, path: &SandboxPath, size: Option<u64>) -> Response {
    let mut body = json!({
        "success": true,
        "message": message,
        "path": path.to_string(),
        "timestamp": now(),
    });
    if let (Some(size), Value::Object(map)) = (size, &mut body) {
        map.insert("size".into(), json!(size));
    }
    Json(body).into_response()
}

fn rfc3339(t: SystemTime) -> String {
    DateTime::<Utc>::from(t).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn entry_json(entry: &Entry) -> Value {
    json!({
        "name": entry.path.file_name(),
        "path": entry.path.to_string(),
        "size": entry.size,
        "is_directory": entry.is_directory,
        "is_dir": entry.is_directory,
        "is_symlink": entry.is_symlink,
        "modified_time": rfc3339(entry.modified),
        "permissions": entry.permissions,
    })
}

/// `GET /files/read?path=`: a UTF-8 file as text.
pub async fn read(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let path = query_path(&query, None)?;
    let (bytes, path) = blocking(&runtime, move |jail| jail.read(path, MAX_READ)).await?;
    let size = bytes.len();
    let content = String::from_utf8(bytes).map_err(|_| {
        AgentError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "NOT_UTF8",
            format!(
                "{path} is not UTF-8 text, so it cannot be returned as a JSON string; download \
                 its bytes with GET /files/download?path={path}."
            ),
        )
        .with_details(json!({ "path": path.to_string(), "size": size }))
    })?;
    Ok(Json(json!({
        "content": content,
        "path": path.to_string(),
        "size": size,
    }))
    .into_response())
}

/// A `Content-Disposition` value that survives any file name.
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    HeaderValue::from_str(&format!(
        "attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

/// `GET /files/download?path=`: the raw bytes, streamed.
pub async fn download(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let path = query_path(&query, None)?;
    let (file, size, path) = blocking(&runtime, move |jail| jail.open_file(path)).await?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
    headers.insert(header::CONTENT_DISPOSITION, disposition(path.file_name()));
    Ok(response)
}

/// `GET /files/list?path=` (default `/workspace`).
pub async fn list(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let path = query_path(&query, Some("/workspace"))?;
    let (entries, path, truncated) = blocking(&runtime, move |jail| jail.list(path)).await?;
    let files: Vec<Value> = entries.iter().map(entry_json).collect();
    Ok(Json(json!({
        "count": files.len(),
        "files": files,
        "path": path.to_string(),
        "truncated": truncated,
        "max_entries": MAX_LIST_ENTRIES,
    }))
    .into_response())
}

/// `GET /files/exists?path=`.
pub async fn exists(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let path = query_path(&query, None)?;
    let shown = path.to_string();
    let entry = blocking(&runtime, move |jail| jail.exists(path)).await?;
    Ok(Json(json!({
        "exists": entry.is_some(),
        "path": shown,
        "is_directory": entry.as_ref().map(|e| e.is_directory),
    }))
    .into_response())
}

/// Parses `mode`: an octal string ("0644", "644", "0o644") or the number itself (420).
fn mode_field(value: Option<&Value>) -> Result<u32, AgentError> {
    let bad = || {
        AgentError::invalid(
            "mode",
            "mode must be an octal permission string such as \"0644\" or \"0755\".",
        )
    };
    let mode = match value {
        None => return Ok(DEFAULT_MODE),
        Some(Value::String(s)) => {
            let digits = s.trim();
            let digits = digits.strip_prefix("0o").unwrap_or(digits);
            if digits.is_empty() || digits.len() > 4 {
                return Err(bad());
            }
            u32::from_str_radix(digits, 8).map_err(|_| bad())?
        }
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .filter(|n| *n <= 0o7777)
            .ok_or_else(bad)?,
        Some(_) => return Err(bad()),
    };
    // No setuid/setgid/sticky on files the server writes.
    Ok(mode & 0o777)
}

/// `POST /files/write` `{path, content, encoding?, mode?, overwrite?}`.
pub async fn write(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    let fields = json_object(&body, WRITE_EXAMPLE)?;
    let raw_path = required_string(&fields, "path", WRITE_EXAMPLE)?;
    let path = sandbox_path(&raw_path)?;
    let content = required_string(&fields, "content", WRITE_EXAMPLE)?;
    let bytes = match opt_string(&fields, "encoding")?
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("" | "utf8" | "utf-8" | "text" | "plain") => content.into_bytes(),
        Some("base64") => {
            let compact: String = content
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            STANDARD
                .decode(compact.as_bytes())
                .or_else(|_| {
                    base64::engine::general_purpose::STANDARD_NO_PAD.decode(compact.as_bytes())
                })
                .map_err(|e| {
                    AgentError::invalid(
                        "content",
                        format!("content is not valid base64 ({e}), yet encoding is \"base64\"."),
                    )
                })?
        }
        Some(other) => {
            return Err(AgentError::invalid(
                "encoding",
                format!(
                    "encoding {:?} is not supported: leave it out for text, or send \"base64\" \
                     for bytes.",
                    other.chars().take(50).collect::<String>()
                ),
            ));
        }
    };
    let mode = mode_field(fields.get("mode"))?;
    let overwrite = opt_bool(&fields, "overwrite")?.unwrap_or(true);
    let size = bytes.len() as u64;
    let path = blocking(&runtime, move |jail| {
        jail.write(path, &bytes, mode, overwrite)
    })
    .await?;
    Ok(file_response("File written", &path, Some(size)))
}

/// `POST /files/mkdir` `{path}`: creates parents too; an existing directory is fine.
pub async fn mkdir(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    body: Bytes,
) -> Result<Response, AgentError> {
    const EXAMPLE: &str = r#"{"path": "/workspace/data"}"#;
    let fields = json_object(&body, EXAMPLE)?;
    let path = sandbox_path(&required_string(&fields, "path", EXAMPLE)?)?;
    let path = blocking(&runtime, move |jail| jail.mkdir(path)).await?;
    Ok(file_response("Directory created", &path, None))
}

/// `DELETE /files/remove?path=`: files, symlinks, and directories recursively.
pub async fn remove(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, AgentError> {
    let path = query_path(&query, None)?;
    let path = blocking(&runtime, move |jail| jail.remove(path)).await?;
    Ok(file_response("Removed", &path, None))
}

/// `POST /files/upload`, multipart with `file` (required) and `path` (the destination;
/// default `/workspace/<file name>`; a directory, or a path ending in `/`, receives the file
/// under its own name).
pub async fn upload(
    Extension(Sandbox(runtime)): Extension<Sandbox>,
    mut multipart: Multipart,
) -> Result<Response, AgentError> {
    let bad_body = |e: axum::extract::multipart::MultipartError| {
        let status = e.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            super::error::fallback(status, "POST", "/files/upload")
        } else {
            AgentError::invalid(
                "file",
                format!("the multipart body is malformed: {}", e.body_text()),
            )
        }
    };
    let mut file: Option<(Option<String>, Bytes)> = None;
    let mut dest: Option<String> = None;
    while let Some(field) = multipart.next_field().await.map_err(bad_body)? {
        match field.name() {
            Some("file") => {
                let name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(bad_body)?;
                file = Some((name, bytes));
            }
            Some("path") => dest = Some(field.text().await.map_err(bad_body)?),
            _ => {}
        }
    }
    let Some((file_name, bytes)) = file else {
        return Err(AgentError::missing(
            "file",
            "a multipart part named \"file\"",
        ));
    };
    // Only the last component of the client's name, never a path.
    let file_name = file_name
        .as_deref()
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .filter(|n| !n.is_empty() && *n != "." && *n != "..")
        .map(str::to_owned);
    let dest = dest.filter(|d| !d.trim().is_empty());
    let (raw, into_dir) = match (&dest, &file_name) {
        (Some(d), _) if !d.ends_with('/') => (d.clone(), false),
        (Some(d), Some(_)) => (d.clone(), true),
        (None, Some(name)) => (format!("/workspace/{name}"), false),
        (_, None) => {
            return Err(AgentError::missing(
                "path",
                "a \"path\" part naming the destination (the file part has no file name)",
            ));
        }
    };
    let path = sandbox_path(&raw)?;
    let size = bytes.len() as u64;
    let path = blocking(&runtime, move |jail| {
        let target = match (&file_name, into_dir) {
            (Some(name), true) => path.child(name),
            (Some(name), false) => match jail.exists(path.clone())? {
                Some(entry) if entry.is_directory => entry.path.child(name),
                _ => path,
            },
            (None, _) => path,
        };
        jail.write(target, &bytes, DEFAULT_MODE, true)
    })
    .await?;
    Ok(file_response("File uploaded", &path, Some(size)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        assert_eq!(mode_field(None).unwrap(), 0o644);
        assert_eq!(mode_field(Some(&json!("0755"))).unwrap(), 0o755);
        assert_eq!(mode_field(Some(&json!("600"))).unwrap(), 0o600);
        assert_eq!(mode_field(Some(&json!("0o700"))).unwrap(), 0o700);
        assert_eq!(mode_field(Some(&json!("4755"))).unwrap(), 0o755);
        for bad in [
            json!("rwx"),
            json!("0999"),
            json!(""),
            json!(true),
            json!("12345"),
        ] {
            assert!(mode_field(Some(&bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn dispositions_are_valid_headers() {
        for name in ["a.txt", "ünï cödé.bin", "quote\"s", "new\nline"] {
            let value = disposition(name);
            assert!(
                value
                    .to_str()
                    .unwrap()
                    .starts_with("attachment; filename=\"")
            );
        }
    }
}
