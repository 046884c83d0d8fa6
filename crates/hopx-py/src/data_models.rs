//! The data plane's result classes: frozen copies of the core's models with read-only
//! attributes, `==`, `to_dict()` and a `repr` that never shows output, file contents or env
//! values (only their sizes). `BackgroundExecution` and `ProcessInfo` also answer
//! `result["process_id"]` and `result.get(...)`, as the official SDK's dicts did.

use pyo3::exceptions::PyKeyError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};

use crate::json::json_to_py;
use crate::models::{fields_dict, fields_repr};

/// `<n chars>`: how much text there is, never the text.
fn size_of(text: &str) -> String {
    format!("<{} chars>", text.chars().count())
}

/// `obj[key]` for a model that stands in for a dict: one of its attribute names.
fn item<'py>(
    obj: &Bound<'py, PyAny>,
    names: &[&str],
    key: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyAny>> {
    match field_name(names, key) {
        Some(name) => obj.getattr(name),
        None => Err(PyKeyError::new_err(key.clone().unbind())),
    }
}

/// `obj.get(key, default)` for a model that stands in for a dict.
fn get_item<'py>(
    obj: &Bound<'py, PyAny>,
    names: &[&str],
    key: &Bound<'py, PyAny>,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match field_name(names, key) {
        Some(name) => obj.getattr(name),
        None => Ok(default.unwrap_or_else(|| obj.py().None().into_bound(obj.py()))),
    }
}

/// The attribute `key` names, if it is a str naming one.
fn field_name<'a>(names: &[&'a str], key: &Bound<'_, PyAny>) -> Option<&'a str> {
    let key = key.cast::<PyString>().ok()?;
    let key = key.to_cow().ok()?;
    names.iter().copied().find(|name| *name == key)
}

/// `Class(a=..., b=..., stdout=<n chars>, ...)`: Python reprs of the named attributes, then
/// the sizes of the text ones, then `extra` as given.
fn repr_with_sizes(
    obj: &Bound<'_, PyAny>,
    class: &str,
    names: &[&str],
    sizes: &[(&str, &str)],
    extra: Option<String>,
) -> PyResult<String> {
    let mut parts = Vec::with_capacity(names.len() + sizes.len() + 1);
    for name in names {
        parts.push(format!("{name}={}", obj.getattr(*name)?.repr()?));
    }
    for (name, text) in sizes {
        parts.push(format!("{name}={}", size_of(text)));
    }
    parts.extend(extra);
    Ok(format!("{class}({})", parts.join(", ")))
}

/// One rich output of an execution: a plot, an HTML table, a JSON value...
#[pyclass(frozen, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct RichOutput {
    mime_type: String,
    data: serde_json::Value,
}

const RICH_OUTPUT_FIELDS: &[&str] = &["type", "data"];

#[pymethods]
impl RichOutput {
    /// The MIME type: `image/png`, `image/svg+xml`, `text/html`, `text/markdown`,
    /// `application/json`, `application/vnd.dataframe+json` or `text/plain`.
    #[getter(r#type)]
    fn mime_type(&self) -> &str {
        &self.mime_type
    }

    /// The content as the agent sent it: base64 text for PNG, text for SVG, HTML, Markdown
    /// and plain text, the decoded JSON value for JSON and dataframes.
    #[getter]
    fn data<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        json_to_py(py, &self.data)
    }

    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), RICH_OUTPUT_FIELDS)
    }

    /// Shows the MIME type, never the data.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "RichOutput", &["type"])
    }
}

impl From<hopx::RichOutput> for RichOutput {
    fn from(o: hopx::RichOutput) -> Self {
        RichOutput {
            mime_type: o.mime_type,
            data: o.data,
        }
    }
}

/// What `run_code()` returned. An exception in the code is `success=False` with the
/// traceback in `stderr`, not an error.
#[pyclass(frozen, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutionResult {
    /// What the code printed.
    #[pyo3(get)]
    pub stdout: String,
    /// What it printed to stderr.
    #[pyo3(get)]
    pub stderr: String,
    /// Its exit code (0 on success).
    #[pyo3(get)]
    pub exit_code: i64,
    /// Seconds it ran, as the agent measured (`None` when the agent did not say).
    #[pyo3(get)]
    pub execution_time: Option<f64>,
    /// Whether it succeeded.
    #[pyo3(get)]
    pub success: bool,
    /// The language it ran as.
    #[pyo3(get)]
    pub language: Option<String>,
    /// When it ran (as the agent sent it).
    #[pyo3(get)]
    pub timestamp: Option<String>,
    /// Every rich output (plots, HTML, JSON...), in the order PNG, SVG, HTML, Markdown,
    /// JSON, dataframe, result.
    #[pyo3(get)]
    pub rich_outputs: Vec<RichOutput>,
}

const EXECUTION_FIELDS: &[&str] = &[
    "stdout",
    "stderr",
    "exit_code",
    "execution_time",
    "success",
    "language",
    "timestamp",
    "rich_outputs",
];

impl ExecutionResult {
    /// The data of the first rich output of this MIME type.
    fn output(&self, mime_type: &str) -> Option<&serde_json::Value> {
        self.rich_outputs
            .iter()
            .find(|o| o.mime_type == mime_type)
            .map(|o| &o.data)
    }

    /// A text output as text (a JSON value the agent sent instead is given as JSON text).
    fn text_output(&self, mime_type: &str) -> Option<String> {
        self.output(mime_type).map(|data| match data {
            serde_json::Value::String(text) => text.clone(),
            other => other.to_string(),
        })
    }
}

#[pymethods]
impl ExecutionResult {
    /// How many rich outputs there are.
    #[getter]
    fn rich_count(&self) -> usize {
        self.rich_outputs.len()
    }

    /// Whether there is any rich output.
    #[getter]
    fn has_rich_output(&self) -> bool {
        !self.rich_outputs.is_empty()
    }

    /// The PNG image (base64 text), if the code produced one.
    #[getter]
    fn png(&self) -> Option<String> {
        self.text_output("image/png")
    }

    /// The SVG image, if any.
    #[getter]
    fn svg(&self) -> Option<String> {
        self.text_output("image/svg+xml")
    }

    /// The HTML output, if any.
    #[getter]
    fn html(&self) -> Option<String> {
        self.text_output("text/html")
    }

    /// The Markdown output, if any.
    #[getter]
    fn markdown(&self) -> Option<String> {
        self.text_output("text/markdown")
    }

    /// The JSON output (decoded), if any; `None` also when the JSON value is `null`.
    #[getter]
    fn json_output<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.output("application/json")
            .map(|data| json_to_py(py, data))
            .transpose()
    }

    /// The value of the last expression, when it differs from stdout.
    #[getter]
    fn result(&self) -> Option<String> {
        self.text_output("text/plain")
    }

    /// The attributes as a dict (`rich_outputs` as dicts too).
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), EXECUTION_FIELDS)
    }

    /// Shows the outcome and how much output there is, never the output itself.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        let kinds = PyList::new(
            slf.py(),
            this.rich_outputs.iter().map(|o| o.mime_type.as_str()),
        )?;
        repr_with_sizes(
            slf.as_any(),
            "ExecutionResult",
            EXECUTION_REPR,
            &[("stdout", &this.stdout), ("stderr", &this.stderr)],
            Some(format!("rich_outputs={}", kinds.repr()?)),
        )
    }
}

const EXECUTION_REPR: &[&str] = &["success", "exit_code", "language", "execution_time"];

impl From<hopx::ExecutionResult> for ExecutionResult {
    fn from(r: hopx::ExecutionResult) -> Self {
        ExecutionResult {
            stdout: r.stdout,
            stderr: r.stderr,
            exit_code: r.exit_code,
            execution_time: r.execution_time,
            success: r.success,
            language: r.language,
            timestamp: r.timestamp,
            rich_outputs: r.rich_outputs.into_iter().map(RichOutput::from).collect(),
        }
    }
}

/// What `commands.run()` returned. For `background=True`, `process_id` names the running
/// command and the output is empty.
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct CommandResult {
    /// What it printed.
    pub stdout: String,
    /// What it printed to stderr.
    pub stderr: String,
    /// Its exit code (0 for a background command that started).
    pub exit_code: i64,
    /// Seconds it ran (`None` when the agent did not say).
    pub execution_time: Option<f64>,
    /// Whether it exited with 0.
    pub success: bool,
    /// The command line as the agent reports it.
    pub command: Option<String>,
    /// Its process id inside the sandbox.
    pub pid: Option<i64>,
    /// For a background command: the id to find it by in `list_processes()` and to kill it
    /// with `kill_process()`.
    pub process_id: Option<String>,
}

const COMMAND_FIELDS: &[&str] = &[
    "stdout",
    "stderr",
    "exit_code",
    "execution_time",
    "success",
    "command",
    "pid",
    "process_id",
];

#[pymethods]
impl CommandResult {
    /// Whether the exit code is 0.
    #[getter]
    fn is_success(&self) -> bool {
        self.exit_code == 0
    }

    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), COMMAND_FIELDS)
    }

    /// Shows the outcome and how much output there is, never the output or the command line.
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        repr_with_sizes(
            slf.as_any(),
            "CommandResult",
            COMMAND_REPR,
            &[("stdout", &this.stdout), ("stderr", &this.stderr)],
            None,
        )
    }
}

const COMMAND_REPR: &[&str] = &[
    "success",
    "exit_code",
    "execution_time",
    "pid",
    "process_id",
];

impl From<hopx::CommandResult> for CommandResult {
    fn from(r: hopx::CommandResult) -> Self {
        CommandResult {
            stdout: r.stdout,
            stderr: r.stderr,
            exit_code: r.exit_code,
            execution_time: r.execution_time,
            success: r.success,
            command: r.command,
            pid: r.pid,
            process_id: r.process_id,
        }
    }
}

/// One entry of `files.list()`. Attributes the agent did not send are `None`.
#[pyclass(frozen, get_all, eq, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct FileInfo {
    /// The file name.
    pub name: Option<String>,
    /// Its full path in the sandbox.
    pub path: Option<String>,
    /// Its size in bytes.
    pub size: Option<i64>,
    /// Whether it is a directory.
    pub is_directory: Option<bool>,
    /// When it last changed (as the agent sent it).
    pub modified_time: Option<String>,
    /// Its permissions, e.g. `0644`.
    pub permissions: Option<String>,
}

const FILE_INFO_FIELDS: &[&str] = &[
    "name",
    "path",
    "size",
    "is_directory",
    "modified_time",
    "permissions",
];

const FILE_INFO_REPR: &[&str] = &["name", "path", "size", "is_directory"];

#[pymethods]
impl FileInfo {
    /// True when the agent said it is not a directory.
    #[getter]
    fn is_file(&self) -> bool {
        self.is_directory == Some(false)
    }

    /// True when the agent said it is a directory.
    #[getter]
    fn is_dir(&self) -> bool {
        self.is_directory == Some(true)
    }

    /// The size in KiB (`None` when the size is unknown).
    #[getter]
    fn size_kb(&self) -> Option<f64> {
        self.size.map(|bytes| bytes as f64 / 1024.0)
    }

    /// The size in MiB (`None` when the size is unknown).
    #[getter]
    fn size_mb(&self) -> Option<f64> {
        self.size.map(|bytes| bytes as f64 / (1024.0 * 1024.0))
    }

    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), FILE_INFO_FIELDS)
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "FileInfo", FILE_INFO_REPR)
    }
}

impl From<hopx::FileInfo> for FileInfo {
    fn from(f: hopx::FileInfo) -> Self {
        FileInfo {
            name: f.name,
            path: f.path,
            size: f.size,
            is_directory: f.is_directory,
            modified_time: f.modified_time,
            permissions: f.permissions,
        }
    }
}

/// What `run_code_background()` returned: the code is running. Also readable as a dict
/// (`result["process_id"]`, `result.get("status")`), as the official SDK returned one.
#[pyclass(frozen, get_all, eq, mapping, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct BackgroundExecution {
    /// The id to find it by in `list_processes()` and to kill it with `kill_process()`.
    pub process_id: String,
    /// The execution id.
    pub execution_id: Option<String>,
    /// Usually `running`.
    pub status: Option<String>,
    /// Its name, if one was given.
    pub name: Option<String>,
    /// When it started (as the agent sent it).
    pub start_time: Option<String>,
}

const BACKGROUND_FIELDS: &[&str] = &["process_id", "execution_id", "status", "name", "start_time"];

#[pymethods]
impl BackgroundExecution {
    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), BACKGROUND_FIELDS)
    }

    /// `result["process_id"]`: an attribute by name; `KeyError` for any other key.
    fn __getitem__<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        item(slf.as_any(), BACKGROUND_FIELDS, key)
    }

    /// `result.get("status")`: an attribute by name, or `default` for any other key.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        get_item(slf.as_any(), BACKGROUND_FIELDS, key, default)
    }

    /// Whether `key` is one of the attribute names.
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        field_name(BACKGROUND_FIELDS, key).is_some()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "BackgroundExecution", BACKGROUND_FIELDS)
    }
}

impl From<hopx::BackgroundExecution> for BackgroundExecution {
    fn from(b: hopx::BackgroundExecution) -> Self {
        BackgroundExecution {
            process_id: b.process_id,
            execution_id: b.execution_id,
            status: b.status,
            name: b.name,
            start_time: b.start_time,
        }
    }
}

/// A background execution, from `list_processes()`. Attributes the agent did not send are
/// `None`. Also readable as a dict (`p["status"]`, `p.get("name")`), as the official SDK
/// returned dicts.
#[pyclass(frozen, get_all, eq, mapping, module = "hopx_ai")]
#[derive(Debug, Clone, PartialEq)]
pub struct ProcessInfo {
    /// The id to kill it by.
    pub process_id: Option<String>,
    /// The execution id.
    pub execution_id: Option<String>,
    /// Its name.
    pub name: Option<String>,
    /// `running`, `completed`, `failed` or `killed`.
    pub status: Option<String>,
    /// Its language.
    pub language: Option<String>,
    /// When it started (as the agent sent it).
    pub start_time: Option<String>,
    /// When it ended (as the agent sent it).
    pub end_time: Option<String>,
    /// Its exit code, once it ended.
    pub exit_code: Option<i64>,
    /// Seconds it ran.
    pub duration: Option<f64>,
    /// Its process id inside the sandbox.
    pub pid: Option<i64>,
}

const PROCESS_FIELDS: &[&str] = &[
    "process_id",
    "execution_id",
    "name",
    "status",
    "language",
    "start_time",
    "end_time",
    "exit_code",
    "duration",
    "pid",
];

const PROCESS_REPR: &[&str] = &["process_id", "name", "status", "language", "exit_code"];

#[pymethods]
impl ProcessInfo {
    /// The attributes as a dict.
    fn to_dict<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyDict>> {
        fields_dict(slf.as_any(), PROCESS_FIELDS)
    }

    /// `p["status"]`: an attribute by name; `KeyError` for any other key.
    fn __getitem__<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        item(slf.as_any(), PROCESS_FIELDS, key)
    }

    /// `p.get("name")`: an attribute by name, or `default` for any other key.
    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        slf: &Bound<'py, Self>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        get_item(slf.as_any(), PROCESS_FIELDS, key, default)
    }

    /// Whether `key` is one of the attribute names.
    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        field_name(PROCESS_FIELDS, key).is_some()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        fields_repr(slf.as_any(), "ProcessInfo", PROCESS_REPR)
    }
}

impl From<hopx::ProcessInfo> for ProcessInfo {
    fn from(p: hopx::ProcessInfo) -> Self {
        ProcessInfo {
            process_id: p.process_id,
            execution_id: p.execution_id,
            name: p.name,
            status: p.status,
            language: p.language,
            start_time: p.start_time,
            end_time: p.end_time,
            exit_code: p.exit_code,
            duration: p.duration,
            pid: p.pid,
        }
    }
}
