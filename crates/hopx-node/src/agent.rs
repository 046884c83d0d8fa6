//! The data plane on `NativeSandbox`: code execution, processes, commands, files and
//! environment variables, each a call to the sandbox's agent through the core. `js/index.js`
//! shapes them into `sandbox.runCode`, `sandbox.commands`, `sandbox.files` and `sandbox.env`.
//!
//! Token refresh (shared by concurrent calls), deadlines, retries (never replaying an execution)
//! and error mapping are the core's; these methods only convert.

use std::collections::BTreeMap;
use std::path::PathBuf;

use napi::Env;
use napi::bindgen_prelude::{Buffer, BufferSlice, PromiseRaw};
use napi_derive::napi;

use crate::models::{BackgroundExecution, CommandResult, ExecutionResult, FileInfo, ProcessInfo};
use crate::options::{BackgroundOptions, CommandOptions, RunCodeOptions};
use crate::promise;
use crate::sandbox::NativeSandbox;

#[napi]
impl NativeSandbox {
    // -----------------------------------------------------------------------------------------
    // Code execution

    /// Runs code and waits for it (`POST /execute`, never sent twice).
    #[napi]
    pub fn run_code<'env>(
        &self,
        env: &'env Env,
        code: String,
        options: Option<RunCodeOptions>,
    ) -> napi::Result<PromiseRaw<'env, ExecutionResult>> {
        let sandbox = self.inner.clone();
        let options = options.unwrap_or_default().into_core();
        promise(env, async move {
            let result = sandbox.run_code(&code, &options?).await?;
            Ok(ExecutionResult::from(result))
        })
    }

    /// Starts code in the background (`POST /execute/background`).
    #[napi]
    pub fn run_code_background<'env>(
        &self,
        env: &'env Env,
        code: String,
        options: Option<BackgroundOptions>,
    ) -> napi::Result<PromiseRaw<'env, BackgroundExecution>> {
        let sandbox = self.inner.clone();
        let options = options.unwrap_or_default().into_core();
        promise(env, async move {
            let started = sandbox.run_code_background(&code, &options?).await?;
            Ok(BackgroundExecution::from(started))
        })
    }

    /// The background executions (`GET /execute/processes`).
    #[napi]
    pub fn list_processes<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, Vec<ProcessInfo>>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            let processes = sandbox.list_processes().await?;
            Ok(processes.into_iter().map(ProcessInfo::from).collect())
        })
    }

    /// Kills a background execution.
    #[napi]
    pub fn kill_process<'env>(
        &self,
        env: &'env Env,
        process_id: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.kill_process(&process_id).await })
    }

    // -----------------------------------------------------------------------------------------
    // Commands

    /// Runs a shell command (`bash -c`) and waits for it (`POST /commands/run`).
    #[napi]
    pub fn run_command<'env>(
        &self,
        env: &'env Env,
        command: String,
        options: Option<CommandOptions>,
    ) -> napi::Result<PromiseRaw<'env, CommandResult>> {
        let sandbox = self.inner.clone();
        let options = options.unwrap_or_default().into_core();
        promise(env, async move {
            let result = sandbox.run_command(&command, &options?).await?;
            Ok(CommandResult::from(result))
        })
    }

    /// Starts a shell command in the background (`POST /commands/background`).
    #[napi]
    pub fn run_command_background<'env>(
        &self,
        env: &'env Env,
        command: String,
        options: Option<CommandOptions>,
    ) -> napi::Result<PromiseRaw<'env, CommandResult>> {
        let sandbox = self.inner.clone();
        let options = options.unwrap_or_default().into_core();
        promise(env, async move {
            let result = sandbox.run_command_background(&command, &options?).await?;
            Ok(CommandResult::from(result))
        })
    }

    // -----------------------------------------------------------------------------------------
    // Files

    /// A text file's contents (`GET /files/read`).
    #[napi]
    pub fn files_read<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.files().read(&path).await })
    }

    /// A file's exact bytes (`GET /files/download`), handed to JavaScript without a copy.
    #[napi]
    pub fn files_read_bytes<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox.files().read_bytes(&path).await.map(Buffer::from)
        })
    }

    /// Writes a text file (`POST /files/write`).
    #[napi]
    pub fn files_write<'env>(
        &self,
        env: &'env Env,
        path: String,
        content: String,
        mode: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox
                .files()
                .write(&path, &content, mode.as_deref())
                .await
        })
    }

    /// Writes exact bytes (`POST /files/write`, base64). The bytes are copied here, on the
    /// JavaScript thread, so the caller may reuse its buffer as soon as the call returns.
    #[napi]
    pub fn files_write_bytes<'env>(
        &self,
        env: &'env Env,
        path: String,
        content: BufferSlice<'_>,
        mode: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        let bytes = content.to_vec();
        promise(env, async move {
            sandbox
                .files()
                .write_bytes(&path, &bytes, mode.as_deref())
                .await
        })
    }

    /// A directory's entries (`GET /files/list`); `/workspace` (the core's default working
    /// directory) when no path is given.
    #[napi]
    pub fn files_list<'env>(
        &self,
        env: &'env Env,
        path: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, Vec<FileInfo>>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            let path = path.as_deref().unwrap_or(hopx::DEFAULT_WORKING_DIR);
            let files = sandbox.files().list(path).await?;
            Ok(files.into_iter().map(FileInfo::from).collect())
        })
    }

    /// Whether a path exists (`GET /files/exists`); failures are errors, not `false`.
    #[napi]
    pub fn files_exists<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.files().exists(&path).await })
    }

    /// Removes a file or a directory tree (`DELETE /files/remove`).
    #[napi]
    pub fn files_remove<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.files().remove(&path).await })
    }

    /// Creates a directory and its parents (`POST /files/mkdir`).
    #[napi]
    pub fn files_mkdir<'env>(
        &self,
        env: &'env Env,
        path: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.files().mkdir(&path).await })
    }

    /// Uploads a local file (`POST /files/upload`, multipart).
    #[napi]
    pub fn files_upload<'env>(
        &self,
        env: &'env Env,
        local_path: String,
        remote_path: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox
                .files()
                .upload(&PathBuf::from(local_path), &remote_path)
                .await
        })
    }

    /// Downloads a file into a local file, replaced only once every byte arrived.
    #[napi]
    pub fn files_download_to<'env>(
        &self,
        env: &'env Env,
        remote_path: String,
        local_path: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move {
            sandbox
                .files()
                .download_to(&remote_path, &PathBuf::from(local_path))
                .await
        })
    }

    // -----------------------------------------------------------------------------------------
    // Environment variables

    /// Every variable (`GET /env`).
    #[napi]
    pub fn env_get_all<'env>(
        &self,
        env: &'env Env,
    ) -> napi::Result<PromiseRaw<'env, BTreeMap<String, String>>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().get_all().await })
    }

    /// One variable; `null` when it is not set.
    #[napi]
    pub fn env_get<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, Option<String>>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().get(&name).await })
    }

    /// Sets one variable, keeping the others (`PATCH /env`).
    #[napi]
    pub fn env_set<'env>(
        &self,
        env: &'env Env,
        name: String,
        value: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().set(&name, &value).await })
    }

    /// Sets these variables, keeping the others (`PATCH /env`).
    #[napi]
    pub fn env_update<'env>(
        &self,
        env: &'env Env,
        vars: BTreeMap<String, String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().update(&vars).await })
    }

    /// Replaces every variable with these (`PUT /env`).
    #[napi]
    pub fn env_set_all<'env>(
        &self,
        env: &'env Env,
        vars: BTreeMap<String, String>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().set_all(&vars).await })
    }

    /// Deletes one variable (`PATCH /env` with `null`), leaving the others untouched.
    #[napi]
    pub fn env_delete<'env>(
        &self,
        env: &'env Env,
        name: String,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().delete(&name).await })
    }

    /// Deletes every variable (`DELETE /env`).
    #[napi]
    pub fn env_clear<'env>(&self, env: &'env Env) -> napi::Result<PromiseRaw<'env, ()>> {
        let sandbox = self.inner.clone();
        promise(env, async move { sandbox.env().clear().await })
    }
}
